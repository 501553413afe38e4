//! `assay check`: the reference must pass reproducibly, known-bad solutions must fail as their
//! expect.toml says, and a flaky hidden test is reported by name.

mod common;

use common::*;

fn check(dir: &std::path::Path) -> (i32, String, String) {
    let junit = dir.join("junit.xml");
    let output = assay(&["check", dir.to_str().unwrap(), "--junit", junit.to_str().unwrap()]);
    let xml = std::fs::read_to_string(&junit).unwrap_or_default();
    (output.status.code().unwrap_or(-1), text(&output), xml)
}

/// An assignment whose one phase runs the solution's run.sh and writes predictions.
fn scripted() -> tempfile::TempDir {
    assignment(
        "[[phase]]\nname = \"predict\"\nrun = \"sh run.sh\"\noutputs = [\"/out/p.csv\"]\n",
        "[[metric]]\nname = \"accuracy\"\nkind = \"accuracy\"\npredictions = \"predict:/out/p.csv\"\nlabels = \"hidden/labels.csv\"\nweight = 10\npass_at = 0.5\n",
    )
}

const RIGHT: &str = "printf 'id,label\\na,1\\nb,2\\n' > /out/p.csv\n";
const WRONG: &str = "printf 'id,label\\na,7\\nb,7\\n' > /out/p.csv\n";

#[test]
fn passes_when_every_expectation_holds_and_writes_junit() {
    require_engine();
    sandbox_image();
    let a = scripted();
    write(a.path(), "solutions/reference/run.sh", RIGHT);
    write(a.path(), "solutions/wrong/run.sh", WRONG);
    write(
        a.path(),
        "solutions/wrong/expect.toml",
        "verdict = \"failed\"\nmetrics = { accuracy = { max = 0.0 } }\nscore = { max = 0 }\n",
    );
    write(a.path(), "solutions/crashes/run.sh", "kill -SEGV $$\n");
    write(
        a.path(),
        "solutions/crashes/expect.toml",
        "verdict = \"failed\"\nphases = { predict = \"crashed\" }\n",
    );
    let (code, out, xml) = check(a.path());
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("t/reference: ok"), "{out}");
    assert!(out.contains("t/wrong: ok"), "{out}");
    assert!(out.contains("t/crashes: ok"), "{out}");
    assert!(xml.contains("name=\"crashes: phase predict crashed\""), "{xml}");
    assert!(xml.contains("failures=\"0\""), "{xml}");
}

#[test]
fn fails_when_the_reference_is_broken() {
    require_engine();
    sandbox_image();
    let a = scripted();
    write(a.path(), "solutions/reference/run.sh", WRONG);
    let (code, out, xml) = check(a.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("t/reference: FAILED verdict: expected passed, got failed"),
        "{out}"
    );
    assert!(
        xml.contains("<failure message=\"verdict: expected passed, got failed"),
        "{xml}"
    );
}

#[test]
fn fails_when_an_expectation_is_wrong() {
    require_engine();
    sandbox_image();
    let a = scripted();
    write(a.path(), "solutions/reference/run.sh", RIGHT);
    write(a.path(), "solutions/wrong/run.sh", WRONG);
    write(
        a.path(),
        "solutions/wrong/expect.toml",
        "verdict = \"failed\"\nphases = { predict = \"timed_out\" }\n",
    );
    let (code, out, _) = check(a.path());
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("t/reference: ok"), "{out}");
    assert!(
        out.contains("t/wrong: FAILED phase predict: expected timed_out, got passed"),
        "{out}"
    );
}

/// An assignment whose hidden tests `test_a.py` run in phase `test`; `groups` are TOML tables.
fn tested(groups: &str) -> tempfile::TempDir {
    let a = assignment(
        "[[phase]]\nname = \"test\"\nrun = \"python3 -P -m pytest -q /tests --junitxml=/out/junit.xml\"\ninputs = { \"/tests\" = \"hidden/tests\" }\njunit = \"/out/junit.xml\"\n",
        &format!("{groups}\n[reproducibility]\nruns = 1\n"),
    );
    write(
        a.path(),
        "hidden/tests/test_a.py",
        "import sys, os\nsys.path.append('/workspace')\n\ndef test_steady():\n    assert True\n\ndef test_solution():\n    assert os.path.exists('/workspace/good')\n",
    );
    write(a.path(), "solutions/reference/good", "");
    // One run: nothing to compare.
    write(
        a.path(),
        "solutions/reference/expect.toml",
        "reproducibility = \"skipped\"\n",
    );
    a
}

