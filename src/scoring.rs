//! Scoring a run: every metric's value from the copied-out outputs, the hidden labels, the
//! measured resources or a scorer; its credit; the total; and the run's verdict.

use crate::junit::TestStatus;
use crate::metrics::{MetricError, evaluate};
use crate::report::{MetricResult, RunVerdict, Score, TestGroupResult, TestResult};
use crate::runner::{PhaseOutcome, PhaseVerdict, RunRecord};
use crate::spec::{Metric, MetricKind, MetricSource, Spec};

/// A metric's value, or why it has none and whose fault that is.
enum Value {
    Computed(f64, Option<crate::metrics::ConfusionMatrix>, Option<String>),
    /// Not computed; the candidate's run did not produce what it needs, or it was invalid.
    Missing(String),
    /// Not computed because of the assignment (labels, spec): never the candidate's fault.
    AssignmentError(String),
}

/// Computes each metric. Malformed predictions mark the phase that wrote them `invalid_output`.
pub fn score_metrics(spec: &Spec, record: &mut RunRecord) -> Vec<MetricResult> {
    spec.metrics
        .iter()
        .map(|metric| {
            let value = value_of(spec, metric, record);
            result(metric, value, &record.phases)
        })
        .collect()
}

fn value_of(spec: &Spec, metric: &Metric, record: &mut RunRecord) -> Value {
    match &metric.source {
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

/// Reads the hidden test results of every phase that declares a JUnit file, and scores each
/// test group. A file that is missing, malformed or has the wrong count marks its phase
/// `invalid_output`. With trusted names (`tests.lock`), a name not in the list is an unknown
/// test (its name never shown, counted in no group) and a listed test missing counts as failed.
pub fn score_tests(spec: &Spec, record: &mut RunRecord) -> (Vec<TestResult>, Vec<TestGroupResult>) {
    let mut tests = Vec::new();
    let mut unknown = 0;
    for phase in spec.phases.iter().filter(|p| p.junit.is_some()) {
        let junit = phase.junit.clone().unwrap_or_default();
        let reference = crate::spec::OutputRef {
            phase: phase.name.clone(),
            path: junit.clone(),
        };
        let cases = match record.outputs.get(&reference) {
            None => Ok(Vec::new()),
            Some(path) => crate::junit::read(path).and_then(|cases| match phase.expected_tests {
                Some(expected) if cases.len() as u64 != expected => Err(format!(
                    "{junit} holds {} test(s); the assignment expects {expected} (were tests hidden, added or not collected?)",
                    cases.len()
                )),
                _ => Ok(cases),
            }),
        };
        let cases = match cases {
            Ok(cases) => cases,
            Err(why) => {
                if let Some(outcome) = record.phases.iter_mut().find(|p| p.name == phase.name) {
                    outcome.verdict = PhaseVerdict::InvalidOutput;
                    outcome.message = Some(why);
                }
                Vec::new()
            }
        };
        let mut seen = std::collections::HashSet::new();
        for case in cases {
            let trusted = match &spec.test_names {
                Some(names) => names.knows(&phase.name, &case.name) && seen.insert(case.name.clone()),
                None => false,
            };
            let mut result = TestResult {
                name: case.name,
                phase: phase.name.clone(),
                group: None,
                status: case.status,
                weight: 0.0,
                seconds: case.seconds,
                // Candidate output can reach a message; it is shown without escapes.
                message: case.message.map(|m| crate::text::strip_ansi(&m)),
                candidate_influenced: true,
                visibility: crate::spec::Visibility::Hidden,
                trusted,
            };
            if spec.test_names.is_some() && !trusted {
                // Not a test the reference produced: whatever it says, it counts for nothing.
                unknown += 1;
                result.name = format!("unknown test {unknown}");
                result.message =
                    Some("not a hidden test of this assignment (not in tests.lock); its name is not shown".into());
                tests.push(result);
                continue;
            }
            tests.push(result);
        }
        if let Some(names) = &spec.test_names {
            for name in names.of(&phase.name).iter().filter(|n| !seen.contains(*n)) {
                tests.push(TestResult {
                    name: name.clone(),
                    phase: phase.name.clone(),
                    group: None,
                    status: TestStatus::Failed,
                    weight: 0.0,
                    seconds: None,
                    message: Some("missing from the results: counted as failed".to_string()),
                    candidate_influenced: false,
                    visibility: crate::spec::Visibility::Hidden,
                    trusted: true,
                });
            }
        }
    }
    let counted = |t: &TestResult| spec.test_names.is_none() || t.trusted;
    let ungrouped = crate::spec::TestGroup::ungrouped();
    let needs_ungrouped = tests
        .iter()
        .any(|t| counted(t) && !spec.test_groups.iter().any(|g| g.matches(&t.name)));
    let groups_in_use: Vec<&crate::spec::TestGroup> = spec
        .test_groups
        .iter()
        .chain(needs_ungrouped.then_some(&ungrouped))
        .collect();
    // First match wins; a test no group matches falls in the ungrouped group.
    for test in tests.iter_mut().filter(|t| counted(t)) {
        let group = groups_in_use
            .iter()
            .find(|g| g.matches(&test.name))
            .copied()
            .unwrap_or(&ungrouped);
        test.group = Some(group.name.clone());
        test.visibility = group.visibility;
    }
    let mut groups = Vec::new();
    for group in groups_in_use {
        let members: Vec<&mut TestResult> = tests
            .iter_mut()
            .filter(|t| t.group.as_deref() == Some(group.name.as_str()))
            .collect();
        let total = members.len() as u64;
        let share = if total == 0 { 0.0 } else { group.weight / total as f64 };
        let mut passed_tests = 0;
        for test in members {
            test.weight = share;
            if test.status == TestStatus::Passed {
                passed_tests += 1;
            }
        }
        let fraction = if total == 0 {
            0.0
        } else {
            passed_tests as f64 / total as f64
        };
        groups.push(TestGroupResult {
            name: group.name.clone(),
            passed_tests,
            total_tests: total,
            weight: group.weight,
            points: group.weight * fraction,
            pass_at: group.pass_at,
            passed: group.pass_at.is_none_or(|needed| total > 0 && fraction >= needed),
            visibility: group.visibility,
            show_names: group.show_names,
        });
    }
    (tests, groups)
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
