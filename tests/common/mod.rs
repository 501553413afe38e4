//! Shared helpers: run the real `assay` binary, make small assignments and submissions in
//! temp folders, and check that nothing labelled by assay is left on the engine.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Once;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn assay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(args)
        .current_dir(repo())
        .output()
        .expect("running assay")
}

pub fn text(output: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Fails the test unless a Docker engine answers: a test that needs one never passes without.
pub fn require_engine() {
    let output = Command::new("docker")
        .args(["info", "--format", "{{.ServerVersion}}"])
        .output();
    let ok = output.as_ref().map(|o| o.status.success()).unwrap_or(false);
    assert!(
        ok,
        "this test needs a Docker engine and none answers (`docker info` failed: {:?})",
        output.map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
    );
}

static IMAGE: Once = Once::new();

/// Builds the python-ml sandbox image once per test binary (a no-op when up to date).
pub fn sandbox_image() {
    IMAGE.call_once(|| {
        let output = assay(&["image", "build", "python-ml"]);
        assert!(output.status.success(), "image build failed: {}", text(&output));
    });
}

/// Names of containers and volumes labelled for this submission hash.
pub fn leftovers(sha256: &str) -> String {
    let filter = format!("label=assay.submission={sha256}");
    let containers = Command::new("docker")
        .args(["ps", "-aq", "--filter", &filter])
        .output()
        .unwrap();
    let volumes = Command::new("docker")
        .args(["volume", "ls", "-q", "--filter", &filter])
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&containers.stdout).trim(),
        String::from_utf8_lossy(&volumes.stdout).trim()
    )
}

pub fn write(root: &Path, relative: &str, content: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// A small assignment: `phases` are TOML `[[phase]]` tables, `extra` any other TOML.
pub fn assignment(phases: &str, extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "assignment.toml",
        &format!(
            "[assignment]\nid = \"t\"\ntitle = \"Test\"\n\n[sandbox]\nmemory = \"256MiB\"\npids = 64\noutput_limit = \"64KiB\"\ntimeout = \"20s\"\n\n{phases}\n{extra}\n"
        ),
    );
    write(dir.path(), "hidden/features/x.csv", "id\na\nb\n");
    write(dir.path(), "hidden/labels.csv", "id,label\na,1\nb,2\n");
    dir
}

/// Grades `submission` against `assignment`; returns the exit code and the parsed report.
pub fn grade(assignment: &Path, submission: &Path) -> (i32, serde_json::Value, String) {
    let out = tempfile::tempdir().unwrap();
    grade_into(assignment, submission, out.path())
}

/// Grades into `out`, which the caller keeps (reports, logs and saved outputs).
pub fn grade_into(assignment: &Path, submission: &Path, out: &Path) -> (i32, serde_json::Value, String) {
    let output = assay(&[
        "grade",
        "-a",
        assignment.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--json",
        submission.to_str().unwrap(),
    ]);
    let log = text(&output);
    let line = String::from_utf8_lossy(&output.stdout)
        .lines()
        .last()
        .unwrap_or("")
        .to_string();
    let report: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("no JSON report ({e}): {log}"));
    let sha = report["submission"]["sha256"].as_str().unwrap().to_string();
    let on_disk = out.join(&sha[..16]).join("report.json");
    assert!(on_disk.is_file(), "report.json missing at {}", on_disk.display());
    assert_eq!(leftovers(&sha), "", "containers or volumes left behind");
    (output.status.code().unwrap_or(-1), report, log)
}

pub fn phase<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["phases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap_or_else(|| panic!("no phase {name}"))
}

/// Runs python3 in the sandbox image with `dir` mounted read-only at /m (test-side checks
/// against scikit-learn only; grading never bind-mounts).
pub fn sklearn(dir: &Path, script: &str) -> String {
    let output = Command::new("docker")
        .args([
            "run",
            "--rm",
            "--network",
            "none",
            "--label",
            "assay.run=test-reference",
        ])
        // Owned by this process, so a concurrent grade's sweep of dead owners leaves it alone.
        .arg("--label")
        .arg(format!("assay.owner={}", assay::gc::owner_label()))
        .arg("-v")
        .arg(format!("{}:/m:ro", dir.display()))
        .args(["-w", "/m", "assay/python-ml", "python3", "-c", script])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", text(&output));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// Every report the tests write must follow the published schema.
pub fn assert_valid_report(path: &Path) {
    let schema: serde_json::Value = serde_json::from_str(assay::report::SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{} does not follow report.schema.json:\n{}",
        path.display(),
        errors.join("\n")
    );
}
