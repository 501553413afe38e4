//! An assignment's spec: `assignment.toml` parsed, checked and given meaning.

pub mod bounds;
mod diagnostic;
mod load;
mod metric;
mod raw;
pub mod test_names;

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use diagnostic::{KeyPath, SpecError};
pub use load::{InvalidSpec, SPEC_FILE, is_identifier, load, load_valid};
pub use metric::{Average, Direction, Metric, MetricKind, MetricSource};
pub use test_names::{LOCK_FILE, TestNames};

/// A validated assignment spec; everything the rest of assay reads about an assignment.
#[derive(Debug, Clone)]
pub struct Spec {
    /// The assignment folder.
    pub dir: PathBuf,
    /// sha256 of the spec file's bytes.
    pub sha256: String,
    pub id: String,
    pub title: String,
    pub version: String,
    pub sandbox: Sandbox,
    pub intake: IntakeLimits,
    pub phases: Vec<Phase>,
    pub metrics: Vec<Metric>,
    pub scorers: Vec<Scorer>,
    /// The declared groups; with none, one implicit group of every hidden test, all of which
    /// must pass (`TestGroup::implicit`).
    pub test_groups: Vec<TestGroup>,
    /// The trusted hidden test names (`tests.lock`), when `assay check` has recorded them.
    pub test_names: Option<TestNames>,
    pub reproducibility: Reproducibility,
    pub rubric: Vec<Criterion>,
    pub review: ReviewSettings,
    pub similarity: SimilaritySettings,
    pub round: RoundSettings,
    /// Legal but risky choices, located like errors (`assay validate` prints them).
    pub warnings: Vec<SpecError>,
}

impl Spec {
    /// The names of the phases that write hidden test results (a JUnit file or a Gradescope
    /// results.json).
    pub fn junit_phases(&self) -> Vec<&str> {
        self.phases
            .iter()
            .filter(|p| p.junit.is_some() || p.gradescope.is_some())
            .map(|p| p.name.as_str())
            .collect()
    }
}

/// `[similarity]`: what similarity across a round leaves out and compares against.
#[derive(Debug, Clone, PartialEq)]
pub struct SimilaritySettings {
    /// Files every candidate was given (default `starter/` when it exists), relative to the
    /// assignment folder: never counted as similarity.
    pub starter: Option<PathBuf>,
    /// A folder of known public solutions, one per entry, compared with every submission.
    pub corpus: Option<PathBuf>,
    /// Share of the smaller submission found in the other at which a pair is flagged.
    pub threshold: f64,
}

/// The relative change in a canary's phase times that counts as drift, unless set.
pub const DEFAULT_DRIFT: f64 = 0.25;

/// `[round]`: the conditions a round is graded under.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundSettings {
    /// Grade the reference solution at the start and end of a round (a canary).
    pub canary: bool,
    /// Relative change in the canary's phase times past which conditions are said to drift.
    pub drift: f64,
}

/// Limits and image for every container that runs candidate code.
#[derive(Debug, Clone, PartialEq)]
pub struct Sandbox {
    pub image: String,
    /// A folder of the assignment holding a Dockerfile that `image` is built from (the
    /// assignment's own image, e.g. an imported Gradescope autograder).
    pub build: Option<PathBuf>,
    pub memory_bytes: u64,
    pub cpus: f64,
    pub pids: i64,
    /// Cap on stdout plus stderr of one phase.
    pub output_limit_bytes: u64,
    /// Size of the writable `/workspace`.
    pub workspace_bytes: u64,
    /// Size of the writable `/tmp` and of `/out`, each.
    pub tmp_bytes: u64,
    /// Largest file a process may write (RLIMIT_FSIZE).
    pub file_size_bytes: u64,
    pub open_files: u64,
    /// Wall-clock limit of a phase that sets none.
    pub default_timeout: Duration,
}

/// What an unpacked submission may hold.
#[derive(Debug, Clone, PartialEq)]
pub struct IntakeLimits {
    pub max_entries: u64,
    pub max_bytes: u64,
    pub max_depth: usize,
    pub max_name_length: usize,
}

/// One step of grading, run in a fresh container.
#[derive(Debug, Clone)]
pub struct Phase {
    pub name: String,
    /// The command whose exit ends the phase: the candidate's code, or, with a service, the
    /// author's trusted client, run as a user candidate code cannot signal or write as.
    pub run: String,
    /// The candidate's long-running program (a server), started before `run` and stopped
    /// after it. Only `run` can write `/out`.
    pub service: Option<String>,
    pub timeout: Duration,
    pub inputs: Vec<Input>,
    /// Absolute paths in the container, copied out after the phase.
    pub outputs: Vec<String>,
    /// A JUnit XML file the phase writes (one of its outputs): its hidden test results.
    pub junit: Option<String>,
    /// A Gradescope `results.json` the phase writes (one of its outputs): its hidden test
    /// results with their scores, leaderboard and output.
    pub gradescope: Option<String>,
    /// How many test cases the JUnit file must hold; another count is invalid output.
    pub expected_tests: Option<u64>,
    /// Exit codes that count as the phase completing (a test run that found failures
    /// exits 1 and still reports them).
    pub ok_exit_codes: Vec<i64>,
    /// A notebook phase: the candidate's notebook run top to bottom, its claims checked.
    pub notebook: Option<NotebookPhase>,
}

