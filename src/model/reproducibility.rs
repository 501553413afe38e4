//! What a report says about reruns: whether the runs of one submission agreed.

use serde::{Deserialize, Serialize};

/// One way two runs disagree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// What differs, e.g. `metric accuracy`, `test test_x::test_a`, `phase predict`.
    pub what: String,
    /// The run compared with the first (2 is the first rerun).
    pub run: u32,
    pub first: String,
    pub other: String,
    /// A verdict, a test status or a pass/fail decision differs, not only a value.
    pub decision: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReproducibilityStatus {
    /// Every run agrees within tolerance.
    Reproducible,
    /// Values differ, but every verdict and pass/fail decision agrees.
    Nondeterministic,
    /// A verdict, a test status or a pass/fail decision differs.
    Unstable,
    /// Only one run.
    Skipped,
}

impl ReproducibilityStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ReproducibilityStatus::Reproducible => "reproducible",
            ReproducibilityStatus::Nondeterministic => "nondeterministic",
            ReproducibilityStatus::Unstable => "unstable",
            ReproducibilityStatus::Skipped => "skipped",
        }
    }
}

/// The spread of one metric over runs with different seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeedSpread {
    pub metric: String,
    pub seeds: Vec<u64>,
    pub values: Vec<Option<f64>>,
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// Population standard deviation of the values present.
    pub std_dev: Option<f64>,
}

/// What the report says about reruns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    pub runs: u32,
    pub status: ReproducibilityStatus,
    pub tolerance: f64,
    pub differences: Vec<Difference>,
    pub seed_runs: u32,
    pub seed_sensitivity: Vec<SeedSpread>,
}

impl Assessment {
    pub fn skipped() -> Self {
        Assessment {
            runs: 1,
            status: ReproducibilityStatus::Skipped,
            tolerance: 0.0,
            differences: Vec::new(),
            seed_runs: 0,
            seed_sensitivity: Vec::new(),
        }
    }
}
