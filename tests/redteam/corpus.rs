//! The red-team harness. Each case is a hostile submission: the files of `cases/reference`
//! with the case's own files laid over them (or an archive the test builds). It is graded
//! against a fresh copy of the corpus assignment, and then everything that must hold after
//! any case is checked:
//! - the harness answered: a report, in time, not a harness error, with bounded memory;
//! - nothing labelled for the submission is left on the require_engine, and the temp folder assay
//!   used is empty;
//! - the host canaries are unchanged: a file beside the output folder, nothing new beside
//!   it, and the hashes of every file of the assignment;
//! - the canary planted in the hidden labels appears in nothing assay wrote or printed.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use assay::store::ReportDir;

use crate::common::{PhaseOutcome, Report, RunVerdict, leftovers, leftovers_of, list_containers, repo, sandbox_image};

/// The most a grade of one case may take before the harness counts as hung.
const DEADLINE: Duration = Duration::from_secs(180);

/// The most resident memory assay may use on any case (KiB).
const MAX_RSS_KIB: i64 = 160 * 1024;

pub fn corpus_dir() -> PathBuf {
    repo().join("tests/redteam")
}

/// A submission folder: the reference files with the case's files laid over them.
pub fn case(name: &str) -> tempfile::TempDir {
    case_in(&corpus_dir(), name)
}

/// A case of the corpus whose folders are under `root` (`assignment/`, `cases/`).
pub fn case_in(root: &Path, name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&root.join("cases/reference"), dir.path());
    if name != "reference" {
        let own = root.join("cases").join(name);
        assert!(own.is_dir(), "no case folder {}", own.display());
        copy_tree(&own, dir.path());
    }
    dir
}

/// A fresh copy of the corpus assignment with its own canary, and the host-side canaries.
pub struct Corpus {
    pub assignment: tempfile::TempDir,
    /// Planted in the hidden labels; must never reach anything candidate code can read.
    pub canary: String,
    /// Holds `canary.txt`, `tmp/` (assay's TMPDIR) and `out/` (assay's -o).
    outside: tempfile::TempDir,
    host_canary: String,
    assignment_hashes: BTreeMap<PathBuf, String>,
}

