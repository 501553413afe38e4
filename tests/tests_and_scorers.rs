//! Hidden pytest results read from JUnit (the candidate's conftest is not loaded), test
//! groups for partial credit, and scorer containers that never see the candidate's files.

mod common;

use common::*;

// The candidate's folder goes last on sys.path, so it cannot shadow pytest or the stdlib.
const TESTS: &str = r#"
import sys
sys.path.append("/workspace")
import solution

def test_add_small():
    assert solution.add(1, 2) == 3

def test_add_negative():
    assert solution.add(-1, -2) == -3

def test_edge_empty():
    assert solution.add(0, 0) == 0

def test_edge_large():
    assert solution.add(10**18, 1) == 10**18 + 1
"#;

fn test_assignment(expected: u64) -> tempfile::TempDir {
    let a = assignment(
        &format!(
            r#"
[[phase]]
name = "test"
run = "python3 -P -m pytest -q /tests --junitxml=/out/junit.xml"
inputs = {{ "/tests" = "hidden/tests" }}
junit = "/out/junit.xml"
expected_tests = {expected}
"#
        ),
        "[[test_group]]\nname = \"basics\"\nmatch = \"*test_add_*\"\nweight = 20\n\n[[test_group]]\nname = \"edge cases\"\nmatch = [\"*edge*\"]\nweight = 10\npass_at = 1.0\n",
    );
    write(a.path(), "hidden/tests/test_solution.py", TESTS);
    a
}

#[test]
fn hidden_tests_give_partial_credit_and_ignore_the_candidates_conftest() {
    if !engine() {
        return;
    }
    sandbox_image();
    let a = test_assignment(4);
    let s = tempfile::tempdir().unwrap();
    // Wrong for negatives and large numbers. Its conftest.py sits in a parent folder of the
    // tests (they run from the workspace), where pytest would load it and turn every failure
    // into a pass (checked by hand: without assay's PYTEST_ADDOPTS all four pass).
    write(
        s.path(),
        "solution.py",
        "def add(a, b):\n    return abs(a) + abs(b) if a < 10**17 else 0\n",
    );
    write(
        s.path(),
        "conftest.py",
        "import pytest\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport(item, call):\n    out = yield\n    out.get_result().outcome = 'passed'\n",
    );
    let (code, report, log) = grade(a.path(), s.path());
    assert_eq!(code, 1, "{log}");
    assert_eq!(phase(&report, "test")["verdict"], "passed", "{log}");
    let status = |name: &str| {
        let test = report["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"].as_str().unwrap().ends_with(name))
            .unwrap();
        assert_eq!(test["candidate_influenced"], true);
        test["status"].as_str().unwrap().to_string()
    };
    assert_eq!(status("test_add_small"), "passed");
    assert_eq!(status("test_add_negative"), "failed");
    assert_eq!(status("test_edge_empty"), "passed");
    assert_eq!(status("test_edge_large"), "failed");
    let groups = report["test_groups"].as_array().unwrap();
    assert_eq!(groups[0]["points"], 10.0); // basics: 1 of 2 × 20
    assert_eq!(groups[1]["points"], 5.0); // edge cases: 1 of 2 × 10
    assert_eq!(groups[1]["passed"], false);
    assert_eq!(report["score"]["total"], 15.0);
    assert_eq!(report["score"]["max"], 30.0);
    assert!(
        report["summary"]
            .as_str()
            .unwrap()
            .contains("edge cases (1 of 2 passed, 100% needed)"),
        "{}",
        report["summary"]
    );
}

#[test]
fn a_wrong_test_count_is_invalid_output() {
    if !engine() {
        return;
    }
    sandbox_image();
    let a = test_assignment(5);
    let s = tempfile::tempdir().unwrap();
    write(s.path(), "solution.py", "def add(a, b):\n    return a + b\n");
    let (_, report, log) = grade(a.path(), s.path());
    let test = phase(&report, "test");
    assert_eq!(test["verdict"], "invalid_output", "{log}");
    assert!(
        test["message"]
            .as_str()
            .unwrap()
            .contains("holds 4 test(s); the assignment expects 5"),
        "{test}"
    );
}

#[test]
fn scorer_sees_predictions_and_labels_but_not_the_candidates_files() {
    if !engine() {
        return;
    }
    sandbox_image();
    let a = assignment(
        r#"
[[phase]]
name = "predict"
run = "printf 'id,label\na,1\nb,5\n' > /out/p.csv"
outputs = ["/out/p.csv"]
"#,
        r#"
[[scorer]]
name = "custom"
run = "python3 /scorer/score.py"
predictions = "predict:/out/p.csv"
labels = "hidden/labels.csv"
files = "hidden/scorer"

[[metric]]
name = "mean_gap"
kind = "scorer"
scorer = "custom"
value = "mean_gap"
weight = 10
pass_at = 2.5
direction = "lower"

[[metric]]
name = "candidate_files_seen"
kind = "scorer"
scorer = "custom"
weight = 0
"#,
    );
    write(
        a.path(),
        "hidden/scorer/score.py",
        r#"
import csv, json, os
p = {r["id"]: float(r["label"]) for r in csv.DictReader(open("/predictions/p.csv"))}
l = {r["id"]: float(r["label"]) for r in csv.DictReader(open("/labels/labels.csv"))}
seen = sum(len(files) for _, _, files in os.walk("/workspace"))
json.dump({"mean_gap": sum(abs(p[k] - l[k]) for k in l) / len(l), "candidate_files_seen": seen}, open("/out/scores.json", "w"))
"#,
    );
    let s = tempfile::tempdir().unwrap();
    write(s.path(), "secret_model.py", "weights = 42\n");
    let (code, report, log) = grade(a.path(), s.path());
    assert_eq!(code, 0, "{log}");
    let metric = |name: &str| {
        report["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(metric("mean_gap")["value"], 1.5);
    assert_eq!(metric("mean_gap")["passed"], true);
    assert_eq!(metric("candidate_files_seen")["value"], 0.0);
    assert_eq!(report["score"]["total"], 10.0);
}