#[test]
fn reports_a_flaky_hidden_test_by_name() {
    require_engine();
    sandbox_image();
    // One real run, then the same report with one test flipped, as a rerun would give it:
    // deterministic, unlike a test that flips a coin in every run.
    let a = tested("");
    let out = tempfile::tempdir().unwrap();
    let (_, first, log) = grade_into(a.path(), &a.path().join("solutions/reference"), out.path());
    assert_eq!(first.verdict, RunVerdict::Passed, "{log}");
    let mut second = first.clone();
    let flipped = second
        .tests
        .iter_mut()
        .find(|t| t.name.ends_with("test_solution"))
        .unwrap();
    flipped.status = assay::model::TestStatus::Failed;
    let spec = assay::spec::load(a.path()).unwrap();
    let mut report = first.clone();
    report.reproducibility = assay::grade::reproducibility::assess(&spec, &[first, second], &[]);
    let outcomes = assay::check::judge(&report, &assay::check::Expectations::default());
    let failures: Vec<String> = outcomes.iter().filter_map(|o| o.failure.clone()).collect();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].starts_with("flaky hidden test test_a::test_solution: passed in run 1, failed in run 2"),
        "{failures:?}"
    );
    // Test names are printed exactly as written, whatever their case.
    let mut mixed = report.clone();
    mixed.tests[0].name = "React_Test.ReactTest::TestRender".to_string();
    mixed.tests[0].status = assay::model::TestStatus::Failed;
    let expect = assay::check::Expectations {
        failing_tests: Some(Vec::new()),
        ..Default::default()
    };
    let outcomes = assay::check::judge(&mixed, &expect);
    assert!(
        outcomes
            .iter()
            .filter_map(|o| o.failure.as_deref())
            .any(|f| f == "test React_Test.ReactTest::TestRender: expected to pass, failed"),
        "{outcomes:?}"
    );
}

#[test]
fn check_records_trusted_test_names_and_holds_groups_to_them() {
    require_engine();
    sandbox_image();
    let a = tested(
        "[[test_group]]\nname = \"all\"\nmatch = \"*\"\nweight = 10\npass_at = 1.0\n\n[[test_group]]\nname = \"none\"\nmatch = \"*nothing_matches*\"\nweight = 1\n",
    );
    write(
        a.path(),
        "solutions/missing/expect.toml",
        "verdict = \"failed\"\nfailing_tests = [\"*test_solution\"]\n",
    );
    write(a.path(), "solutions/missing/other", "");
    let (code, out, _) = check(a.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("FAILED test group \"none\" matches no hidden test of the reference solution"),
        "{out}"
    );
    assert!(out.contains("recorded 2 hidden test name(s)"), "{out}");
    let lock = std::fs::read_to_string(a.path().join("tests.lock")).unwrap();
    assert!(lock.contains("\"test_a::test_solution\""), "{lock}");
    assert!(lock.contains("\"test_a::test_steady\""), "{lock}");
    // The lock is part of the spec: a group matching no trusted name is refused outright,
    // and known-bad solutions fail the listed tests as expected (names printed as written).
    let output = assay(&["validate", a.path().to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    assert!(out.contains("t/missing: ok"), "{out}");
}

#[test]
fn tests_matched_by_no_group_are_refused_once_names_are_trusted() {
    let a = tested(
        "[[test_group]]\nname = \"steady\"\nmatch = [\"*steady\", \"*test_*\"]\nweight = 10\n[[test_group]]\nname = \"other\"\nmatch = \"*steady*\"\nweight = 1\n",
    );
    write(
        a.path(),
        "tests.lock",
        "[phases.test]\nnames = [\"test_a::test_steady\", \"x::Odd_Name\"]\n",
    );
    let output = assay(&["validate", a.path().to_str().unwrap()]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(2), "{out}");
    assert!(out.contains("1 hidden test(s) match no group"), "{out}");
    assert!(out.contains("\"x::Odd_Name\""), "{out}");
    // A lock that knows nothing of the JUnit phase would make every result untrusted.
    write(a.path(), "tests.lock", "[phases.other]\nnames = [\"x\"]\n");
    let output = assay(&["validate", a.path().to_str().unwrap()]);
    assert!(
        text(&output).contains("tests.lock lists no tests of phase \"test\""),
        "{}",
        text(&output)
    );
    // With every name grouped, validate passes and names the overlap.
    write(
        a.path(),
        "tests.lock",
        "[phases.test]\nnames = [\"test_a::test_steady\"]\n",
    );
    let output = assay(&["validate", a.path().to_str().unwrap()]);
    let out = text(&output);
    assert_eq!(output.status.code(), Some(0), "{out}");
    assert!(
        out.contains("overlapping globs, first match wins: \"test_a::test_steady\" is counted in \"steady\", also matched by \"other\""),
        "{out}"
    );
}
