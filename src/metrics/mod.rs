//! Objective metrics, computed on the host from copied-out predictions and hidden labels,
//! with scikit-learn's definitions and edge cases.

mod classification;
mod labels;
mod ranking;
mod regression;
mod sum;
mod table;

use std::path::Path;

pub use classification::{Average, ConfusionMatrix, confusion_matrix};
pub use table::{Joined, join};

use crate::spec::{Metric, MetricKind};
use classification::Score;
use labels::canonical;
use table::{Problems, numbers};

/// A computed value, with the confusion matrix for metrics on classes.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub value: f64,
    pub confusion: Option<ConfusionMatrix>,
}

/// Why a metric has no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetricError {
    /// The predictions are malformed: the candidate's output is invalid.
    InvalidOutput(String),
    /// The labels or the spec do not allow this metric: the author's problem.
    Assignment(String),
}

impl std::fmt::Display for MetricError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MetricError::InvalidOutput(why) => f.write_str(why),
            MetricError::Assignment(why) => write!(f, "assignment error: {why}"),
        }
    }
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
            let joined = join(predictions, labels, key, column, &[column]).map_err(invalid)?;
            let matrix = confusion_matrix(&joined.labels, &joined.columns[0]);
            let value = match metric.kind {
                MetricKind::Accuracy => classification::accuracy(&matrix),
                MetricKind::BalancedAccuracy => classification::balanced_accuracy(&matrix),
                kind => {
                    let score = match kind {
                        MetricKind::Precision => Score::Precision,
                        MetricKind::Recall => Score::Recall,
                        _ => Score::F1,
                    };
                    let pos_label = metric
                        .pos_label
                        .clone()
                        .unwrap_or_else(|| matrix.classes.last().cloned().unwrap_or_default());
                    classification::precision_recall_f1(&matrix, score, metric.average, &pos_label)
                        .map_err(MetricError::Assignment)?
                }
            };
            Ok(Evaluation {
                value,
                confusion: Some(matrix),
            })
        }
        MetricKind::RocAuc | MetricKind::LogLoss => {
            probabilistic(metric, predictions, labels, key, column)
        }
        MetricKind::Rmse | MetricKind::Mae | MetricKind::R2 => {
            let joined = join(predictions, labels, key, column, &[column]).map_err(invalid)?;
            let truth = numbers(&joined.labels, &joined.lines, column)
                .map_err(|e| MetricError::Assignment(format!("the hidden labels: {e}")))?;
            let predicted = numbers(&joined.columns[0], &joined.lines, column)
                .map_err(MetricError::InvalidOutput)?;
            let value = match metric.kind {
                MetricKind::Rmse => regression::rmse(&truth, &predicted),
                MetricKind::Mae => regression::mae(&truth, &predicted),
                _ => regression::r2(&truth, &predicted),
            };
            Ok(Evaluation {
                value,
                confusion: None,
            })
        }
        other => Err(MetricError::Assignment(format!(
            "{} is not computed from predictions and labels",
            other.name()
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
    let truth = table::label_values(labels, key, column).map_err(MetricError::Assignment)?;
    let truth: Vec<String> = truth.iter().map(|l| canonical(l)).collect();
    let classes = labels::classes(&truth, &[]).sorted;
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
    if binary && !classes.contains(&positive) {
        return Err(MetricError::Assignment(format!(
            "pos_label {positive:?} is not one of the classes {classes:?}"
        )));
    }
    let names: Vec<String> = if binary {
        vec![format!("{}{positive}", metric.probability_prefix)]
    } else {
        classes
            .iter()
            .map(|c| format!("{}{c}", metric.probability_prefix))
            .collect()
    };
    let wanted: Vec<&str> = names.iter().map(String::as_str).collect();
    let joined = join(predictions, labels, key, column, &wanted).map_err(invalid)?;
    let truth: Vec<String> = joined.labels.iter().map(|l| canonical(l)).collect();
    let mut columns = Vec::new();
    let mut problems = Problems::default();
    for (values, name) in joined.columns.iter().zip(&names) {
        match numbers(values, &joined.lines, name) {
            Ok(column) => columns.push(column),
            Err(why) => problems.add(why),
        }
    }
    problems
        .into_result(())
        .map_err(MetricError::InvalidOutput)?;
    let rows = truth.len();
    let value = if binary {
        let scores = &columns[0];
        match metric.kind {
            MetricKind::RocAuc => {
                let is_positive: Vec<bool> = truth.iter().map(|t| *t == positive).collect();
                ranking::roc_auc(&is_positive, scores).map_err(MetricError::Assignment)?
            }
            _ => {
                let positive_index = classes.iter().position(|c| *c == positive).unwrap_or(1);
                let probabilities: Vec<Vec<f64>> = scores
                    .iter()
                    .map(|p| {
                        let p = p.clamp(regression::LOG_LOSS_EPS, 1.0 - regression::LOG_LOSS_EPS);
                        if positive_index == 1 {
                            vec![1.0 - p, p]
                        } else {
                            vec![p, 1.0 - p]
                        }
                    })
                    .collect();
                let index: Vec<usize> = truth
                    .iter()
                    .map(|t| classes.iter().position(|c| c == t).unwrap_or(0))
                    .collect();
                regression::log_loss(&index, &probabilities)
            }
        }
    } else {
        let row = |i: usize| columns.iter().map(|c| c[i]).collect::<Vec<f64>>();
        let mut problems = Problems::default();
        if metric.kind == MetricKind::RocAuc {
            for i in 0..rows {
                let total: f64 = row(i).iter().sum();
                // The tolerance numpy.allclose uses, as scikit-learn checks it.
                if (total - 1.0).abs() > 1e-8 + 1e-5 {
                    problems.add(format!(
                        "row {}: the class probabilities sum to {total}, not 1",
                        joined.lines[i]
                    ));
                }
            }
        }
        problems
            .into_result(())
            .map_err(MetricError::InvalidOutput)?;
        match metric.kind {
            MetricKind::RocAuc => {
                let mut areas = Vec::new();
                for (c, class) in classes.iter().enumerate() {
                    let is_class: Vec<bool> = truth.iter().map(|t| t == class).collect();
                    areas.push(
                        ranking::roc_auc(&is_class, &columns[c])
                            .map_err(MetricError::Assignment)?,
                    );
                }
                sum::mean(&areas)
            }
            _ => {
                let index: Vec<usize> = truth
                    .iter()
                    .map(|t| classes.iter().position(|c| c == t).unwrap_or(0))
                    .collect();
                let probabilities: Vec<Vec<f64>> = (0..rows).map(row).collect();
                regression::log_loss(&index, &probabilities)
            }
        }
    };
    Ok(Evaluation {
        value,
        confusion: None,
    })
}
