//! The metric part of a spec: what is measured, from which data, and how it earns credit.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::OutputRef;

/// How per-class precision, recall and F1 are combined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Average {
    /// Only the positive class.
    Binary,
    /// Unweighted mean over classes.
    Macro,
    /// Global counts of true and false positives.
    Micro,
    /// Mean over classes weighted by their true count.
    Weighted,
}

impl Average {
    pub const ALL: [(&'static str, Average); 4] = [
        ("binary", Average::Binary),
        ("macro", Average::Macro),
        ("micro", Average::Micro),
        ("weighted", Average::Weighted),
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricKind {
    Accuracy,
    BalancedAccuracy,
    Precision,
    Recall,
    F1,
    RocAuc,
    LogLoss,
    Rmse,
    Mae,
    R2,
    WallSeconds,
    CpuSeconds,
    PeakMemoryBytes,
    LatencyPerRow,
    Scorer,
    NotebookReproduced,
}

impl MetricKind {
    pub const ALL: [(&'static str, MetricKind); 16] = [
        ("accuracy", MetricKind::Accuracy),
        ("balanced_accuracy", MetricKind::BalancedAccuracy),
        ("precision", MetricKind::Precision),
        ("recall", MetricKind::Recall),
        ("f1", MetricKind::F1),
        ("roc_auc", MetricKind::RocAuc),
        ("log_loss", MetricKind::LogLoss),
        ("rmse", MetricKind::Rmse),
        ("mae", MetricKind::Mae),
        ("r2", MetricKind::R2),
        ("wall_seconds", MetricKind::WallSeconds),
        ("cpu_seconds", MetricKind::CpuSeconds),
        ("peak_memory_bytes", MetricKind::PeakMemoryBytes),
        ("latency_per_row", MetricKind::LatencyPerRow),
        ("scorer", MetricKind::Scorer),
        ("notebook_reproduced", MetricKind::NotebookReproduced),
    ];

    pub fn parse(name: &str) -> Option<MetricKind> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, k)| *k)
    }

    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, k)| *k == self)
            .map(|(n, _)| *n)
            .unwrap_or("?")
    }

    /// Computed from predictions joined to hidden labels.
    pub fn uses_labels(self) -> bool {
        !self.is_resource() && !matches!(self, MetricKind::Scorer | MetricKind::NotebookReproduced)
    }

    /// Measured from a phase's resource use.
    pub fn is_resource(self) -> bool {
        matches!(
            self,
            MetricKind::WallSeconds | MetricKind::CpuSeconds | MetricKind::PeakMemoryBytes | MetricKind::LatencyPerRow
        )
    }

    /// Values that lie in 0..1 with 1 best: they earn their value as credit by default.
    pub fn is_unit_score(self) -> bool {
        matches!(
            self,
            MetricKind::Accuracy
                | MetricKind::BalancedAccuracy
                | MetricKind::Precision
                | MetricKind::Recall
                | MetricKind::F1
                | MetricKind::RocAuc
                | MetricKind::R2
                | MetricKind::NotebookReproduced
        )
    }

    pub fn default_direction(self) -> Direction {
        match self {
            MetricKind::LogLoss
            | MetricKind::Rmse
            | MetricKind::Mae
            | MetricKind::WallSeconds
            | MetricKind::CpuSeconds
            | MetricKind::PeakMemoryBytes
            | MetricKind::LatencyPerRow => Direction::Lower,
            _ => Direction::Higher,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Higher,
    Lower,
}

/// Where a metric's value comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricSource {
    /// Predictions a phase wrote, joined on `key` to hidden labels (never put in a container).
    Predictions {
        predictions: OutputRef,
        labels: PathBuf,
        key: String,
        column: String,
    },
    /// A phase's measured resources; `rows` counts prediction rows for latency per row.
    Resource { phase: String, rows: Option<OutputRef> },
    /// A value in `scores.json` written by a scorer container.
    Scorer { scorer: String, value: String },
    /// The share of a notebook phase's cells whose claims reproduce.
    Notebook { phase: String },
}

