//! Objective metrics, computed on the host from copied-out predictions and hidden labels,
//! with scikit-learn's definitions and edge cases.

mod classification;
mod columns;
mod labels;
mod parallel;
mod plain;
mod ranking;
mod regression;
pub mod scan;
mod sum;
mod table;

use std::path::Path;

pub use crate::spec::Average;
pub use classification::{ConfusionMatrix, OTHER_CLASSES, confusion_matrix};
pub use table::{Joined, Wanted, join};

use crate::spec::{Metric, MetricKind};
use classification::Score;
use labels::canonical;
use table::Problems;

/// A computed value, with the confusion matrix for metrics on classes. `value` is NaN where
/// scikit-learn's is (R² of one row).
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub value: f64,
    pub confusion: Option<ConfusionMatrix>,
    /// The class counted as positive, for binary metrics.
    pub pos_label: Option<String>,
}

/// Why a metric has no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetricError {
    /// The predictions are malformed: the candidate's output is invalid.
    #[error("{0}")]
    InvalidOutput(String),
    /// The labels or the spec do not allow this metric: the author's problem.
    #[error("assignment error: {0}")]
    Assignment(String),
}

fn invalid(why: String) -> MetricError {
    if why.starts_with("assignment error: ") {
        MetricError::Assignment(why.trim_start_matches("assignment error: ").to_string())
    } else {
        MetricError::InvalidOutput(why)
    }
}

/// Computes a metric on predictions and labels; `key` joins them, `column` names the predicted
/// class or value in both files.
pub fn evaluate(
    metric: &Metric,
    predictions: &Path,
    labels: &Path,
    key: &str,
    column: &str,
) -> Result<Evaluation, MetricError> {
    match metric.kind {
        MetricKind::Accuracy
        | MetricKind::BalancedAccuracy
        | MetricKind::Precision
        | MetricKind::Recall
        | MetricKind::F1 => {
            let joined = join(predictions, labels, key, column, &[column], Wanted::Text).map_err(invalid)?;
            let encoded = labels::encode_iter(joined.labels_iter(), joined.column_iter(0));
            let (matrix, truth_classes) = classification::confusion_and_truth_classes(encoded);
            let mut pos_label = None;
            let value = match metric.kind {
                MetricKind::Accuracy => classification::accuracy(&matrix),
                MetricKind::BalancedAccuracy => classification::balanced_accuracy(&matrix),
                kind => {
                    let score = match kind {
                        MetricKind::Precision => Score::Precision,
                        MetricKind::Recall => Score::Recall,
                        _ => Score::F1,
                    };
                    if metric.average == Average::Binary {
                        pos_label = Some(binary_positive(metric, &truth_classes, &matrix.classes)?);
                    }
                    let positive = pos_label.clone().unwrap_or_default();
                    classification::precision_recall_f1(&matrix, score, metric.average, &positive)
                        .map_err(MetricError::Assignment)?
                }
            };
            Ok(Evaluation {
                value,
                confusion: Some(matrix),
                pos_label,
            })
        }
        MetricKind::RocAuc | MetricKind::LogLoss => probabilistic(metric, predictions, labels, key, column),
        MetricKind::Rmse | MetricKind::Mae | MetricKind::R2 => {
            let mut joined = join(predictions, labels, key, column, &[column], Wanted::Numbers).map_err(invalid)?;
            let truth = joined
                .label_numbers(column)
                .map_err(|e| MetricError::Assignment(format!("the hidden labels: {e}")))?;
            let predicted = joined.numbers(0, column).map_err(MetricError::InvalidOutput)?;
            let value = match metric.kind {
                MetricKind::Rmse => regression::rmse(&truth, &predicted),
                MetricKind::Mae => regression::mae(&truth, &predicted),
                _ => regression::r2(&truth, &predicted),
            };
            Ok(Evaluation {
                value,
                confusion: None,
                pos_label: None,
            })
        }
        other => Err(MetricError::Assignment(format!(
            "{} is not computed from predictions and labels",
            other.name()
        ))),
    }
}

/// The positive class of a binary precision, recall or F1. The spec's `pos_label` must be one
/// of the labels' classes when they hold two (scikit-learn refuses it otherwise). By default it
/// is 1 when the classes are 0 and 1 (scikit-learn's default, also when only 0 occurs), else
/// the larger of the labels' two classes in assay's class order.
fn binary_positive(metric: &Metric, truth: &[String], all: &[String]) -> Result<String, MetricError> {
    let shown = |classes: &[String]| {
        let list: Vec<String> = classes.iter().take(10).map(|c| crate::text::quoted(c, 64)).collect();
        list.join(", ")
    };
    if truth.len() > 2 {
        return Err(MetricError::Assignment(format!(
            "average \"binary\" needs two classes, but the labels hold {}; choose macro, micro or weighted",
            truth.len()
        )));
    }
    if let Some(extra) = all.iter().find(|c| !truth.contains(c)).filter(|_| all.len() > 2) {
        return Err(MetricError::InvalidOutput(format!(
            "the predictions hold the class {}, which is not one of the labels' classes ({})",
            crate::text::quoted(extra, 64),
            shown(truth)
        )));
    }
    if let Some(label) = &metric.pos_label {
        let positive = canonical(label);
        if truth.len() == 2 && !truth.contains(&positive) {
            return Err(MetricError::Assignment(format!(
                "pos_label {} is not one of the labels' classes ({})",
                crate::text::quoted(label, 64),
                shown(truth)
            )));
        }
        return Ok(positive);
    }
    if all.iter().all(|c| c == "0" || c == "1") {
        return Ok("1".to_string());
    }
    match truth {
        [_, larger] => Ok(larger.clone()),
        _ => Err(MetricError::Assignment(format!(
            "the labels hold one class ({}), so the positive class of a binary metric is unclear; set pos_label",
            shown(truth)
        ))),
    }
}

