//! Metrics on predicted classes, defined as scikit-learn defines them (zero_division = 0).

use crate::spec::Average;
use serde::{Deserialize, Serialize};

use super::labels::{Encoded, canonical, encode};

/// Rows are true classes, columns predicted classes, both in `classes` order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfusionMatrix {
    pub classes: Vec<String>,
    pub counts: Vec<Vec<u64>>,
}

pub fn confusion_matrix(truth: &[&str], predicted: &[&str]) -> ConfusionMatrix {
    confusion_and_truth_classes(encode(truth, predicted)).0
}

/// The matrix of encoded columns, and the truth's own classes (see `Encoded`).
pub fn confusion_and_truth_classes(encoded: Encoded) -> (ConfusionMatrix, Vec<String>) {
    let Encoded {
        classes,
        truth,
        predicted,
        truth_classes,
    } = encoded;
    let mut counts = vec![vec![0u64; classes.len()]; classes.len()];
    for (&t, &p) in truth.iter().zip(&predicted) {
        counts[t][p] += 1;
    }
    (ConfusionMatrix { classes, counts }, truth_classes)
}

/// The name of the row and column that gather the classes a report leaves out.
pub const OTHER_CLASSES: &str = "(other classes)";

impl ConfusionMatrix {
    /// The matrix a report shows: the `max` true classes with the most rows, in class order,
    /// then one row and column for every other class (predicted classes the labels never
    /// hold among them), with class names cut to `max_name` characters. Candidate output can
    /// then never make a report large. Metrics are computed on the whole matrix, never this.
    pub fn for_report(&self, max: usize, max_name: usize) -> ConfusionMatrix {
        let n = self.classes.len();
        let mut by_support: Vec<usize> = (0..n).filter(|&i| self.support(i) > 0).collect();
        by_support.sort_by_key(|&i| std::cmp::Reverse(self.support(i)));
        by_support.truncate(max);
        by_support.sort_unstable();
        let kept = by_support;
        let folded = kept.len() < n;
        let slot = |i: usize| kept.iter().position(|&k| k == i).unwrap_or(kept.len());
        let size = kept.len() + usize::from(folded);
        let mut counts = vec![vec![0u64; size]; size];
        for (t, row) in self.counts.iter().enumerate() {
            for (p, &count) in row.iter().enumerate() {
                if count > 0 {
                    counts[slot(t)][slot(p)] += count;
                }
            }
        }
        let cut = |name: &str| match name.char_indices().nth(max_name) {
            Some((end, _)) => format!("{}…", &name[..end]),
            None => name.to_string(),
        };
        let mut classes: Vec<String> = kept.iter().map(|&i| cut(&self.classes[i])).collect();
        if folded {
            classes.push(OTHER_CLASSES.to_string());
        }
        ConfusionMatrix { classes, counts }
    }

    fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    fn true_positives(&self, i: usize) -> u64 {
        self.counts[i][i]
    }

    /// How many rows truly are class `i`.
    fn support(&self, i: usize) -> u64 {
        self.counts[i].iter().sum()
    }

    /// How many rows were predicted as class `i`.
    fn predicted(&self, i: usize) -> u64 {
        self.counts.iter().map(|row| row[i]).sum()
    }
}

fn ratio(numerator: u64, denominator: u64) -> f64 {
    if denominator == 0 {
        0.0
    } else {
        numerator as f64 / denominator as f64
    }
}

pub fn accuracy(matrix: &ConfusionMatrix) -> f64 {
    let right: u64 = (0..matrix.classes.len()).map(|i| matrix.true_positives(i)).sum();
    ratio(right, matrix.total())
}

