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
    if !engine() {
        return;
    }
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
    if !engine() {
        return;
    }
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
    if !engine() {
        return;
    }
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

#[test]
fn reports_a_flaky_hidden_test_by_name() {
    if !engine() {
        return;
    }
    sandbox_image();
    let a = assignment(
        "[[phase]]\nname = \"test\"\nrun = \"cp -r /tests t && python3 -P -m pytest -q t --junitxml=/out/junit.xml\"\ninputs = { \"/tests\" = \"hidden/tests\" }\njunit = \"/out/junit.xml\"\n",
        "[[test_group]]\nname = \"all\"\nmatch = \"*\"\nweight = 10\n\n[reproducibility]\nruns = 12\n",
    );
    write(
        a.path(),
        "hidden/tests/test_coin.py",
        "import random\n\ndef test_steady():\n    assert True\n\ndef test_coin():\n    assert random.SystemRandom().random() < 0.5\n",
    );
    write(a.path(), "solutions/reference/solution.py", "");
    let (code, out, _) = check(a.path());
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("flaky hidden test t.test_coin::test_coin")
            || out.contains("flaky hidden test test_coin::test_coin"),
        "{out}"
    );
    assert!(!out.contains("flaky hidden test test_coin::test_steady"), "{out}");
}