/// ROC AUC and log loss from probability columns named PREFIX + class.
fn probabilistic(
    metric: &Metric,
    predictions: &Path,
    labels: &Path,
    key: &str,
    column: &str,
) -> Result<Evaluation, MetricError> {
    // The predictions' probability columns are read while the labels are read and encoded:
    // which of them are needed is known only from the labels' classes.
    let (truth_table, ahead) = std::thread::scope(|scope| {
        let ahead = scope.spawn(|| table::read_ahead(predictions, key, &metric.probability_prefix));
        let truth = table::read_labels(labels, key, column).map(|table| {
            // The labels' classes, and each row's: the join keeps the labels' rows in their order.
            let encoded = labels::encode_iter(table.values(), std::iter::empty());
            (table, encoded)
        });
        (truth, ahead.join().ok())
    });
    let (truth_table, labels::Encoded { classes, truth, .. }) = truth_table.map_err(MetricError::Assignment)?;
    if classes.len() < 2 {
        return Err(MetricError::Assignment(format!(
            "{} needs at least two classes in the labels",
            metric.kind.name()
        )));
    }
    let binary = classes.len() == 2;
    let positive = match &metric.pos_label {
        Some(label) => canonical(label),
        None => classes[1].clone(),
    };
    let positive_index = classes.iter().position(|c| *c == positive);
    if binary && positive_index.is_none() {
        let list: Vec<String> = classes.iter().map(|c| crate::text::quoted(c, 64)).collect();
        return Err(MetricError::Assignment(format!(
            "pos_label {} is not one of the labels' classes ({})",
            crate::text::quoted(&positive, 64),
            list.join(", ")
        )));
    }
    let positive_index = positive_index.unwrap_or(1);
    let names: Vec<String> = if binary {
        vec![format!("{}{positive}", metric.probability_prefix)]
    } else {
        classes
            .iter()
            .map(|c| format!("{}{c}", metric.probability_prefix))
            .collect()
    };
    let wanted: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut joined = match ahead {
        Some(ahead) => table::join_ahead(predictions, truth_table, key, &wanted, ahead),
        None => table::join_labels(predictions, truth_table, key, &wanted, Wanted::Numbers),
    }
    .map_err(invalid)?;
    let mut columns = Vec::new();
    let mut problems = Problems::default();
    for (c, name) in names.iter().enumerate() {
        match joined.numbers(c, name) {
            Ok(column) => columns.push(column),
            Err(why) => problems.add(why),
        }
    }
    problems.into_result(()).map_err(MetricError::InvalidOutput)?;
    if binary {
        // One column holds the positive class's score; for log loss the other class gets the
        // rest of the clipped probability. ROC AUC ranks the raw scores: decision functions
        // and tiny probabilities must keep their order.
        let p: Vec<f64> = if metric.kind == MetricKind::LogLoss {
            columns[0]
                .iter()
                .map(|p| p.clamp(regression::LOG_LOSS_EPS, 1.0 - regression::LOG_LOSS_EPS))
                .collect()
        } else {
            columns[0].clone()
        };
        let rest: Vec<f64> = p.iter().map(|p| 1.0 - p).collect();
        columns = if positive_index == 1 {
            vec![rest, p]
        } else {
            vec![p, rest]
        };
    } else if metric.kind == MetricKind::RocAuc {
        let mut problems = Problems::default();
        for i in 0..joined.len() {
            let total: f64 = columns.iter().map(|c| c[i]).sum();
            // The tolerance numpy.allclose uses, as scikit-learn checks it.
            if (total - 1.0).abs() > 1e-8 + 1e-5 {
                problems.add(format!(
                    "line {}: the class probabilities sum to {total}, not 1",
                    joined.lines.get(i)
                ));
            }
        }
        problems.into_result(()).map_err(MetricError::InvalidOutput)?;
    }
    let value = match metric.kind {
        MetricKind::RocAuc if binary => {
            let is_positive: Vec<bool> = truth.iter().map(|&t| t == positive_index).collect();
            ranking::roc_auc(&is_positive, &columns[positive_index]).map_err(MetricError::Assignment)?
        }
        MetricKind::RocAuc => {
            // One sort per class, each on its own thread: the sorts are most of the time.
            let areas: Vec<Result<f64, String>> = std::thread::scope(|scope| {
                let threads: Vec<_> = columns
                    .iter()
                    .enumerate()
                    .map(|(c, scores)| {
                        let truth = &truth;
                        scope.spawn(move || {
                            let is_class: Vec<bool> = truth.iter().map(|&t| t == c).collect();
                            ranking::roc_auc(&is_class, scores)
                        })
                    })
                    .collect();
                threads
                    .into_iter()
                    .map(|t| t.join().unwrap_or_else(|_| Err("computing ROC AUC failed".to_string())))
                    .collect()
            });
            let areas: Vec<f64> = areas
                .into_iter()
                .collect::<Result<_, _>>()
                .map_err(MetricError::Assignment)?;
            sum::mean(&areas)
        }
        _ => regression::log_loss(&truth, &columns),
    };
    Ok(Evaluation {
        value,
        confusion: None,
        pos_label: binary.then_some(positive),
    })
}
