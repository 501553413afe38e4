//! Scoring a run: every metric's value from the copied-out outputs, the hidden labels, the
//! measured resources or a scorer; its credit; the total; and the run's verdict.

use crate::metrics::{MetricError, evaluate};
use crate::model::{MetricResult, PhaseOutcome, PhaseVerdict, RunVerdict, Score, TestGroupResult};
use crate::notebook::{NotebookCheck, NotebookStatus};
use crate::runner::RunRecord;
use crate::spec::{Metric, MetricKind, MetricSource, Spec};

/// A metric's value, or why it has none and whose fault that is.
enum Value {
    Computed(f64, Option<crate::metrics::ConfusionMatrix>, Option<String>),
    /// Not computed; the candidate's run did not produce what it needs, or it was invalid.
    Missing(String),
    /// Not computed because of the assignment (labels, spec): never the candidate's fault.
    AssignmentError(String),
    /// Nothing to measure, and not the candidate's failure: it earns nothing and fails nothing
    /// (a notebook handed in without outputs claims nothing).
    NotApplicable(String),
}

/// Computes each metric. Malformed predictions mark the phase that wrote them `invalid_output`.
pub fn score_metrics(spec: &Spec, record: &mut RunRecord, notebooks: &[NotebookCheck]) -> Vec<MetricResult> {
    spec.metrics
        .iter()
        .map(|metric| {
            let value = value_of(spec, metric, record, notebooks);
            result(metric, value, &record.phases)
        })
        .collect()
}

fn value_of(spec: &Spec, metric: &Metric, record: &mut RunRecord, notebooks: &[NotebookCheck]) -> Value {
    match &metric.source {
        MetricSource::Notebook { phase } => notebook_value(phase, notebooks),
        MetricSource::Predictions {
            predictions,
            labels,
            key,
            column,
        } => {
            let Some(path) = record.outputs.get(predictions) else {
                return Value::Missing(format!("not computed: {predictions} was not produced"));
            };
            match evaluate(metric, path, &spec.dir.join(labels), key, column) {
                Ok(evaluation) if evaluation.value.is_nan() => Value::AssignmentError(format!(
                    "{} is undefined (nan) on these labels: scikit-learn gives nan for fewer than two rows",
                    metric.kind.name()
                )),
                Ok(evaluation) => Value::Computed(evaluation.value, evaluation.confusion, evaluation.pos_label),
                Err(MetricError::InvalidOutput(why)) => {
                    let message = format!("{predictions}: {why}");
                    if let Some(phase) = record.phases.iter_mut().find(|p| p.name == predictions.phase) {
                        phase.verdict = PhaseVerdict::InvalidOutput;
                        phase.message = Some(message.clone());
                    }
                    Value::Missing(message)
                }
                Err(MetricError::Assignment(why)) => Value::AssignmentError(why),
            }
        }
        MetricSource::Resource { phase, rows } => {
            let Some(outcome) = record.phases.iter().find(|p| p.name == *phase) else {
                return Value::Missing(format!("phase {phase} did not run"));
            };
            let measured = match metric.kind {
                MetricKind::WallSeconds => Some(outcome.wall_seconds),
                MetricKind::CpuSeconds => outcome.cpu_seconds,
                MetricKind::PeakMemoryBytes => outcome.peak_memory_bytes.map(|b| b as f64),
                _ => {
                    let Some(rows) = rows.as_ref().and_then(|r| record.outputs.get(r)) else {
                        return Value::Missing("not computed: the predictions were not produced".to_string());
                    };
                    match count_rows(rows) {
                        Ok(0) => return Value::Missing("no prediction rows to time".to_string()),
                        Ok(n) => Some(outcome.wall_seconds / n as f64),
                        Err(why) => return Value::Missing(why),
                    }
                }
            };
            match measured {
                Some(value) => Value::Computed(value, None, None),
                None => Value::Missing(format!("{} was not measured for phase {phase}", metric.kind.name())),
            }
        }
        MetricSource::Scorer { scorer, value } => match record.scorers.iter().find(|s| s.name == *scorer) {
            None => Value::Missing(format!(
                "scorer {scorer} did not run: its predictions were not produced"
            )),
            Some(run) => match &run.scores {
                Ok(scores) => match scores.get(value) {
                    Some(number) => Value::Computed(*number, None, None),
                    None => Value::Missing(format!("scorer {scorer} wrote no value {value:?}")),
                },
                Err(why) => Value::Missing(format!("scorer {scorer}: {why}")),
            },
        },
    }
}

/// The share of a notebook phase's cells that reproduce.
fn notebook_value(phase: &str, notebooks: &[NotebookCheck]) -> Value {
    match notebooks.iter().find(|n| n.phase == phase) {
        None => Value::Missing(format!("phase {phase} was not checked")),
        Some(check) => match (check.status, check.share) {
            (NotebookStatus::Unverifiable, _) => Value::NotApplicable(check.summary.clone()),
            (_, Some(share)) => Value::Computed(share, None, None),
            (_, None) => Value::Missing(check.summary.clone()),
        },
    }
}

