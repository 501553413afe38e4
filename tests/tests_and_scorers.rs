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
    require_engine();
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
    assert_eq!(phase(&report, "test").verdict.as_str(), "passed", "{log}");
    let status = |name: &str| {
        let test = report.tests.iter().find(|t| t.name.as_str().ends_with(name)).unwrap();
        assert!(test.candidate_influenced);
        test.status.as_str().to_string()
    };
    assert_eq!(status("test_add_small"), "passed");
    assert_eq!(status("test_add_negative"), "failed");
    assert_eq!(status("test_edge_empty"), "passed");
    assert_eq!(status("test_edge_large"), "failed");
    let groups = &report.test_groups;
    assert_eq!(groups[0].points, 10.0); // basics: 1 of 2 × 20
    assert_eq!(groups[1].points, 5.0); // edge cases: 1 of 2 × 10
    assert!(!groups[1].passed);
    assert_eq!(report.score.unwrap().total, 15.0);
    assert_eq!(report.score.unwrap().max, 30.0);
    assert!(
        report
            .summary
            .as_str()
            .contains("edge cases (1 of 2 passed, 100% needed)"),
        "{}",
        report.summary
    );
}

#[test]
fn a_wrong_test_count_is_invalid_output() {
    require_engine();
    sandbox_image();
    let a = test_assignment(5);
    let s = tempfile::tempdir().unwrap();
    write(s.path(), "solution.py", "def add(a, b):\n    return a + b\n");
    let (_, report, log) = grade(a.path(), s.path());
    let test = phase(&report, "test");
    assert_eq!(test.verdict.as_str(), "invalid_output", "{log}");
    assert!(
        test.message
            .as_deref()
            .unwrap()
            .contains("holds 4 test(s); the assignment expects 5"),
        "{test:?}"
    );
}

#[test]
fn scorer_sees_predictions_and_labels_but_not_the_candidates_files() {
    require_engine();
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
    assert_eq!(metric(&report, "mean_gap").value, Some(1.5));
    assert!(metric(&report, "mean_gap").passed);
    assert_eq!(metric(&report, "candidate_files_seen").value, Some(0.0));
    assert_eq!(report.score.unwrap().total, 10.0);
}

/// The hidden tests in a phase with no `[[test_group]]`; `extra` is more spec.
fn ungrouped_assignment(extra: &str) -> tempfile::TempDir {
    let a = assignment(
        "[[phase]]\nname = \"test\"\nrun = \"python3 -P -m pytest -q /tests --junitxml=/out/junit.xml\"\ninputs = { \"/tests\" = \"hidden/tests\" }\njunit = \"/out/junit.xml\"\n",
        extra,
    );
    write(a.path(), "hidden/tests/test_solution.py", TESTS);
    a
}

fn feedback_of(out: &std::path::Path, report: &Report) -> String {
    let dir = assay::store::ReportDir::in_out(out, &report.submission.sha256);
    std::fs::read_to_string(dir.path().join("feedback.md")).unwrap()
}

#[test]
fn with_no_groups_every_hidden_test_must_pass() {
    require_engine();
    sandbox_image();
    let a = ungrouped_assignment("");
    let s = tempfile::tempdir().unwrap();
    write(s.path(), "solution.py", "def add(a, b):\n    return 0\n");
    let out = tempfile::tempdir().unwrap();
    let (code, report, log) = grade_into(a.path(), s.path(), out.path());
    assert_eq!(code, 1, "{log}");
    assert_eq!(report.verdict.as_str(), "failed", "{log}");
    let groups = &report.test_groups;
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0].name, "hidden tests");
    assert!(!groups[0].passed);
    assert!(
        report
            .summary
            .as_str()
            .contains("hidden tests (1 of 4 passed, 100% needed)"),
        "{}",
        report.summary
    );
    let feedback = feedback_of(out.path(), &report);
    assert!(feedback.contains("did not meet every requirement"), "{feedback}");
}

#[test]
fn only_trusted_test_names_count_and_only_shown_groups_name_them() {
    require_engine();
    sandbox_image();
    let a = ungrouped_assignment(
        "[[test_group]]\nname = \"all\"\nmatch = \"*\"\nweight = 10\npass_at = 1.0\nvisibility = \"visible\"\nshow_names = true\n",
    );
    write(
        a.path(),
        "tests.lock",
        "[phases.test]\nnames = [\"test_solution::test_add_negative\", \"test_solution::test_add_small\", \"test_solution::test_edge_empty\", \"test_solution::test_edge_large\"]\n",
    );
    let s = tempfile::tempdir().unwrap();
    // Right answers, and at exit the JUnit file is rewritten: one real test dropped and a
    // made-up "test" whose name carries a line of the hidden tests.
    write(
        s.path(),
        "solution.py",
        r#"import atexit, re
def add(a, b):
    return a + b
def forge():
    path = "/out/junit.xml"
    xml = open(path).read()
    xml = re.sub(r'<testcase [^>]*name="test_edge_large"[^>]*?(/>|>.*?</testcase>)', '', xml, flags=re.S)
    leak = '<testcase classname="test_solution" name="LEAK assert solution.add(10**18, 1)" time="0"/>'
    open(path, "w").write(xml.replace("</testsuite>", leak + "</testsuite>"))
atexit.register(forge)
"#,
    );
    let out = tempfile::tempdir().unwrap();
    let (code, report, log) = grade_into(a.path(), s.path(), out.path());
    assert_eq!(code, 1, "{log}");
    let tests = &report.tests;
    let named = |name: &str| {
        tests
            .iter()
            .find(|t| t.name == name)
            .unwrap_or_else(|| panic!("no {name}: {tests:?}"))
    };
    assert!(!named("unknown test 1").trusted);
    assert_eq!(named("unknown test 1").group, None);
    let dropped = named("test_solution::test_edge_large");
    assert_eq!(dropped.status.as_str(), "failed");
    assert!(dropped.message.as_deref().unwrap().contains("missing from the results"));
    assert_eq!(report.test_groups[0].total_tests, 4);
    assert_eq!(report.test_groups[0].passed_tests, 3);
    let sha = report.submission.sha256.as_str();
    for file in ["report.json", "report.md", "report.html", "feedback.md", "junit.xml"] {
        let text = std::fs::read_to_string(out.path().join(&sha[..16]).join(file)).unwrap();
        assert!(!text.contains("LEAK"), "{file} shows the made-up name");
    }
    let feedback = feedback_of(out.path(), &report);
    assert!(feedback.contains("test_solution::test_add_small"), "{feedback}");
    assert!(!feedback.contains("unknown test"), "{feedback}");
    // Without show_names, the same group shows only its counts.
    let hidden = std::fs::read_to_string(a.path().join("assignment.toml"))
        .unwrap()
        .replace("show_names = true\n", "");
    write(a.path(), "assignment.toml", &hidden);
    let out = tempfile::tempdir().unwrap();
    let (_, report, _) = grade_into(a.path(), s.path(), out.path());
    let feedback = feedback_of(out.path(), &report);
    assert!(feedback.contains("all: 3 of 4 passed"), "{feedback}");
    assert!(!feedback.contains("test_add_small"), "{feedback}");
}
