//! Comparing runs of the same submission: a grade is only fair if it comes out the same
//! when run again.

use crate::model::{Assessment, Difference, MetricResult, OutputDigest, Report, ReproducibilityStatus, SeedSpread};
use crate::spec::Spec;

fn show(value: Option<f64>) -> String {
    value.map(|v| format!("{v}")).unwrap_or_else(|| "none".to_string())
}

/// Every difference between the first run and run number `run`.
pub fn compare(spec: &Spec, first: &Report, other: &Report, run: u32) -> Vec<Difference> {
    let mut differences = Vec::new();
    let mut add = |what: String, a: String, b: String, decision: bool| {
        differences.push(Difference {
            what,
            run,
            first: a,
            other: b,
            decision,
        });
    };
    if first.verdict != other.verdict {
        add(
            "verdict".into(),
            first.verdict.as_str().into(),
            other.verdict.as_str().into(),
            true,
        );
    }
    for phase in &first.phases {
        let theirs = other
            .phases
            .iter()
            .find(|p| p.name == phase.name)
            .map(|p| p.verdict.as_str())
            .unwrap_or("missing");
        if phase.verdict.as_str() != theirs {
            add(
                format!("phase {}", phase.name),
                phase.verdict.as_str().into(),
                theirs.into(),
                true,
            );
        }
    }
    for metric in &first.metrics {
        let Some(theirs) = other.metrics.iter().find(|m| m.name == metric.name) else {
            add(
                format!("metric {}", metric.name),
                show(metric.value),
                "missing".into(),
                true,
            );
            continue;
        };
        // Timings vary from run to run by nature: for resource metrics only the pass/fail
        // decision is compared, unless the metric sets a tolerance of its own.
        let differs = match (tolerance_of(spec, metric), metric.value, theirs.value) {
            (None, _, _) => false,
            (Some(tolerance), Some(a), Some(b)) => (a - b).abs() > tolerance,
            (Some(_), None, None) => false,
            (Some(_), _, _) => true,
        };
        if metric.passed != theirs.passed {
            add(
                format!("metric {} passed", metric.name),
                metric.passed.to_string(),
                theirs.passed.to_string(),
                true,
            );
        }
        if differs {
            add(
                format!("metric {}", metric.name),
                show(metric.value),
                show(theirs.value),
                false,
            );
        }
    }
    for test in &first.tests {
        let theirs = other
            .tests
            .iter()
            .find(|t| t.name == test.name && t.phase == test.phase);
        let (mine, theirs) = (
            test.status.as_str(),
            theirs.map(|t| t.status.as_str()).unwrap_or("missing"),
        );
        if mine != theirs {
            add(format!("test {}", test.name), mine.into(), theirs.into(), true);
        }
    }
    for test in other
        .tests
        .iter()
        .filter(|t| !first.tests.iter().any(|f| f.name == t.name && f.phase == t.phase))
    {
        add(
            format!("test {}", test.name),
            "missing".into(),
            test.status.as_str().into(),
            true,
        );
    }
    for group in &first.test_groups {
        if let Some(theirs) = other.test_groups.iter().find(|g| g.name == group.name)
            && theirs.passed != group.passed
        {
            add(
                format!("test group {} passed", group.name),
                group.passed.to_string(),
                theirs.passed.to_string(),
                true,
            );
        }
    }
    for output in first.outputs.iter().filter(|o| compared(spec, o)) {
        let theirs = other
            .outputs
            .iter()
            .find(|o| o.phase == output.phase && o.path == output.path);
        let theirs = theirs.map(|o| o.sha256.clone()).unwrap_or_else(|| "missing".into());
        if output.sha256 != theirs {
            add(
                format!("output {}:{}", output.phase, output.path),
                output.sha256.clone(),
                theirs,
                false,
            );
        }
    }
    differences
}

