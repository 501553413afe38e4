//! The spec exactly as written in `assignment.toml`: serde types with no meaning attached yet.
//! Unknown keys are refused here; everything else is checked when building a `Spec`.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSpec {
    pub assignment: RawAssignment,
    #[serde(default)]
    pub sandbox: RawSandbox,
    #[serde(default)]
    pub intake: RawIntake,
    #[serde(default, rename = "phase")]
    pub phases: Vec<RawPhase>,
    #[serde(default, rename = "metric")]
    pub metrics: Vec<RawMetric>,
    #[serde(default, rename = "scorer")]
    pub scorers: Vec<RawScorer>,
    #[serde(default, rename = "test_group")]
    pub test_groups: Vec<RawTestGroup>,
    #[serde(default)]
    pub reproducibility: RawReproducibility,
    #[serde(default, rename = "rubric")]
    pub rubric: Vec<RawCriterion>,
    #[serde(default)]
    pub review: RawReview,
    #[serde(default)]
    pub similarity: RawSimilarity,
    #[serde(default)]
    pub round: RawRound,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSimilarity {
    pub starter: Option<String>,
    pub corpus: Option<String>,
    pub threshold: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRound {
    pub canary: Option<bool>,
    pub drift: Option<f64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReview {
    pub blind: Option<bool>,
    pub reviewers: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAssignment {
    pub id: String,
    pub title: String,
    pub version: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSandbox {
    pub image: Option<String>,
    pub build: Option<String>,
    pub memory: Option<String>,
    pub cpus: Option<f64>,
    pub pids: Option<i64>,
    pub output_limit: Option<String>,
    pub workspace_size: Option<String>,
    pub tmp_size: Option<String>,
    pub file_size: Option<String>,
    pub open_files: Option<i64>,
    pub timeout: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawIntake {
    pub max_entries: Option<i64>,
    pub max_bytes: Option<String>,
    pub max_depth: Option<i64>,
    pub max_name_length: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPhase {
    pub name: String,
    pub run: Option<String>,
    pub service: Option<String>,
    pub notebook: Option<String>,
    pub cell_timeout: Option<String>,
    pub claims_tolerance: Option<f64>,
    pub timeout: Option<String>,
    #[serde(default)]
    pub inputs: BTreeMap<String, String>,
    #[serde(default)]
    pub outputs: Vec<String>,
    pub junit: Option<String>,
    pub gradescope: Option<String>,
    pub expected_tests: Option<i64>,
    pub ok_exit_codes: Option<Vec<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMetric {
    pub name: String,
    pub kind: String,
    pub predictions: Option<String>,
    pub labels: Option<String>,
    pub key: Option<String>,
    pub column: Option<String>,
    pub average: Option<String>,
    pub pos_label: Option<RawLabel>,
    pub probability_prefix: Option<String>,
    pub phase: Option<String>,
    pub scorer: Option<String>,
    pub value: Option<String>,
    pub direction: Option<String>,
    #[serde(default = "default_weight")]
    pub weight: f64,
    pub pass_at: Option<f64>,
    pub floor: Option<f64>,
    pub target: Option<f64>,
    pub required: Option<bool>,
    pub tolerance: Option<f64>,
    pub visibility: Option<String>,
}

/// A class label written as text or as a number.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawLabel {
    Text(String),
    Integer(i64),
}

impl RawLabel {
    pub fn text(&self) -> String {
        match self {
            RawLabel::Text(text) => text.clone(),
            RawLabel::Integer(n) => n.to_string(),
        }
    }
}

fn default_weight() -> f64 {
    1.0
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReproducibility {
    pub runs: Option<i64>,
    pub tolerance: Option<f64>,
    pub seed_runs: Option<i64>,
    #[serde(default)]
    pub ignore_outputs: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCriterion {
    pub criterion: String,
    pub weight: f64,
    pub levels: Vec<String>,
    pub guidance: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScorer {
    pub name: String,
    pub run: String,
    pub image: Option<String>,
    pub timeout: Option<String>,
    pub predictions: String,
    pub labels: String,
    pub files: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTestGroup {
    pub name: String,
    #[serde(rename = "match")]
    pub patterns: RawPatterns,
    pub weight: f64,
    pub pass_at: Option<f64>,
    pub visibility: Option<String>,
    pub show_names: Option<bool>,
}

/// One glob or a list of them.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawPatterns {
    One(String),
    Many(Vec<String>),
}
