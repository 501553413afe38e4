//! `report.json`: the contract other tools and people read (see DESIGN.md).

use serde::{Deserialize, Serialize};

use super::{Assessment, PhaseOutcome, Review};
use crate::metrics::ConfusionMatrix;
use crate::spec::{Criterion, Direction, Visibility};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunVerdict {
    Passed,
    Failed,
    InvalidSubmission,
    HarnessError,
}

impl RunVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            RunVerdict::Passed => "passed",
            RunVerdict::Failed => "failed",
            RunVerdict::InvalidSubmission => "invalid_submission",
            RunVerdict::HarnessError => "harness_error",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TestStatus {
    Passed,
    Failed,
    Error,
    Skipped,
}

impl TestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TestStatus::Passed => "passed",
            TestStatus::Failed => "failed",
            TestStatus::Error => "error",
            TestStatus::Skipped => "skipped",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub assignment: AssignmentInfo,
    pub submission: SubmissionInfo,
    pub verdict: RunVerdict,
    /// Why the verdict is what it is, in a sentence or two.
    pub summary: String,
    /// Absent when the harness failed: a harness error is never scored.
    pub score: Option<Score>,
    pub phases: Vec<PhaseOutcome>,
    pub metrics: Vec<MetricResult>,
    pub tests: Vec<TestResult>,
    pub test_groups: Vec<TestGroupResult>,
    /// The claims check of each notebook phase: the notebook handed in against its re-run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notebooks: Vec<crate::notebook::NotebookCheck>,
    /// What each Gradescope autograder phase said besides its tests.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub autograders: Vec<AutograderResult>,
    pub reproducibility: Assessment,
    /// The declared outputs as scored, by content hash.
    pub outputs: Vec<OutputDigest>,
    pub isolation: String,
    /// The criteria reviewers score by hand, from the spec.
    pub rubric: Vec<Criterion>,
    /// The merged rubric review, once `assay review merge` ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<Review>,
    pub provenance: Provenance,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AssignmentInfo {
    pub id: String,
    /// The assignment folder graded against, for `assay regrade`.
    pub path: String,
    pub version: String,
    pub spec_sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SubmissionInfo {
    pub sha256: String,
    pub name: String,
    pub files: u64,
    pub bytes: u64,
    /// Why the submission was refused, when it was.
    pub rejection: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Score {
    pub total: f64,
    pub max: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MetricResult {
    pub name: String,
    pub kind: String,
    /// Absent when the metric could not be computed; `message` says why.
    pub value: Option<f64>,
    pub direction: Direction,
    pub weight: f64,
    pub pass_at: Option<f64>,
    /// Missing the threshold fails the run.
    pub required: bool,
    pub passed: bool,
    /// Share of the weight earned, 0..1.
    pub credit: f64,
    /// weight × credit.
    pub points: f64,
    /// The metric failed because of the assignment, not the candidate.
    pub assignment_error: bool,
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confusion_matrix: Option<ConfusionMatrix>,
    /// Whether feedback.md may show it.
    pub visibility: Visibility,
    /// The class counted as positive by a binary metric (the spec's `pos_label`, else 1 for
    /// 0/1 labels, else the larger of the two classes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos_label: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestResult {
    pub name: String,
    pub phase: String,
    pub group: Option<String>,
    pub status: TestStatus,
    /// This test's share of its group's weight.
    pub weight: f64,
    pub seconds: Option<f64>,
    pub message: Option<String>,
    /// Written in a container that ran candidate code, so the candidate could have forged it.
    pub candidate_influenced: bool,
    /// Its group's visibility; hidden when it belongs to none.
    pub visibility: Visibility,
    /// The name is one `tests.lock` lists; only trusted names are ever shown to a candidate.
    #[serde(default)]
    pub trusted: bool,
    /// Points earned, for a test of a Gradescope autograder (its `weight` is the max_score).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
}

/// What a Gradescope autograder said besides its tests.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AutograderResult {
    pub phase: String,
    /// Its overall `score`, when it gave one.
    pub score: Option<f64>,
    /// Its overall `output`, made plain and cut at 16 KiB.
    pub output: String,
    /// Its `stdout_visibility`: whether feedback.md shows the output.
    pub output_visibility: Visibility,
    /// Its `extra_data`, as JSON, when at most 64 KiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_data: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TestGroupResult {
    pub name: String,
    pub passed_tests: u64,
    pub total_tests: u64,
    pub weight: f64,
    pub points: f64,
    pub pass_at: Option<f64>,
    /// The group met its `pass_at` share (true when it has none).
    pub passed: bool,
    pub visibility: Visibility,
    /// feedback.md may list the group's trusted test names.
    #[serde(default)]
    pub show_names: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutputDigest {
    pub phase: String,
    pub path: String,
    pub sha256: String,
    pub bytes: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Provenance {
    pub assay_version: String,
    pub image: String,
    pub image_id: String,
    pub engine_version: String,
    pub started_at: String,
    pub finished_at: String,
    pub run_id: String,
}
