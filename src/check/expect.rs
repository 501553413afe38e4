//! `expect.toml`: what grading a known solution must give.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Expectations of one solution; every key is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectations {
    /// passed | failed | invalid_submission | harness_error
    pub verdict: Option<String>,
    /// reproducible | nondeterministic | unstable | skipped
    pub reproducibility: Option<String>,
    /// Phase name → verdict.
    #[serde(default)]
    pub phases: BTreeMap<String, String>,
    /// Metric name → range.
    #[serde(default)]
    pub metrics: BTreeMap<String, Range>,
    pub score: Option<Range>,
    /// Hidden tests (names or globs) that must fail; every other test must pass.
    pub failing_tests: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct Range {
    pub min: Option<f64>,
    pub max: Option<f64>,
}

impl Range {
    pub fn holds(&self, value: f64) -> bool {
        self.min.is_none_or(|min| value >= min) && self.max.is_none_or(|max| value <= max)
    }
}

impl std::fmt::Display for Range {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.min, self.max) {
            (Some(min), Some(max)) => write!(f, "{min}..{max}"),
            (Some(min), None) => write!(f, ">= {min}"),
            (None, Some(max)) => write!(f, "<= {max}"),
            (None, None) => f.write_str("any"),
        }
    }
}

pub const EXPECT_FILE: &str = "expect.toml";

/// Why a solution's `expect.toml` cannot be used: the author's to fix.
#[derive(Debug, thiserror::Error)]
pub enum ExpectError {
    #[error("{}: {error}; a known-bad solution must say what it expects", path.display())]
    Missing { path: PathBuf, error: std::io::Error },
    #[error("{}: {error}", path.display())]
    Invalid { path: PathBuf, error: toml::de::Error },
}

/// Reads a solution's `expect.toml`. The reference solution needs none: it must pass and be
/// reproducible. Any other solution must say what it expects.
pub fn load(solution: &Path, reference: bool) -> Result<Expectations, ExpectError> {
    let path = solution.join(EXPECT_FILE);
    let mut expectations = match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str::<Expectations>(&text).map_err(|error| ExpectError::Invalid {
            path: path.clone(),
            error,
        })?,
        Err(_) if reference => Expectations::default(),
        Err(error) => return Err(ExpectError::Missing { path, error }),
    };
    if reference {
        expectations.verdict.get_or_insert_with(|| "passed".to_string());
        expectations
            .reproducibility
            .get_or_insert_with(|| "reproducible".to_string());
    }
    Ok(expectations)
}
