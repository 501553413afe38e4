//! Objective metrics, computed on the host from copied-out predictions and hidden labels.

mod table;

use std::path::Path;

pub use table::{Joined, join};

use crate::spec::MetricKind;

/// Computes one metric; `Err` says why the predictions cannot be scored.
pub fn compute(
    kind: MetricKind,
    predictions: &Path,
    labels: &Path,
    key: &str,
    column: &str,
) -> Result<f64, String> {
    let joined = join(predictions, labels, key, column)?;
    match kind {
        MetricKind::Accuracy => Ok(accuracy(&joined.labels, &joined.predictions)),
    }
}

/// Share of exact matches; 0 for an empty set.
pub fn accuracy(labels: &[String], predictions: &[String]) -> f64 {
    if labels.is_empty() {
        return 0.0;
    }
    let right = labels
        .iter()
        .zip(predictions)
        .filter(|(l, p)| same_label(l, p))
        .count();
    right as f64 / labels.len() as f64
}

/// Labels match as text, or as numbers when both are numbers (`3` and `3.0`).
fn same_label(label: &str, prediction: &str) -> bool {
    label == prediction
        || matches!((label.parse::<f64>(), prediction.parse::<f64>()), (Ok(a), Ok(b)) if a == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_counts_exact_matches() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            accuracy(&s(&["1", "2", "3", "4"]), &s(&["1", "2", "0", "4"])),
            0.75
        );
        assert_eq!(accuracy(&[], &[]), 0.0);
        assert_eq!(accuracy(&s(&["3", "cat"]), &s(&["3.0", "cat"])), 1.0);
    }
}
