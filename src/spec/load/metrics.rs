//! `[[metric]]`: its kind, how it earns credit, and where its value comes from.

use super::*;

impl Checker<'_> {
    pub(super) fn metric(
        &mut self,
        raw: &RawMetric,
        path: &KeyPath,
        phases: &[Phase],
        scorers: &[Scorer],
    ) -> Option<Metric> {
        let Some(kind) = MetricKind::parse(&raw.kind) else {
            let known: Vec<&str> = MetricKind::ALL.iter().map(|(n, _)| *n).collect();
            self.fail(
                &path.key("kind"),
                format!("unknown metric kind {:?}; known: {}", raw.kind, known.join(", ")),
            );
            return None;
        };
        let errors_before = self.errors.len();
        let tolerance = self.tolerance(raw.tolerance, &path.key("tolerance"));
        self.credit_rule(raw, path, kind);
        let direction = self.direction(raw, path, kind);
        let average = self.average(raw, path);
        let source = if kind.uses_labels() {
            self.predictions_source(raw, path, kind, phases)
        } else if kind.is_resource() {
            self.resource_source(raw, path, kind, phases)
        } else if kind == MetricKind::NotebookReproduced {
            self.notebook_source(raw, path, kind, phases)
        } else {
            self.scorer_source(raw, path, kind, scorers)
        };
        if self.errors.len() > errors_before {
            return None;
        }
        Some(Metric {
            name: raw.name.clone(),
            kind,
            source: source?,
            average,
            pos_label: raw.pos_label.as_ref().map(|l| l.text()),
            probability_prefix: raw.probability_prefix.clone().unwrap_or_else(|| "proba_".to_string()),
            direction,
            weight: raw.weight,
            pass_at: raw.pass_at,
            floor: raw.floor,
            target: raw.target,
            required: raw.required.unwrap_or(true),
            tolerance,
            visibility: self.visibility(raw.visibility.as_deref(), &path.key("visibility"), Visibility::Visible),
        })
    }

    /// The weight, and how it is earned: a threshold (`pass_at`) or a ramp from `floor` to
    /// `target`, all finite; a weighted metric that is not a unit score needs one of them.
    fn credit_rule(&mut self, raw: &RawMetric, path: &KeyPath, kind: MetricKind) {
        if !raw.weight.is_finite() || raw.weight < 0.0 {
            self.fail(&path.key("weight"), format!("must be zero or more, not {}", raw.weight));
        }
        for (key, value) in [("pass_at", raw.pass_at), ("floor", raw.floor), ("target", raw.target)] {
            if value.is_some_and(|v| !v.is_finite()) {
                self.fail(&path.key(key), "must be a finite number");
            }
        }
        match (raw.floor, raw.target) {
            (Some(floor), Some(target)) if floor == target => {
                self.fail(
                    &path.key("target"),
                    "must differ from floor: credit grows from floor to target",
                );
            }
            (Some(_), None) => self.fail(
                &path.key("target"),
                "floor needs a target: credit grows from floor to target",
            ),
            (None, Some(_)) => self.fail(
                &path.key("floor"),
                "target needs a floor: credit grows from floor to target",
            ),
            _ => {}
        }
        if raw.weight > 0.0 && !kind.is_unit_score() && raw.pass_at.is_none() && raw.floor.is_none() {
            self.fail(
                &path.key("weight"),
                format!(
                    "a {} metric earns credit only with pass_at, or floor and target; set one or make the weight 0",
                    kind.name()
                ),
            );
        }
    }

    fn direction(&mut self, raw: &RawMetric, path: &KeyPath, kind: MetricKind) -> Direction {
        match raw.direction.as_deref() {
            None => kind.default_direction(),
            Some("higher") => Direction::Higher,
            Some("lower") => Direction::Lower,
            Some(other) => {
                self.fail(
                    &path.key("direction"),
                    format!("{other:?} is not a direction; use \"higher\" or \"lower\""),
                );
                kind.default_direction()
            }
        }
    }

    fn average(&mut self, raw: &RawMetric, path: &KeyPath) -> Average {
        let Some(name) = raw.average.as_deref() else {
            return Average::Binary;
        };
        match Average::ALL.iter().find(|(n, _)| *n == name) {
            Some((_, average)) => *average,
            None => {
                self.fail(
                    &path.key("average"),
                    format!("{name:?} is not an average; use binary, macro, micro or weighted"),
                );
                Average::Binary
            }
        }
    }

    /// Each key present that this kind of metric does not read is an error.
    fn unused(&mut self, path: &KeyPath, kind: MetricKind, keys: &[(&str, bool)]) {
        for (key, present) in keys {
            if *present {
                self.fail(&path.key(key), format!("a {} metric does not use {key}", kind.name()));
            }
        }
    }

    /// A metric on a phase's predictions and the hidden labels.
    fn predictions_source(
        &mut self,
        raw: &RawMetric,
        path: &KeyPath,
        kind: MetricKind,
        phases: &[Phase],
    ) -> Option<MetricSource> {
        let unused = [
            ("phase", raw.phase.is_some()),
            ("scorer", raw.scorer.is_some()),
            ("value", raw.value.is_some()),
        ];
        self.unused(path, kind, &unused);
        let predictions = self.output_ref(raw.predictions.as_deref(), &path.key("predictions"), phases);
        let labels = match raw.labels.as_deref() {
            Some(labels) => self.assignment_file(labels, &path.key("labels"), PathKind::File),
            None => {
                self.fail(
                    path,
                    format!("a {} metric needs labels = \"hidden/...csv\"", kind.name()),
                );
                None
            }
        };
        Some(MetricSource::Predictions {
            predictions: predictions?,
            labels: labels?,
            key: raw.key.clone().unwrap_or_else(|| "id".to_string()),
            column: raw.column.clone().unwrap_or_else(|| "label".to_string()),
        })
    }

    /// The share of a notebook phase's cells that reproduce.
    fn notebook_source(
        &mut self,
        raw: &RawMetric,
        path: &KeyPath,
        kind: MetricKind,
        phases: &[Phase],
    ) -> Option<MetricSource> {
        let unused = [
            ("predictions", raw.predictions.is_some()),
            ("labels", raw.labels.is_some()),
            ("scorer", raw.scorer.is_some()),
            ("value", raw.value.is_some()),
        ];
        self.unused(path, kind, &unused);
        match raw.phase.as_deref() {
            Some(name) => match phases.iter().find(|p| p.name == name) {
                Some(phase) if phase.notebook.is_some() => Some(MetricSource::Notebook {
                    phase: name.to_string(),
                }),
                Some(_) => {
                    self.fail(
                        &path.key("phase"),
                        format!("phase {name:?} runs no notebook (set notebook = \"PATH.ipynb\" on it)"),
                    );
                    None
                }
                None => {
                    self.fail(&path.key("phase"), format!("no phase is named {name:?}"));
                    None
                }
            },
            None => {
                self.fail(
                    path,
                    format!("a {} metric needs phase = \"NAME\" of a notebook phase", kind.name()),
                );
                None
            }
        }
    }

    /// A metric on what a phase used (time, memory), per prediction row for latency.
    fn resource_source(
        &mut self,
        raw: &RawMetric,
        path: &KeyPath,
        kind: MetricKind,
        phases: &[Phase],
    ) -> Option<MetricSource> {
        let unused = [
            ("labels", raw.labels.is_some()),
            ("scorer", raw.scorer.is_some()),
            ("value", raw.value.is_some()),
        ];
        self.unused(path, kind, &unused);
        let phase = match raw.phase.as_deref() {
            Some(name) if phases.iter().any(|p| p.name == name) => Some(name.to_string()),
            Some(name) => {
                self.fail(&path.key("phase"), format!("no phase is named {name:?}"));
                None
            }
            None => {
                self.fail(path, format!("a {} metric needs phase = \"NAME\"", kind.name()));
                None
            }
        };
        let rows = if kind == MetricKind::LatencyPerRow {
            Some(self.output_ref(raw.predictions.as_deref(), &path.key("predictions"), phases)?)
        } else {
            self.unused(path, kind, &[("predictions", raw.predictions.is_some())]);
            None
        };
        Some(MetricSource::Resource { phase: phase?, rows })
    }

    /// A value an author's `[[scorer]]` wrote.
    fn scorer_source(
        &mut self,
        raw: &RawMetric,
        path: &KeyPath,
        kind: MetricKind,
        scorers: &[Scorer],
    ) -> Option<MetricSource> {
        let unused = [
            ("labels", raw.labels.is_some()),
            ("predictions", raw.predictions.is_some()),
            ("phase", raw.phase.is_some()),
        ];
        self.unused(path, kind, &unused);
        let scorer = match raw.scorer.as_deref() {
            Some(name) if scorers.iter().any(|s| s.name == name) => Some(name.to_string()),
            Some(name) => {
                self.fail(&path.key("scorer"), format!("no [[scorer]] is named {name:?}"));
                None
            }
            None => {
                self.fail(path, "a scorer metric needs scorer = \"NAME\" of a [[scorer]]");
                None
            }
        };
        Some(MetricSource::Scorer {
            scorer: scorer?,
            value: raw.value.clone().unwrap_or_else(|| raw.name.clone()),
        })
    }

    pub(super) fn visibility(&mut self, value: Option<&str>, path: &KeyPath, default: Visibility) -> Visibility {
        match value {
            None => default,
            Some(text) => Visibility::parse(text).unwrap_or_else(|| {
                self.fail(
                    path,
                    format!("{text:?} is not a visibility; use visible, hidden or after_review"),
                );
                default
            }),
        }
    }

    /// `phase:/path` naming an output some phase declares.
    pub(super) fn output_ref(&mut self, value: Option<&str>, path: &KeyPath, phases: &[Phase]) -> Option<OutputRef> {
        let Some(value) = value else {
            self.fail(path, "missing: name a phase output as \"phase:/path\"");
            return None;
        };
        match parse_output_ref(value) {
            Some(r) if phases.iter().any(|p| p.name == r.phase && p.outputs.contains(&r.path)) => Some(r),
            Some(r) => {
                self.fail(path, format!("no phase declares the output {r}"));
                None
            }
            None => {
                self.fail(path, format!("{value:?} must name a phase output as \"phase:/path\""));
                None
            }
        }
    }
}

/// `phase:/path` names a phase output; anything else is an assignment path.
pub(super) fn parse_output_ref(value: &str) -> Option<OutputRef> {
    let (phase, path) = value.split_once(':')?;
    path.starts_with('/').then(|| OutputRef {
        phase: phase.to_string(),
        path: path.to_string(),
    })
}