/// An objective measure and how it earns credit.
#[derive(Debug, Clone)]
pub struct Metric {
    pub name: String,
    pub kind: MetricKind,
    pub source: MetricSource,
    pub average: Average,
    pub pos_label: Option<String>,
    /// Probability columns are named PREFIX + class (e.g. `proba_3`).
    pub probability_prefix: String,
    pub direction: Direction,
    pub weight: f64,
    /// The threshold: at least this (higher is better) or at most this (lower is better).
    pub pass_at: Option<f64>,
    /// Credit grows linearly from `floor` (none) to `target` (full).
    pub floor: Option<f64>,
    pub target: Option<f64>,
    /// Missing `pass_at` fails the run.
    pub required: bool,
    /// Reproducibility tolerance for this metric (else the spec-wide one).
    pub tolerance: Option<f64>,
    /// Whether feedback.md shows it (default: visible).
    pub visibility: super::Visibility,
}

impl Metric {
    /// A metric on predictions and labels with the defaults a spec would give it, as
    /// `assay metric` computes one by hand.
    pub fn standalone(
        kind: MetricKind,
        average: Average,
        pos_label: Option<String>,
        probability_prefix: &str,
    ) -> Metric {
        Metric {
            name: kind.name().to_string(),
            kind,
            source: MetricSource::Resource {
                phase: String::new(),
                rows: None,
            },
            average,
            pos_label,
            probability_prefix: probability_prefix.to_string(),
            direction: kind.default_direction(),
            weight: 0.0,
            pass_at: None,
            floor: None,
            target: None,
            required: false,
            tolerance: None,
            visibility: super::Visibility::Visible,
        }
    }

    pub fn passes(&self, value: f64) -> bool {
        match (self.pass_at, self.direction) {
            (None, _) => true,
            (Some(threshold), Direction::Higher) => value >= threshold,
            (Some(threshold), Direction::Lower) => value <= threshold,
        }
    }

    /// The share of the weight a value earns, 0..1.
    pub fn credit(&self, value: f64) -> f64 {
        if let (Some(floor), Some(target)) = (self.floor, self.target) {
            return ((value - floor) / (target - floor)).clamp(0.0, 1.0);
        }
        if self.kind.is_unit_score() {
            return value.clamp(0.0, 1.0);
        }
        if self.passes(value) { 1.0 } else { 0.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metric(kind: MetricKind, pass_at: Option<f64>, floor: Option<f64>, target: Option<f64>) -> Metric {
        Metric {
            name: "m".into(),
            kind,
            source: MetricSource::Resource {
                phase: "p".into(),
                rows: None,
            },
            average: Average::Binary,
            pos_label: None,
            probability_prefix: "proba_".into(),
            direction: kind.default_direction(),
            weight: 10.0,
            pass_at,
            floor,
            target,
            required: true,
            tolerance: None,
            visibility: super::super::Visibility::Visible,
        }
    }

    #[test]
    fn credit_and_thresholds() {
        let accuracy = metric(MetricKind::Accuracy, Some(0.9), None, None);
        assert_eq!(accuracy.credit(0.95), 0.95);
        assert!(accuracy.passes(0.9) && !accuracy.passes(0.89));
        let scaled = metric(MetricKind::Accuracy, None, Some(0.5), Some(0.9));
        assert!((scaled.credit(0.7) - 0.5).abs() < 1e-12);
        assert_eq!(scaled.credit(0.95), 1.0);
        assert_eq!(scaled.credit(0.1), 0.0);
        let latency = metric(MetricKind::LatencyPerRow, Some(0.01), Some(0.05), Some(0.01));
        assert!(latency.passes(0.005) && !latency.passes(0.02));
        assert!((latency.credit(0.03) - 0.5).abs() < 1e-12);
        let rmse = metric(MetricKind::Rmse, Some(2.0), None, None);
        assert_eq!((rmse.credit(1.0), rmse.credit(3.0)), (1.0, 0.0));
        assert_eq!(metric(MetricKind::R2, None, None, None).credit(-0.5), 0.0);
    }
}
