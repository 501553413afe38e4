//! `[reproducibility]`: reruns, seed runs and the tolerance their values are compared with.

use super::*;

impl Checker<'_> {
    pub(super) fn reproducibility(&mut self, raw: &RawSpec) -> Reproducibility {
        let path = KeyPath::root().key("reproducibility");
        let runs = self.positive(raw.reproducibility.runs, &path.key("runs"), 2, bounds::MAX_RUNS) as u32;
        let tolerance = self
            .tolerance(raw.reproducibility.tolerance, &path.key("tolerance"))
            .unwrap_or(0.0);
        let seed_runs = match raw.reproducibility.seed_runs {
            None => 0,
            Some(n) if (0..=bounds::MAX_RUNS).contains(&n) => n as u32,
            Some(n) => {
                self.fail(
                    &path.key("seed_runs"),
                    format!("must be from 0 to {}, not {n}", bounds::MAX_RUNS),
                );
                0
            }
        };
        let mut ignore_outputs = Vec::new();
        for (i, output) in raw.reproducibility.ignore_outputs.iter().enumerate() {
            let declared = parse_output_ref(output).is_some_and(|r| {
                raw.phases
                    .iter()
                    .any(|p| p.name == r.phase && (p.outputs.contains(&r.path) || p.junit.as_ref() == Some(&r.path)))
            });
            if declared {
                ignore_outputs.push(output.clone());
            } else {
                let message = format!("{output:?} is not an output a phase declares (phase:/path)");
                self.fail(&path.key("ignore_outputs").index(i), message);
            }
        }
        Reproducibility {
            runs,
            tolerance,
            seed_runs,
            ignore_outputs,
        }
    }

    pub(super) fn tolerance(&mut self, value: Option<f64>, path: &KeyPath) -> Option<f64> {
        match value {
            Some(t) if !t.is_finite() || t < 0.0 => {
                self.fail(path, format!("must be zero or more, not {t}"));
                None
            }
            other => other,
        }
    }
}
