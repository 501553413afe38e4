//! `assay metric`: one metric by hand, computed by the grader's own code.

use std::path::PathBuf;

use crate::exit::{Exit, input_error};
use crate::metrics::{MetricError, evaluate};
use crate::spec::{Average, Metric, MetricKind};

pub struct MetricArgs {
    pub kind: String,
    pub predictions: PathBuf,
    pub labels: PathBuf,
    pub key: String,
    pub column: String,
    pub average: String,
    pub pos_label: Option<String>,
    pub probability_prefix: String,
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
                let record = serde_json::json!({
                    "kind": kind.name(),
                    "value": evaluation.value,
                    "average": average,
                    "confusion_matrix": evaluation.confusion,
                });
                println!("{record}");
            } else {
                println!("{}", evaluation.value);
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
