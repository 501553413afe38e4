//! `assay metric`: one metric by hand, computed by the grader's own code.

use std::path::PathBuf;

use crate::exit::{Exit, input_error};
use crate::metrics::{MetricError, evaluate};
use crate::spec::{Average, Metric, MetricKind};

#[derive(Debug, clap::Args)]
pub struct MetricArgs {
    /// accuracy, balanced_accuracy, precision, recall, f1, roc_auc, log_loss, rmse, mae, r2
    pub kind: String,
    #[arg(long)]
    pub predictions: PathBuf,
    #[arg(long)]
    pub labels: PathBuf,
    /// The column both files are joined on.
    #[arg(long, default_value = "id")]
    pub key: String,
    /// The predicted class or value, named the same in both files.
    #[arg(long, default_value = "label")]
    pub column: String,
    /// binary, macro, micro or weighted (precision, recall, f1).
    #[arg(long, default_value = "binary")]
    pub average: String,
    /// The positive class for binary metrics (default: the larger class).
    #[arg(long)]
    pub pos_label: Option<String>,
    /// Probability columns are named PREFIX + class (roc_auc, log_loss).
    #[arg(long, default_value = "proba_")]
    pub probability_prefix: String,
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: MetricArgs) -> anyhow::Result<Exit> {
    let kind = MetricKind::parse(&args.kind)
        .filter(|k| k.uses_labels())
        .ok_or_else(|| {
            input_error(format!(
                "{:?} is not a metric on predictions and labels; use one of: {}",
                args.kind,
                names()
            ))
        })?;
    let average = Average::ALL
        .iter()
        .find(|(name, _)| *name == args.average)
        .map(|(_, a)| *a)
        .ok_or_else(|| {
            input_error(format!(
                "{:?} is not an average; use binary, macro, micro or weighted",
                args.average
            ))
        })?;
    let metric = Metric::standalone(kind, average, args.pos_label.clone(), &args.probability_prefix);
    match evaluate(&metric, &args.predictions, &args.labels, &args.key, &args.column) {
        Ok(evaluation) => {
            if args.json {
                // JSON has no NaN: it is written as the string "nan".
                let value = if evaluation.value.is_nan() {
                    serde_json::json!("nan")
                } else {
                    serde_json::json!(evaluation.value)
                };
                let record = serde_json::json!({
                    "kind": kind.name(),
                    "value": value,
                    "average": average,
                    "pos_label": evaluation.pos_label,
                    "confusion_matrix": evaluation.confusion,
                });
                println!("{record}");
            } else if evaluation.value.is_nan() {
                println!("nan");
                eprintln!("note: {} is undefined here (nan), as in scikit-learn", kind.name());
            } else {
                println!("{}", evaluation.value);
                if let Some(positive) = &evaluation.pos_label {
                    eprintln!("positive class: {}", crate::text::terminal_safe(positive));
                }
            }
            Ok(Exit::Success)
        }
        Err(MetricError::InvalidOutput(why)) => Err(input_error(format!(
            "invalid predictions {}: {why}",
            args.predictions.display()
        ))),
        Err(MetricError::Assignment(why)) => Err(input_error(why)),
    }
}

fn names() -> String {
    MetricKind::ALL
        .iter()
        .filter(|(_, k)| k.uses_labels())
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(", ")
}
