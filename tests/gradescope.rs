//! A Gradescope autograder imported with `assay import gradescope` and run unchanged: its image
//! built from setup.sh, run_autograder on each submission, results.json read into the report.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use assay::model::TestStatus;
use common::*;

const SETUP: &str = "#!/usr/bin/env bash\nset -e\n# Runs once, when the image is built.\necho \"setup ran as $(id -u)\" > /autograder/source/setup-ran.txt\n";

const RUN_AUTOGRADER: &str = "#!/usr/bin/env bash\n# Gradescope's usual steps: the submission copied beside the tests, the tests run.\ncp /autograder/submission/calc.py /autograder/source/calc.py\ncd /autograder/source\npython3 run_tests.py\n";

/// Gradescope-style decorators and a results writer, as autograders bring them.
const RUN_TESTS: &str = r#"import json, sys, time, unittest

def weight(points):
    def mark(f):
        f.__weight__ = points
        return f
    return mark

def visibility(word):
    def mark(f):
        f.__visibility__ = word
        return f
    return mark

def number(text):
    def mark(f):
        f.__number__ = text
        return f
    return mark

sys.modules["gradescope_marks"] = sys.modules[__name__]

class Collect(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.results = []

    def record(self, test, ok, output):
        method = getattr(test, test._testMethodName)
        points = getattr(method, "__weight__", 0)
        self.results.append({
            "name": test._testMethodName,
            "number": getattr(method, "__number__", None),
            "score": points if ok else 0,
            "max_score": points,
            "visibility": getattr(method, "__visibility__", "visible"),
            "status": "passed" if ok else "failed",
            "output": output,
        })

    def addSuccess(self, test):
        super().addSuccess(test)
        self.record(test, True, "")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self.record(test, False, str(err[1]))

    def addError(self, test, err):
        super().addError(test, err)
        self.record(test, False, "error: " + str(err[1]))

started = time.time()
suite = unittest.defaultTestLoader.discover(".", pattern="test_*.py")
runner = unittest.TextTestRunner(resultclass=Collect, stream=sys.stderr)
outcome = runner.run(suite)
results = {
    "tests": sorted(outcome.results, key=lambda t: t["number"] or ""),
    "leaderboard": [{"name": "tests run", "value": outcome.testsRun}],
    "output": open("setup-ran.txt").read().strip(),
    "stdout_visibility": "visible",
    "extra_data": {"autograder": "calc"},
}
with open("/autograder/results/results.json", "w") as f:
    json.dump(results, f)
"#;

const TESTS: &str = r#"import unittest
from gradescope_marks import number, visibility, weight
from calc import add, div, sub

class TestCalc(unittest.TestCase):
    @weight(2)
    @number("1.1")
    def test_add(self):
        self.assertEqual(add(2, 3), 5)

    @weight(3)
    @number("1.2")
    def test_sub(self):
        self.assertEqual(sub(5, 3), 2)

    @weight(5)
    @number("2.1")
    @visibility("hidden")
    def test_secret_division(self):
        self.assertEqual(div(7, 2), 3.5)
"#;

fn autograder_zip(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("autograder.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    let executable = zip::write::SimpleFileOptions::default().unix_permissions(0o755);
    let plain = zip::write::SimpleFileOptions::default().unix_permissions(0o644);
    for (name, content, options) in [
        ("setup.sh", SETUP, executable),
        ("run_autograder", RUN_AUTOGRADER, executable),
        ("run_tests.py", RUN_TESTS, plain),
        ("test_calc.py", TESTS, plain),
    ] {
        zip.start_file(name, options).unwrap();
        zip.write_all(content.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    path
}

const REFERENCE: &str =
    "def add(a, b):\n    return a + b\n\ndef sub(a, b):\n    return a - b\n\ndef div(a, b):\n    return a / b\n";

/// Removes the image assay built for an imported assignment, also when the test fails.
struct ImageGuard(String);

impl Drop for ImageGuard {
    fn drop(&mut self) {
        let listed = Command::new("docker")
            .args(["image", "ls", "-q", "--filter"])
            .arg(format!("label=assay.image={}", self.0))
            .output();
        if let Ok(listed) = listed {
            for id in String::from_utf8_lossy(&listed.stdout).split_whitespace() {
                let _ = Command::new("docker").args(["image", "rm", "-f", id]).output();
            }
        }
    }
}

fn imported(id: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let zip = autograder_zip(dir.path());
    let assignments = dir.path().join("assignments");
    let output = assay(&[
        "import",
        "gradescope",
        zip.to_str().unwrap(),
        "--id",
        id,
        "--dir",
        assignments.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", text(&output));
    dir
}

#[test]
fn an_imported_autograder_grades_as_it_would_on_gradescope() {
    require_engine();
    sandbox_image();
    let id = "calc-gs";
    let _image = ImageGuard(format!("gradescope-{id}"));
    let home = imported(id);
    let assignment = home.path().join("assignments").join(id);
    assert!(assignment.join("autograder/source/run_autograder").is_file());
    let validated = assay(&["validate", assignment.to_str().unwrap()]);
    assert!(validated.status.success(), "{}", text(&validated));
    // The reference records the autograder's test names, so feedback may name visible ones.
    write(&assignment, "solutions/reference/calc.py", REFERENCE);
    let checked = assay(&["check", assignment.to_str().unwrap()]);
    assert!(checked.status.success(), "{}", text(&checked));
    let lock = std::fs::read_to_string(assignment.join("tests.lock")).unwrap();
    assert!(lock.contains("2.1 test_secret_division"), "{lock}");

    let reference = submission(&[("calc.py", REFERENCE)]);
    let full = Grading::new(&assignment, reference.path()).run();
    let report = &full.report;
    assert_eq!(report.verdict.as_str(), "passed", "{}", full.log);
    let score = report.score.unwrap();
    assert_eq!((score.total, score.max), (10.0, 10.0));
    assert_eq!(report.tests.len(), 3);
    assert!(report.tests.iter().all(|t| t.candidate_influenced && t.trusted));
    assert_eq!(
        report.autograders[0].output, "setup ran as 0",
        "setup.sh ran as root at build time"
    );
    assert_eq!(
        report.autograders[0].extra_data.as_deref(),
        Some("{\"autograder\":\"calc\"}")
    );
    let leaderboard = report.metrics.iter().find(|m| m.kind == "leaderboard").unwrap();
    assert_eq!(
        (leaderboard.name.as_str(), leaderboard.value),
        ("leaderboard tests run", Some(3.0))
    );

    let broken = submission(&[(
        "calc.py",
        "def add(a, b):\n    return a + b\n\ndef sub(a, b):\n    return b - a\n\ndef div(a, b):\n    return a // b\n",
    )]);
    let partial = Grading::new(&assignment, broken.path()).run();
    let report = &partial.report;
    assert_eq!(report.score.unwrap().total, 2.0, "add only: {}", partial.log);
    let sub = report.tests.iter().find(|t| t.name == "1.2 test_sub").unwrap();
    assert_eq!(
        (sub.status, sub.score, sub.weight),
        (TestStatus::Failed, Some(0.0), 3.0)
    );
    assert!(sub.message.as_deref().unwrap().contains("-2 != 2"), "{:?}", sub.message);
    let feedback = std::fs::read_to_string(partial.dir.join("feedback.md")).unwrap();
    assert!(feedback.contains("1.1 test_add: passed (2 / 2)"), "{feedback}");
    assert!(feedback.contains("1.2 test_sub: failed (0 / 3)"), "{feedback}");
    assert!(feedback.contains("1 of 2 tests shown here passed"), "{feedback}");
    assert!(
        !feedback.contains("secret"),
        "a hidden test reached feedback.md: {feedback}"
    );
    assert!(!feedback.contains("2.1"), "{feedback}");
    assert!(
        feedback.contains("setup ran as 0"),
        "the visible output is shown: {feedback}"
    );

    // The same autograder by hand: run_autograder in its image with the submission in place.
    let by_hand = docker_run()
        .args([
            "--user",
            "1000:1000",
            "--tmpfs",
            "/tmp:mode=1777",
            "--tmpfs",
            "/out:uid=1000,gid=1000",
        ])
        .arg("-v")
        .arg(format!("{}:/workspace:ro", broken.path().display()))
        .arg(format!("assay/gradescope-{id}"))
        .args([
            "sh",
            "-c",
            "/usr/local/bin/assay-gradescope-run >/dev/null 2>&1; cat /autograder/results/results.json",
        ])
        .output()
        .unwrap();
    assert!(by_hand.status.success(), "{}", text(&by_hand));
    let results: serde_json::Value = serde_json::from_slice(&by_hand.stdout).unwrap();
    for test in results["tests"].as_array().unwrap() {
        let name = format!(
            "{} {}",
            test["number"].as_str().unwrap(),
            test["name"].as_str().unwrap()
        );
        let graded = report.tests.iter().find(|t| t.name == name).unwrap();
        assert_eq!(graded.score, test["score"].as_f64(), "{name}");
        assert_eq!(graded.weight, test["max_score"].as_f64().unwrap(), "{name}");
    }
}

#[test]
fn a_zip_without_run_autograder_is_refused_and_leaves_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("half.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    zip.start_file("setup.sh", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(b"true\n").unwrap();
    zip.finish().unwrap();
    let assignments = dir.path().join("assignments");
    let output = assay(&[
        "import",
        "gradescope",
        path.to_str().unwrap(),
        "--id",
        "half",
        "--dir",
        assignments.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output));
    assert!(
        text(&output).contains("no run_autograder at the top of the autograder"),
        "{}",
        text(&output)
    );
    assert!(!assignments.join("half").exists());
    let bad_id = assay(&["import", "gradescope", path.to_str().unwrap(), "--id", "../x"]);
    assert_eq!(bad_id.status.code(), Some(2), "{}", text(&bad_id));
}