/// Mean recall over the classes present in the truth.
pub fn balanced_accuracy(matrix: &ConfusionMatrix) -> f64 {
    let recalls: Vec<f64> = (0..matrix.classes.len())
        .filter(|&i| matrix.support(i) > 0)
        .map(|i| ratio(matrix.true_positives(i), matrix.support(i)))
        .collect();
    super::sum::mean(&recalls)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Score {
    Precision,
    Recall,
    F1,
}

fn per_class(score: Score, tp: u64, predicted: u64, support: u64) -> f64 {
    match score {
        Score::Precision => ratio(tp, predicted),
        Score::Recall => ratio(tp, support),
        // 2tp / (2tp + fp + fn), with fp = predicted - tp and fn = support - tp.
        Score::F1 => ratio(2 * tp, predicted + support),
    }
}

/// Precision, recall or F1; `Err` when the average does not fit the labels.
pub fn precision_recall_f1(
    matrix: &ConfusionMatrix,
    score: Score,
    average: Average,
    pos_label: &str,
) -> Result<f64, String> {
    let n = matrix.classes.len();
    match average {
        Average::Binary => {
            if n > 2 {
                return Err(format!(
                    "average \"binary\" needs two classes, but the labels and predictions hold {n}; choose macro, micro or weighted"
                ));
            }
            let pos = canonical(pos_label);
            let Some(i) = matrix.classes.iter().position(|c| *c == pos) else {
                // The positive class never occurs: every count is zero.
                return Ok(0.0);
            };
            Ok(per_class(
                score,
                matrix.true_positives(i),
                matrix.predicted(i),
                matrix.support(i),
            ))
        }
        Average::Micro => {
            let tp: u64 = (0..n).map(|i| matrix.true_positives(i)).sum();
            let predicted: u64 = (0..n).map(|i| matrix.predicted(i)).sum();
            let support: u64 = (0..n).map(|i| matrix.support(i)).sum();
            Ok(per_class(score, tp, predicted, support))
        }
        Average::Macro => {
            let values: Vec<f64> = (0..n)
                .map(|i| per_class(score, matrix.true_positives(i), matrix.predicted(i), matrix.support(i)))
                .collect();
            Ok(super::sum::mean(&values))
        }
        Average::Weighted => {
            let total: u64 = (0..n).map(|i| matrix.support(i)).sum();
            if total == 0 {
                return Ok(0.0);
            }
            let weighted = super::sum::sum((0..n).map(|i| {
                per_class(score, matrix.true_positives(i), matrix.predicted(i), matrix.support(i))
                    * matrix.support(i) as f64
            }));
            Ok(weighted / total as f64)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confusion_matrix_in_sorted_class_order() {
        let m = confusion_matrix(&["2", "10", "2", "3"], &["2", "2", "3", "3"]);
        assert_eq!(m.classes, ["2", "3", "10"]);
        assert_eq!(m.counts, vec![vec![1, 1, 0], vec![0, 1, 0], vec![1, 0, 0]]);
        assert_eq!(accuracy(&m), 0.5);
        // recalls: 2 → 1/2, 3 → 1, 10 → 0
        assert!((balanced_accuracy(&m) - 0.5).abs() < 1e-15);
    }

    #[test]
    fn a_report_shows_the_largest_true_classes_and_folds_the_rest() {
        let truth = ["a", "a", "a", "b", "b", "c"];
        let predicted = ["a", "x", "b", "b", "y", "c"];
        let m = confusion_matrix(&truth, &predicted).for_report(2, 64);
        assert_eq!(m.classes, ["a", "b", OTHER_CLASSES]);
        // a: a, other(x), b; b: b, other(y); c (folded): c counted in other/other.
        assert_eq!(m.counts, vec![vec![1, 1, 1], vec![0, 1, 1], vec![0, 0, 1]]);
        let long = "é".repeat(100);
        let m = confusion_matrix(&[long.as_str()], &[long.as_str()]).for_report(30, 10);
        assert_eq!(m.classes, [format!("{}…", "é".repeat(10))]);
    }

    #[test]
    fn binary_needs_two_classes() {
        let m = confusion_matrix(&["a", "b", "c"], &["a", "b", "c"]);
        assert!(precision_recall_f1(&m, Score::F1, Average::Binary, "a").is_err());
        assert_eq!(precision_recall_f1(&m, Score::F1, Average::Macro, "a").unwrap(), 1.0);
    }
}