/// Outputs compared by hash: not JUnit files (their tests are compared one by one, and they
/// hold timings) nor those the spec lists in `ignore_outputs`.
fn compared(spec: &Spec, output: &OutputDigest) -> bool {
    let junit = spec
        .phases
        .iter()
        .any(|p| p.name == output.phase && p.junit.as_deref() == Some(output.path.as_str()));
    let reference = format!("{}:{}", output.phase, output.path);
    !junit && !spec.reproducibility.ignore_outputs.contains(&reference)
}

/// The tolerance a metric's values are compared with; `None` when only its decision counts.
fn tolerance_of(spec: &Spec, metric: &MetricResult) -> Option<f64> {
    let declared = spec.metrics.iter().find(|m| m.name == metric.name);
    match declared {
        Some(m) if m.tolerance.is_some() => m.tolerance,
        Some(m) if m.kind.is_resource() => None,
        _ => Some(spec.reproducibility.tolerance),
    }
}

/// The status that a set of differences amounts to.
pub fn status(runs: usize, differences: &[Difference]) -> ReproducibilityStatus {
    if runs < 2 {
        ReproducibilityStatus::Skipped
    } else if differences.iter().any(|d| d.decision) {
        ReproducibilityStatus::Unstable
    } else if differences.is_empty() {
        ReproducibilityStatus::Reproducible
    } else {
        ReproducibilityStatus::Nondeterministic
    }
}

/// Compares every rerun with the first run, and summarises the runs with other seeds.
pub fn assess(spec: &Spec, runs: &[Report], seeded: &[(u64, Report)]) -> Assessment {
    let differences: Vec<Difference> = runs
        .iter()
        .enumerate()
        .skip(1)
        .flat_map(|(i, other)| compare(spec, &runs[0], other, i as u32 + 1))
        .collect();
    let seed_sensitivity = if seeded.is_empty() {
        Vec::new()
    } else {
        spec.metrics
            .iter()
            .map(|metric| {
                let value = |report: &Report| {
                    report
                        .metrics
                        .iter()
                        .find(|m| m.name == metric.name)
                        .and_then(|m| m.value)
                };
                let mut seeds = vec![crate::runner::DEFAULT_SEED];
                let mut values = vec![value(&runs[0])];
                for (seed, report) in seeded {
                    seeds.push(*seed);
                    values.push(value(report));
                }
                spread(&metric.name, seeds, values)
            })
            .collect()
    };
    Assessment {
        runs: runs.len() as u32,
        status: status(runs.len(), &differences),
        tolerance: spec.reproducibility.tolerance,
        differences,
        seed_runs: seeded.len() as u32,
        seed_sensitivity,
    }
}

fn spread(metric: &str, seeds: Vec<u64>, values: Vec<Option<f64>>) -> SeedSpread {
    let present: Vec<f64> = values.iter().flatten().copied().collect();
    let (min, max, std_dev) = if present.is_empty() {
        (None, None, None)
    } else {
        let mean = present.iter().sum::<f64>() / present.len() as f64;
        let variance = present.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / present.len() as f64;
        (
            present.iter().copied().reduce(f64::min),
            present.iter().copied().reduce(f64::max),
            Some(variance.sqrt()),
        )
    };
    SeedSpread {
        metric: metric.to_string(),
        seeds,
        values,
        min,
        max,
        std_dev,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn difference(decision: bool) -> Difference {
        Difference {
            what: "x".into(),
            run: 2,
            first: "1".into(),
            other: "2".into(),
            decision,
        }
    }

    #[test]
    fn statuses() {
        assert_eq!(status(1, &[]), ReproducibilityStatus::Skipped);
        assert_eq!(status(2, &[]), ReproducibilityStatus::Reproducible);
        assert_eq!(status(2, &[difference(false)]), ReproducibilityStatus::Nondeterministic);
        assert_eq!(
            status(3, &[difference(false), difference(true)]),
            ReproducibilityStatus::Unstable
        );
    }

    #[test]
    fn spread_of_values() {
        let s = spread("m", vec![42, 1, 2], vec![Some(1.0), Some(3.0), None]);
        assert_eq!((s.min, s.max, s.std_dev), (Some(1.0), Some(3.0), Some(1.0)));
    }
}
