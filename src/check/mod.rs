//! Holding an assignment's solutions to what their authors expect: `expect.toml` beside each
//! solution, the judgement of a report against it, and the trusted test names `tests.lock`
//! learnt from the reference.

mod expect;
mod test_names;

use crate::model::{Report, TestStatus};
use crate::text::glob_match;
pub use expect::{EXPECT_FILE, ExpectError, Expectations, Range, load as load_expectations};
pub use test_names::{Recorded, record as record_test_names};

/// One expectation and whether it held.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub expectation: String,
    /// `None` when it held, else what differed.
    pub failure: Option<String>,
}

/// Holds a report to its expectations, one outcome per expectation.
pub fn judge(report: &Report, expect: &Expectations) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let mut check = |expectation: String, failure: Option<String>| outcomes.push(Outcome { expectation, failure });
    if let Some(verdict) = &expect.verdict {
        let got = report.verdict.as_str();
        check(
            format!("verdict {verdict}"),
            (got != verdict).then(|| format!("verdict: expected {verdict}, got {got} ({})", report.summary)),
        );
    }
    if let Some(status) = &expect.reproducibility {
        let got = report.reproducibility.status.as_str();
        let differences: Vec<String> = report
            .reproducibility
            .differences
            .iter()
            .map(|d| format!("{} {} then {}", d.what, d.first, d.other))
            .collect();
        check(
            format!("reproducibility {status}"),
            (got != *status).then(|| {
                format!(
                    "reproducibility: expected {status}, got {got} ({})",
                    differences.join(", ")
                )
            }),
        );
    }
    for (phase, verdict) in &expect.phases {
        let got = report
            .phases
            .iter()
            .find(|p| p.name == *phase)
            .map(|p| p.verdict.as_str())
            .unwrap_or("missing");
        check(
            format!("phase {phase} {verdict}"),
            (got != verdict).then(|| format!("phase {phase}: expected {verdict}, got {got}")),
        );
    }
    for (name, range) in &expect.metrics {
        let value = report.metrics.iter().find(|m| m.name == *name).and_then(|m| m.value);
        let failure = match value {
            Some(v) if range.holds(v) => None,
            Some(v) => Some(format!("metric {name}: expected {range}, got {v}")),
            None => Some(format!("metric {name}: expected {range}, got no value")),
        };
        check(format!("metric {name} {range}"), failure);
    }
    if let Some(range) = &expect.score {
        let failure = match report.score {
            Some(score) if range.holds(score.total) => None,
            Some(score) => Some(format!("score: expected {range}, got {}", score.total)),
            None => Some(format!("score: expected {range}, got none")),
        };
        check(format!("score {range}"), failure);
    }
    if let Some(patterns) = &expect.failing_tests {
        for test in &report.tests {
            let should_fail = patterns.iter().any(|p| glob_match(p, &test.name));
            let failed = test.status != TestStatus::Passed;
            let failure = match (should_fail, failed) {
                (true, false) => Some(format!("test {}: expected to fail, passed", test.name)),
                (false, true) => Some(format!(
                    "test {}: expected to pass, {}",
                    test.name,
                    test.status.as_str()
                )),
                _ => None,
            };
            check(format!("test {}", test.name), failure);
        }
        for pattern in patterns {
            if !report.tests.iter().any(|t| glob_match(pattern, &t.name)) {
                check(
                    format!("test {pattern} exists"),
                    Some(format!("test {pattern}: expected to fail, but no such test ran")),
                );
            }
        }
    }
    // A hidden test whose status flips between runs of the same solution is flaky, whatever
    // else was expected.
    for difference in report
        .reproducibility
        .differences
        .iter()
        .filter(|d| d.what.starts_with("test "))
    {
        let name = difference.what.trim_start_matches("test ");
        check(
            format!("test {name} stable"),
            Some(format!(
                "flaky hidden test {name}: {} in run 1, {} in run {}",
                difference.first, difference.other, difference.run
            )),
        );
    }
    outcomes
}
