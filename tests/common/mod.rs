//! Shared helpers: run the real `assay` binary, make small assignments and submissions in
//! temp folders, and check that nothing labelled by assay is left on the engine.
#![allow(dead_code, unused_imports)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Once;

pub mod browser;
pub mod fake_ats;
pub mod postgres;
pub mod server;
pub mod worker;

pub use assay::model::{MetricResult, PhaseOutcome, PhaseVerdict, Report, RunVerdict, TestStatus};

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
    leftovers_with(&[format!("label=assay.submission={sha256}")])
}

/// Like `leftovers`, of what one assay process (`host/pid`) made only: tests running side by
/// side may grade the same archive.
pub fn leftovers_of(sha256: &str, owner: &str) -> String {
    leftovers_with(&[
        format!("label=assay.submission={sha256}"),
        format!("label=assay.owner={owner}"),
    ])
}

fn leftovers_with(filters: &[String]) -> String {
    let filter: Vec<&str> = filters.iter().flat_map(|f| ["--filter", f.as_str()]).collect();
    let containers = Command::new("docker")
        .args(["ps", "-aq"])
        .args(&filter)
        .output()
        .unwrap();
    let volumes = Command::new("docker")
        .args(["volume", "ls", "-q"])
        .args(&filter)
        .output()
        .unwrap();
    format!(
        "{}{}",
        String::from_utf8_lossy(&containers.stdout).trim(),
        String::from_utf8_lossy(&volumes.stdout).trim()
    )
}

/// `docker ps -a` of the containers `filter` selects, one line each in `format`.
pub fn list_containers(filter: &str, format: &str) -> String {
    let listed = Command::new("docker")
        .args(["ps", "-a", "--filter", filter, "--format", format])
        .output()
        .unwrap();
    String::from_utf8_lossy(&listed.stdout).into_owned()
}

