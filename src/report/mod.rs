//! Reports of a grade: `report.json` (the contract), the phase logs, the terminal display.

mod logs;
mod model;
mod progress;

use std::path::Path;

use anyhow::Context;

pub use logs::LogSink;
pub use model::*;
pub use progress::Progress;

use crate::runner::{PhaseOutcome, PhaseVerdict, RunRecord};
use crate::spec::Spec;

/// Computes each metric from the run's copied-out predictions and the hidden labels.
/// A metric whose predictions are malformed marks the phase that wrote them `invalid_output`.
pub fn score_metrics(spec: &Spec, record: &mut RunRecord) -> Vec<MetricResult> {
    let mut results = Vec::new();
    for metric in &spec.metrics {
        let mut result = MetricResult {
            name: metric.name.clone(),
            kind: metric.kind.name().to_string(),
            value: None,
            weight: metric.weight,
            pass_at: metric.pass_at,
            passed: false,
            message: None,
        };
        match record.outputs.get(&metric.predictions) {
            None => {
                result.message = Some(format!(
                    "not computed: {} was not produced",
                    metric.predictions
                ))
            }
            Some(predictions) => {
                let labels = spec.dir.join(&metric.labels);
                match crate::metrics::compute(
                    metric.kind,
                    predictions,
                    &labels,
                    &metric.key,
                    &metric.column,
                ) {
                    Ok(value) => {
                        result.value = Some(value);
                        result.passed = metric.pass_at.is_none_or(|threshold| value >= threshold);
                        if !result.passed {
                            result.message = Some(format!(
                                "{value:.4} is below the threshold {}",
                                metric.pass_at.unwrap_or_default()
                            ));
                        }
                    }
                    Err(reason) => {
                        let message = format!("{}: {reason}", metric.predictions);
                        if let Some(phase) = record
                            .phases
                            .iter_mut()
                            .find(|p| p.name == metric.predictions.phase)
                        {
                            phase.verdict = PhaseVerdict::InvalidOutput;
                            phase.message = Some(message.clone());
                        }
                        result.message = Some(message);
                    }
                }
            }
        }
        results.push(result);
    }
    results
}

/// The objective score: each metric's weight times its value (clamped to 0..1).
pub fn score(metrics: &[MetricResult]) -> Score {
    let total = metrics
        .iter()
        .map(|m| m.weight * m.value.unwrap_or(0.0).clamp(0.0, 1.0))
        .sum();
    let max = metrics.iter().map(|m| m.weight).sum();
    Score { total, max }
}

/// The run's verdict and a sentence saying why.
pub fn verdict(phases: &[PhaseOutcome], metrics: &[MetricResult]) -> (RunVerdict, String) {
    if let Some(broken) = phases
        .iter()
        .find(|p| p.verdict == PhaseVerdict::HarnessError)
    {
        let why = broken.message.clone().unwrap_or_default();
        return (
            RunVerdict::HarnessError,
            format!(
                "the harness failed in phase {} (not the candidate's fault): {why}",
                broken.name
            ),
        );
    }
    if let Some(failed) = phases.iter().find(|p| p.verdict != PhaseVerdict::Passed) {
        let why = failed
            .message
            .as_deref()
            .map(|m| format!(": {m}"))
            .unwrap_or_default();
        return (
            RunVerdict::Failed,
            format!("phase {} {}{why}", failed.name, failed.verdict.as_str()),
        );
    }
    let missed: Vec<String> = metrics
        .iter()
        .filter(|m| !m.passed)
        .map(|m| format!("{} ({})", m.name, m.message.clone().unwrap_or_default()))
        .collect();
    if !missed.is_empty() {
        return (
            RunVerdict::Failed,
            format!("metric(s) missed: {}", missed.join(", ")),
        );
    }
    (
        RunVerdict::Passed,
        format!(
            "all {} phase(s) passed and all {} metric(s) met their thresholds",
            phases.len(),
            metrics.len()
        ),
    )
}

/// Writes `report.json` into `dir`.
pub fn write_json(dir: &Path, report: &Report) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("report.json");
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(&path, text + "\n").with_context(|| format!("writing {}", path.display()))
}

/// RFC 3339 time, to the second, for provenance.
pub fn timestamp(time: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}