/// Data rows of a predictions file, counted in fixed memory.
fn count_rows(path: &std::path::Path) -> Result<u64, String> {
    crate::metrics::scan::scan(path).map_err(|why| format!("the predictions: {why}"))
}

fn result(metric: &Metric, value: Value, phases: &[PhaseOutcome]) -> MetricResult {
    let mut result = MetricResult {
        name: metric.name.clone(),
        kind: metric.kind.name().to_string(),
        value: None,
        direction: metric.direction,
        weight: metric.weight,
        pass_at: metric.pass_at,
        required: metric.required,
        passed: false,
        credit: 0.0,
        points: 0.0,
        assignment_error: false,
        message: None,
        confusion_matrix: None,
        visibility: metric.visibility,
        pos_label: None,
    };
    match value {
        Value::Computed(value, confusion, pos_label) => {
            result.pos_label = pos_label;
            let phase_passed = match &metric.source {
                MetricSource::Resource { phase, .. } => phases
                    .iter()
                    .any(|p| p.name == *phase && p.verdict == PhaseVerdict::Passed),
                _ => true,
            };
            result.value = Some(value);
            // A report shows at most 30 classes, however many the predictions hold.
            result.confusion_matrix = confusion.map(|m| m.for_report(30, 64));
            result.passed = phase_passed && metric.passes(value);
            result.credit = if phase_passed { metric.credit(value) } else { 0.0 };
            result.points = metric.weight * result.credit;
            if !phase_passed {
                result.message = Some("measured on a phase that did not pass".to_string());
            } else if !result.passed {
                let relation = match metric.direction {
                    crate::spec::Direction::Higher => "below",
                    crate::spec::Direction::Lower => "above",
                };
                result.message = Some(format!(
                    "{value:.6} is {relation} the threshold {}",
                    metric.pass_at.unwrap_or_default()
                ));
            }
        }
        Value::Missing(why) => result.message = Some(why),
        Value::NotApplicable(why) => {
            result.passed = true;
            result.message = Some(why);
        }
        Value::AssignmentError(why) => {
            result.assignment_error = true;
            result.message = Some(format!("assignment error: {why}"));
        }
    }
    result
}

/// Points earned over points possible, from metrics and test groups.
pub fn score(metrics: &[MetricResult], groups: &[TestGroupResult]) -> Score {
    // Summing no floats gives -0.0 in Rust; adding 0.0 makes it the 0 a reader expects.
    Score {
        total: metrics.iter().map(|m| m.points).sum::<f64>() + groups.iter().map(|g| g.points).sum::<f64>() + 0.0,
        max: metrics.iter().map(|m| m.weight).sum::<f64>() + groups.iter().map(|g| g.weight).sum::<f64>() + 0.0,
    }
}

/// The run's verdict and a sentence saying why.
pub fn verdict(phases: &[PhaseOutcome], metrics: &[MetricResult], groups: &[TestGroupResult]) -> (RunVerdict, String) {
    if let Some(broken) = phases.iter().find(|p| p.verdict == PhaseVerdict::HarnessError) {
        let why = broken.message.clone().unwrap_or_default();
        return (
            RunVerdict::HarnessError,
            format!(
                "the harness failed in {} (not the candidate's fault): {why}",
                broken.name
            ),
        );
    }
    if let Some(metric) = metrics.iter().find(|m| m.assignment_error) {
        return (
            RunVerdict::HarnessError,
            format!(
                "metric {} could not be computed (not the candidate's fault): {}",
                metric.name,
                metric.message.clone().unwrap_or_default()
            ),
        );
    }
    if let Some(failed) = phases.iter().find(|p| p.verdict != PhaseVerdict::Passed) {
        let why = failed.message.as_deref().map(|m| format!(": {m}")).unwrap_or_default();
        return (
            RunVerdict::Failed,
            format!("phase {} {}{why}", failed.name, failed.verdict.as_str()),
        );
    }
    let missed: Vec<String> = metrics
        .iter()
        .filter(|m| m.required && !m.passed)
        .map(|m| format!("{} ({})", m.name, m.message.clone().unwrap_or_default()))
        .collect();
    if !missed.is_empty() {
        return (
            RunVerdict::Failed,
            format!("required metric(s) missed: {}", missed.join(", ")),
        );
    }
    let short: Vec<String> = groups
        .iter()
        .filter(|g| !g.passed)
        .map(|g| {
            let needed = g.pass_at.unwrap_or_default() * 100.0;
            format!(
                "{} ({} of {} passed, {needed:.0}% needed)",
                g.name, g.passed_tests, g.total_tests
            )
        })
        .collect();
    if !short.is_empty() {
        return (
            RunVerdict::Failed,
            format!("hidden test group(s) below their pass share: {}", short.join(", ")),
        );
    }
    (
        RunVerdict::Passed,
        format!(
            "all {} phase(s) passed and every required metric met its threshold",
            phases.len()
        ),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn nothing_scored_is_zero_not_negative_zero() {
        let score = super::score(&[], &[]);
        assert!(score.total.is_sign_positive() && score.max.is_sign_positive());
        assert_eq!(format!("{:.2}/{:.2}", score.total, score.max), "0.00/0.00");
    }
}