/// Name, state and labels of the submission's containers, for a failure's message.
pub fn describe_containers(sha256: &str) -> String {
    list_containers(
        &format!("label=assay.submission={sha256}"),
        "{{.ID}} {{.Names}} {{.Status}} {{.Labels}}",
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

/// A submission folder holding `files` (name, content).
pub fn submission(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, content) in files {
        write(dir.path(), name, content);
    }
    dir
}

/// A submission of one file whose content is `name`: each test gets files of its own, so
/// parallel tests never share a submission hash.
pub fn named_submission(name: &str) -> tempfile::TempDir {
    submission(&[("main.txt", name)])
}

/// An assignment of one phase, `main`, running `run`; `extra` is more TOML for the phase and
/// `rest` any other TOML.
pub fn one_phase(run: &str, extra: &str, rest: &str) -> tempfile::TempDir {
    assignment(
        &format!("[[phase]]\nname = \"main\"\nrun = '''{run}'''\n{extra}\n"),
        rest,
    )
}

/// A grade by the real binary, set up step by step:
/// `Grading::new(a, s).arg("--runs").arg("3").into(out).run()`. `run` holds every grade to
/// the same rules: a JSON report on stdout, report.json where the layout puts it and valid
/// against the schema, nothing left on the engine.
pub struct Grading {
    assignment: PathBuf,
    submission: PathBuf,
    args: Vec<String>,
    out: Option<PathBuf>,
}

/// What a grade gave: its exit code, its report, the command's output, and its folders.
pub struct Graded {
    pub code: i32,
    pub report: Report,
    pub log: String,
    /// OUT, and the submission's folder in it.
    pub out: PathBuf,
    pub dir: PathBuf,
    _temp: Option<tempfile::TempDir>,
}

impl Grading {
    pub fn new(assignment: &Path, submission: &Path) -> Grading {
        Grading {
            assignment: assignment.to_path_buf(),
            submission: submission.to_path_buf(),
            args: Vec::new(),
            out: None,
        }
    }

    /// One more argument to `assay grade`.
    pub fn arg(mut self, arg: &str) -> Grading {
        self.args.push(arg.to_string());
        self
    }

    /// Grades into `out`, which the caller keeps (default: a temp folder the result owns).
    pub fn into(mut self, out: &Path) -> Grading {
        self.out = Some(out.to_path_buf());
        self
    }

    pub fn run(self) -> Graded {
        let temp = self.out.is_none().then(|| tempfile::tempdir().unwrap());
        let out = self
            .out
            .clone()
            .unwrap_or_else(|| temp.as_ref().unwrap().path().to_path_buf());
        let mut args: Vec<String> = vec!["grade".into(), "--json".into(), "-a".into()];
        args.push(self.assignment.to_str().unwrap().into());
        args.extend(["-o".to_string(), out.to_str().unwrap().to_string()]);
        args.extend(self.args.iter().cloned());
        args.push(self.submission.to_str().unwrap().into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let output = assay(&args);
        let log = text(&output);
        let line = String::from_utf8_lossy(&output.stdout)
            .lines()
            .last()
            .unwrap_or("")
            .to_string();
        let report: Report = serde_json::from_str(&line).unwrap_or_else(|e| panic!("no JSON report ({e}): {log}"));
        let dir = assay::store::ReportDir::in_out(&out, &report.submission.sha256);
        assert!(
            dir.report_json().is_file(),
            "report.json missing at {}",
            dir.report_json().display()
        );
        assert_valid_report(&dir.report_json());
        let on_docker = !self.args.windows(2).any(|w| w[0] == "--backend" && w[1] == "process");
        if on_docker {
            assert_eq!(
                leftovers(&report.submission.sha256),
                "",
                "containers or volumes left behind"
            );
        }
        Graded {
            code: output.status.code().unwrap_or(-1),
            report,
            log,
            dir: dir.path().to_path_buf(),
            out,
            _temp: temp,
        }
    }
}

/// Grades `submission` against `assignment`; returns the exit code, the report and the log.
pub fn grade(assignment: &Path, submission: &Path) -> (i32, Report, String) {
    let graded = Grading::new(assignment, submission).run();
    (graded.code, graded.report, graded.log)
}

/// Grades into `out`, which the caller keeps (reports, logs and saved outputs).
pub fn grade_into(assignment: &Path, submission: &Path, out: &Path) -> (i32, Report, String) {
    let graded = Grading::new(assignment, submission).into(out).run();
    (graded.code, graded.report, graded.log)
}

/// The report.json at `path`.
pub fn read_report(path: &Path) -> Report {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|e| panic!("{} is not a report: {e}", path.display()))
}

pub fn phase<'a>(report: &'a Report, name: &str) -> &'a PhaseOutcome {
    report
        .phases
        .iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("no phase {name}"))
}

pub fn metric<'a>(report: &'a Report, name: &str) -> &'a MetricResult {
    report
        .metrics
        .iter()
        .find(|m| m.name == name)
        .unwrap_or_else(|| panic!("no metric {name}"))
}

/// What differs between the runs, by `what`.
pub fn differences(report: &Report) -> Vec<String> {
    report
        .reproducibility
        .differences
        .iter()
        .map(|d| d.what.clone())
        .collect()
}

/// `docker run --rm --network none`, labelled as a test's own container: removed when it
/// ends, and owned by this process, so a concurrent grade's sweep of dead owners leaves it be.
pub fn docker_run() -> Command {
    let mut command = Command::new("docker");
    command
        .args([
            "run",
            "--rm",
            "--network",
            "none",
            "--label",
            "assay.run=test-reference",
        ])
        .arg("--label")
        .arg(format!("assay.owner={}", assay::gc::owner_label()));
    command
}

/// The DOM headless Chromium makes of a local HTML file, bounded so a page that hangs fails
/// the test instead of stalling it; fails when Chromium is not installed.
pub fn chromium_dom(page: &Path) -> String {
    let chromium = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok())
        .expect("this test needs chromium and none is installed (.ci/run installs it)");
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new("timeout")
        .args([
            "60",
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--virtual-time-budget=3000",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        dom.contains("</html>"),
        "chromium printed no DOM: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    dom
}

/// Runs python3 in the sandbox image with `dir` mounted read-only at /m (test-side checks
/// against scikit-learn only; grading never bind-mounts).
pub fn sklearn(dir: &Path, script: &str) -> String {
    let output = docker_run()
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
    let schema: serde_json::Value = serde_json::from_str(assay::model::SCHEMA).unwrap();
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