/// What one grade left: the exit code, the report, and what assay printed.
pub struct Graded {
    pub exit: i32,
    pub report: Report,
    pub reports: Vec<Report>,
    pub folder: PathBuf,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Graded {
    pub fn phase(&self, name: &str) -> &PhaseOutcome {
        crate::common::phase(&self.report, name)
    }

    pub fn verdict(&self) -> &str {
        self.report.verdict.as_str()
    }

    pub fn score(&self) -> f64 {
        self.report.score.map(|s| s.total).unwrap_or(f64::NAN)
    }

    pub fn metric(&self, name: &str) -> Option<f64> {
        self.report.metrics.iter().find(|m| m.name == name)?.value
    }

    /// The phase's stdout and stderr tails, for assertions and messages.
    pub fn output(&self, phase: &str) -> String {
        let phase = self.phase(phase);
        format!("{}{}", phase.stdout_tail, phase.stderr_tail)
    }

    pub fn file(&self, name: &str) -> String {
        std::fs::read_to_string(self.folder.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    pub fn log(&self) -> String {
        format!("stdout:\n{}\nstderr:\n{}", self.stdout, self.stderr)
    }
}

impl Corpus {
    pub fn new() -> Corpus {
        Corpus::of(&corpus_dir())
    }

    /// The corpus whose assignment is `root/assignment`.
    pub fn of(root: &Path) -> Corpus {
        sandbox_image();
        let assignment = tempfile::tempdir().unwrap();
        copy_tree(&root.join("assignment"), assignment.path());
        let canary = format!("ASSAY-CANARY-{}", random_hex());
        let labels = assignment.path().join("hidden/labels.csv");
        let planted = std::fs::read_to_string(&labels).unwrap().replace("CANARY", &canary);
        std::fs::write(&labels, planted).unwrap();
        let outside = tempfile::tempdir().unwrap();
        let host_canary = format!("host canary {}", random_hex());
        std::fs::write(outside.path().join("canary.txt"), &host_canary).unwrap();
        std::fs::create_dir(outside.path().join("tmp")).unwrap();
        let assignment_hashes = hashes(assignment.path());
        Corpus {
            assignment,
            canary,
            outside,
            host_canary,
            assignment_hashes,
        }
    }

    pub fn out(&self) -> PathBuf {
        self.outside.path().join("out")
    }

    /// Grades one submission (a folder or an archive) and checks every invariant.
    pub fn grade(&self, submission: &Path) -> Graded {
        self.grade_args(&[submission.to_str().unwrap()])
    }

    /// Grades with these extra arguments (submissions, `--dir`, `-j`) and checks every
    /// invariant for each report printed.
    pub fn grade_args(&self, extra: &[&str]) -> Graded {
        let mut args = vec![
            "grade".to_string(),
            "-a".to_string(),
            self.assignment.path().display().to_string(),
            "-o".to_string(),
            self.out().display().to_string(),
            "--json".to_string(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let started = Instant::now();
        let run = run_measured(&args, &self.outside.path().join("tmp"));
        let elapsed = started.elapsed();
        let log = format!("stdout:\n{}\nstderr:\n{}", run.stdout, run.stderr);
        // 0 passed, 1 failed, 2 refused submission (or bad input); never 3 (the harness failed).
        assert!(
            (0..=2).contains(&run.exit),
            "assay exited {} (0, 1 or 2 expected: a grade, not a harness failure):\n{log}",
            run.exit
        );
        assert!(
            run.max_rss_kib < MAX_RSS_KIB,
            "assay used {} KiB of memory (limit {MAX_RSS_KIB} KiB)",
            run.max_rss_kib
        );
        let reports: Vec<Report> = run
            .stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON report ({e}): {line}\n{log}")))
            .collect();
        assert!(!reports.is_empty(), "no report:\n{log}");
        for report in &reports {
            self.check_invariants(report, &run.owner, &run.stdout, &run.stderr);
        }
        if run.exit == 2 {
            assert!(
                reports.iter().all(|r| r.verdict == RunVerdict::InvalidSubmission),
                "exit 2 without a refused submission:\n{log}"
            );
        }
        let report = reports[0].clone();
        let folder = ReportDir::in_out(&self.out(), &report.submission.sha256);
        Graded {
            exit: run.exit,
            folder: folder.path().to_path_buf(),
            report,
            reports,
            stdout: run.stdout,
            stderr: run.stderr,
            elapsed,
        }
    }

    fn check_invariants(&self, report: &Report, owner: &str, stdout: &str, stderr: &str) {
        let sha = report.submission.sha256.as_str();
        let folder = ReportDir::in_out(&self.out(), sha).path().to_path_buf();
        assert!(
            folder.join("report.json").is_file(),
            "no report.json in {}",
            folder.display()
        );
        crate::common::assert_valid_report(&folder.join("report.json"));
        // Only what this process made: another test may be grading the same archive right now.
        let left = leftovers_of(sha, owner);
        assert!(
            left.is_empty(),
            "containers or volumes of the submission were left: {left}\n{}\nstderr:\n{stderr}",
            crate::common::describe_containers(sha)
        );
        let networks = Command::new("docker")
            .args([
                "network",
                "ls",
                "-q",
                "--filter",
                &format!("label=assay.submission={sha}"),
            ])
            .output()
            .unwrap();
        assert!(networks.stdout.is_empty(), "networks of the submission were left");
        let engine = Command::new("docker")
            .args(["version", "-f", "{{.Server.Version}}"])
            .output()
            .unwrap();
        assert!(engine.status.success(), "the engine no longer answers");

        let tmp: Vec<_> = std::fs::read_dir(self.outside.path().join("tmp")).unwrap().collect();
        assert!(tmp.is_empty(), "assay left {} entries in its temp folder", tmp.len());
        let mut beside: Vec<String> = std::fs::read_dir(self.outside.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        beside.sort();
        assert_eq!(
            beside,
            ["canary.txt", "out", "tmp"],
            "something was written beside the output folder"
        );
        assert_eq!(
            std::fs::read_to_string(self.outside.path().join("canary.txt")).unwrap(),
            self.host_canary,
            "the host canary changed"
        );
        assert_eq!(
            hashes(self.assignment.path()),
            self.assignment_hashes,
            "the assignment's files changed"
        );

        assert!(!stdout.contains(&self.canary), "the label canary is in assay's stdout");
        assert!(!stderr.contains(&self.canary), "the label canary is in assay's stderr");
        for file in files(&self.out()) {
            let bytes = std::fs::read(&file).unwrap();
            assert!(
                !contains(&bytes, self.canary.as_bytes()),
                "the label canary is in {}",
                file.display()
            );
        }
    }
}

impl Corpus {
    /// Starts a grade, SIGKILLs assay once the build phase's container exists, and returns
    /// the submission's hash (its containers are left behind for the next start to reap).
    pub fn kill_mid_phase(&self, submission: &Path) -> String {
        let mut child = Command::new(env!("CARGO_BIN_EXE_assay"))
            .args(["grade", "-a"])
            .arg(self.assignment.path())
            .arg("-o")
            .arg(self.out())
            .arg(submission)
            .env("TMPDIR", self.outside.path().join("tmp"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let filter = format!("label=assay.owner={}/{}", assay::gc::hostname(), child.id());
        let deadline = Instant::now() + Duration::from_secs(60);
        let sha = loop {
            let listed = list_containers(&filter, "{{.Label \"assay.submission\"}}");
            let listed = listed.trim();
            if !listed.is_empty() {
                break listed.lines().next().unwrap().to_string();
            }
            assert!(Instant::now() < deadline, "no container appeared");
            std::thread::sleep(Duration::from_millis(100));
        };
        child.kill().unwrap();
        child.wait().unwrap();
        assert_ne!(
            leftovers(&sha),
            "",
            "the killed grade's container should still be there"
        );
        sha
    }
}

struct Measured {
    /// The owner label of what this assay process made (`host/pid`).
    owner: String,
    exit: i32,
    stdout: String,
    stderr: String,
    max_rss_kib: i64,
}

/// Runs assay with its own TMPDIR and reaps it with wait4, which reports its peak memory.
#[allow(clippy::zombie_processes)] // reaped by wait4, not Child::wait
fn run_measured(args: &[String], tmp: &Path) -> Measured {
    let mut child = Command::new(env!("CARGO_BIN_EXE_assay"))
        .args(args)
        .current_dir(repo())
        .env("TMPDIR", tmp)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running assay");
    let mut stdout_pipe = child.stdout.take().unwrap();
    let mut stderr_pipe = child.stderr.take().unwrap();
    let stdout = std::thread::spawn(move || {
        let mut text = String::new();
        stdout_pipe.read_to_string(&mut text).unwrap();
        text
    });
    let stderr = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stderr_pipe.read_to_end(&mut bytes).unwrap();
        String::from_utf8_lossy(&bytes).into_owned()
    });
    let pid = child.id() as libc::pid_t;
    let started = Instant::now();
    // The child's own peak, read while it lives: wait4's ru_maxrss would also count this test
    // process's peak, which a spawned child inherits at exec (other cases read large outputs).
    let mut peak_kib = 0;
    let (status, _usage) = loop {
        peak_kib = peak_kib.max(resident_peak_kib(pid));
        let mut status = 0;
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: wait4 on our own child with valid out-pointers.
        let reaped = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if reaped == pid {
            break (status, usage);
        }
        if started.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("assay did not finish within {DEADLINE:?}: the harness hung");
        }
        std::thread::sleep(Duration::from_millis(25));
    };
    let exit = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -libc::WTERMSIG(status)
    };
    Measured {
        owner: format!("{}/{pid}", assay::gc::hostname()),
        exit,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
        max_rss_kib: peak_kib,
    }
}

/// VmHWM of a live process (0 once it has exited).
fn resident_peak_kib(pid: libc::pid_t) -> i64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmHWM:"))?.to_string();
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

fn random_hex() -> String {
    let mut bytes = [0u8; 12];
    std::fs::File::open("/dev/urandom")
        .unwrap()
        .read_exact(&mut bytes)
        .unwrap();
    hex::encode(bytes)
}

pub fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every regular file under `root`, recursively (symlinks are not followed).
pub fn files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(root) else {
        return found;
    };
    for entry in entries {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        if kind.is_dir() {
            found.extend(files(&entry.path()));
        } else if kind.is_file() {
            found.push(entry.path());
        }
    }
    found
}

fn hashes(root: &Path) -> BTreeMap<PathBuf, String> {
    files(root)
        .into_iter()
        .map(|file| {
            let digest = Sha256::digest(std::fs::read(&file).unwrap());
            (file.strip_prefix(root).unwrap().to_path_buf(), hex::encode(digest))
        })
        .collect()
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