/// Where a notebook phase writes the executed notebook.
pub const EXECUTED_NOTEBOOK: &str = "/out/notebook.ipynb";

/// The runner script in the sandbox image (`sandbox-images/python-ml/assay_notebook.py`).
pub const NOTEBOOK_RUNNER: &str = "/usr/local/lib/assay/notebook.py";

/// The claims tolerance of a notebook phase that sets none.
pub const DEFAULT_CLAIMS_TOLERANCE: f64 = 1e-6;

/// `notebook = "PATH"` on a phase: the kernel runs as the candidate (the phase's service), the
/// runner as the grader's user, which alone writes the executed notebook.
#[derive(Debug, Clone, PartialEq)]
pub struct NotebookPhase {
    /// The notebook's path in the submission.
    pub path: String,
    pub cell_timeout: Duration,
    /// How far a printed number may move and still reproduce: absolute up to 1, relative to
    /// the claimed value above.
    pub tolerance: f64,
}

/// What feedback.md, the report safe to send to the candidate, may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Visible,
    Hidden,
    /// Shown once the rubric review is merged.
    AfterReview,
}

impl Visibility {
    pub fn parse(text: &str) -> Option<Visibility> {
        match text {
            "visible" => Some(Visibility::Visible),
            "hidden" => Some(Visibility::Hidden),
            "after_review" => Some(Visibility::AfterReview),
            _ => None,
        }
    }
}

/// Hidden tests whose names match `patterns` (globs) share `weight` by the share that pass.
#[derive(Debug, Clone, PartialEq)]
pub struct TestGroup {
    pub name: String,
    pub patterns: Vec<String>,
    pub weight: f64,
    /// The share of the group's tests that must pass, when it is required.
    pub pass_at: Option<f64>,
    /// Hidden unless the author shows it: test names can give hidden tests away.
    pub visibility: Visibility,
    /// feedback.md lists the group's trusted test names, not only its counts.
    pub show_names: bool,
}

impl TestGroup {
    /// The group of a spec with JUnit phases and no `[[test_group]]`: every hidden test, all
    /// of which must pass. It weighs nothing; a failing test fails the grade.
    pub fn implicit() -> TestGroup {
        TestGroup {
            name: "hidden tests".to_string(),
            patterns: vec!["*".to_string()],
            weight: 0.0,
            pass_at: Some(1.0),
            visibility: Visibility::Hidden,
            show_names: false,
        }
    }

    /// Tests matched by no declared group: they must all pass, so a test nobody grouped can
    /// still fail a grade.
    pub fn ungrouped() -> TestGroup {
        TestGroup {
            name: "ungrouped tests".to_string(),
            patterns: Vec::new(),
            weight: 0.0,
            pass_at: Some(1.0),
            visibility: Visibility::Hidden,
            show_names: false,
        }
    }

    pub fn matches(&self, name: &str) -> bool {
        self.patterns.iter().any(|p| crate::text::glob_match(p, name))
    }
}

/// Files put into a phase's container at `mount`, read-only for the candidate's purposes.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub mount: String,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// A file or folder of the assignment, relative to its folder.
    Assignment(PathBuf),
    /// A file an earlier phase declared as an output.
    PhaseOutput(OutputRef),
}

/// `phase:/absolute/path`, naming a declared output of a phase.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OutputRef {
    pub phase: String,
    pub path: String,
}

impl std::fmt::Display for OutputRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.phase, self.path)
    }
}

/// A trusted command that scores predictions in a container of its own, seeing only the
/// predictions (at `/predictions/NAME`), the labels (at `/labels/NAME`) and its own files (at
/// `/scorer`), and writing `/out/scores.json` as `{"name": number}`.
#[derive(Debug, Clone)]
pub struct Scorer {
    pub name: String,
    pub run: String,
    pub image: String,
    pub timeout: Duration,
    pub predictions: OutputRef,
    pub labels: PathBuf,
    pub files: Option<PathBuf>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reproducibility {
    /// How many times the whole grade runs with the same seed; results are compared.
    pub runs: u32,
    /// Largest absolute difference of a metric between runs still counted as equal.
    pub tolerance: f64,
    /// Extra runs with other seeds, to show how much a metric depends on luck.
    pub seed_runs: u32,
    /// Outputs (`phase:/path`) not compared by content, e.g. ones that record timings.
    pub ignore_outputs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Criterion {
    pub criterion: String,
    pub weight: f64,
    pub levels: Vec<String>,
    /// What reviewers should look for, shown beside the levels.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub guidance: String,
}

/// `[review]`: how reviewers score submissions in the browser.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReviewSettings {
    /// Reviewers see a pseudonym, not the candidate, until they submit their own scores.
    pub blind: bool,
    /// How many reviewers each submission gets.
    pub reviewers: u32,
}

impl Default for ReviewSettings {
    fn default() -> ReviewSettings {
        ReviewSettings {
            blind: true,
            reviewers: 2,
        }
    }
}
