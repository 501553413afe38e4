//! `assay check`: grade an assignment's reference and known-bad solutions and hold each to its
//! `expect.toml`, for authors' CI.

mod expect;
mod test_names;

use std::path::{Path, PathBuf};

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use crate::exit::{Exit, input_error};
use crate::grading::Grader;
use crate::report::Report;
use crate::runner::Backend;
use crate::text::terminal_safe;
pub use expect::{EXPECT_FILE, Expectations, Range};

#[derive(Debug, clap::Args)]
pub struct CheckOptions {
    #[arg(required = true)]
    pub assignments: Vec<PathBuf>,
    /// Write one JUnit test case per solution and expectation here, for CI.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Keep the reports here (default: a temp folder, removed afterwards).
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    /// Sandbox image folders (default: the ones built into assay).
    #[arg(long, env = "ASSAY_IMAGES_DIR")]
    pub images_dir: Option<PathBuf>,
}

/// One expectation and whether it held.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub expectation: String,
    /// `None` when it held, else what differed.
    pub failure: Option<String>,
}

pub async fn check(options: CheckOptions) -> anyhow::Result<Exit> {
    let docker = crate::docker::connect().await?;
    let engine = crate::docker::engine_version(&docker).await;
    let backend = Backend::Docker(docker);
    let temp = crate::gc::temp_dir("check")?;
    let mut exit = Exit::Success;
    let mut junit = JunitReport::new("assay check");
    for dir in &options.assignments {
        let load = |dir: &Path| {
            crate::spec::load(dir).map_err(|errors| {
                let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
                input_error(format!("the assignment spec is invalid:\n{}", lines.join("\n")))
            })
        };
        let mut spec = load(dir)?;
        let Backend::Docker(docker) = &backend else {
            unreachable!("check grades in Docker")
        };
        let image_id = crate::grade::ensure_image(docker, &spec, options.images_dir.as_deref()).await?;
        let out = options
            .out
            .clone()
            .unwrap_or_else(|| temp.path().to_path_buf())
            .join(&spec.id);
        let mut suite = TestSuite::new(format!("assay check {}", spec.id));
        for (name, solution) in solutions(dir)? {
            let reference = name == "reference";
            let started = std::time::Instant::now();
            let expectations = expect::load(&solution, reference)?;
            // The reference is graded without trusted names: its names are what gets trusted.
            let mut grading_spec = spec.clone();
            if reference {
                grading_spec.test_names = None;
            }
            let grader = Grader {
                backend: &backend,
                spec: &grading_spec,
                image_id: image_id.clone(),
                engine: engine.clone(),
                out: out.clone(),
                display: crate::report::Display::Quiet,
                force: true,
                runs: None,
                run_concurrency: None,
                exports: Vec::new(),
                same_files: Default::default(),
            };
            let report = grader.grade(&solution).await?.report;
            let mut outcomes = judge(&report, &expectations);
            if reference {
                outcomes.extend(test_names::record(dir, &spec, &report)?);
                // The known-bad solutions are graded against the names just recorded.
                spec = load(dir)?;
            }
            let failures: Vec<&Outcome> = outcomes.iter().filter(|o| o.failure.is_some()).collect();
            let label = format!("{}/{name}", spec.id);
            if failures.is_empty() {
                println!("{label}: ok ({} expectation(s) held)", outcomes.len());
            } else {
                exit = exit.worst(Exit::Failed);
                let what: Vec<String> = failures
                    .iter()
                    .map(|o| terminal_safe(o.failure.as_deref().unwrap_or("")))
                    .collect();
                println!("{label}: FAILED {}", what.join("; "));
            }
            for outcome in outcomes {
                let status = match &outcome.failure {
                    None => TestCaseStatus::success(),
                    Some(why) => {
                        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
                        status.set_message(why.as_str());
                        status
                    }
                };
                let mut case = TestCase::new(format!("{name}: {}", outcome.expectation), status);
                case.set_classname(spec.id.as_str());
                case.set_time(started.elapsed());
                suite.add_test_case(case);
            }
        }
        junit.add_test_suite(suite);
    }
    if let Some(path) = &options.junit {
        let xml = junit
            .to_string()
            .map_err(|e| anyhow::anyhow!("writing JUnit XML: {e}"))?;
        std::fs::write(path, xml).map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?;
    }
    Ok(exit)
}

/// The reference first, then the other solution folders in name order.
fn solutions(dir: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let root = dir.join("solutions");
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir(&root)
        .map_err(|e| {
            input_error(format!(
                "{}: {e}; an assignment needs solutions/reference",
                root.display()
            ))
        })?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect();
    found.sort_by(|a, b| (a.0 != "reference", &a.0).cmp(&(b.0 != "reference", &b.0)));
    if found.first().is_none_or(|(name, _)| name != "reference") {
        return Err(input_error(format!(
            "{} has no reference solution (solutions/reference)",
            root.display()
        )));
    }
    Ok(found)
}

/// Holds a report to its expectations, one outcome per expectation.
pub fn judge(report: &Report, expect: &Expectations) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    let mut check = |expectation: String, failure: Option<String>| outcomes.push(Outcome { expectation, failure });
    if let Some(verdict) = &expect.verdict {
        let got = report.verdict.as_str();
        check(
            format!("verdict {verdict}"),
            (got != verdict).then(|| format!("verdict: expected {verdict}, got {got} ({})", report.summary)),
        );
    }
    if let Some(status) = &expect.reproducibility {
        let got = serde_json::to_value(report.reproducibility.status)
            .ok()
            .and_then(|v| v.as_str().map(String::from))
            .unwrap_or_default();
        let differences: Vec<String> = report
            .reproducibility
            .differences
            .iter()
            .map(|d| format!("{} {} then {}", d.what, d.first, d.other))
            .collect();
        check(
            format!("reproducibility {status}"),
            (got != *status).then(|| {
                format!(
                    "reproducibility: expected {status}, got {got} ({})",
                    differences.join(", ")
                )
            }),
        );
    }
    for (phase, verdict) in &expect.phases {
        let got = report
            .phases
            .iter()
            .find(|p| p.name == *phase)
            .map(|p| p.verdict.as_str())
            .unwrap_or("missing");
        check(
            format!("phase {phase} {verdict}"),
            (got != verdict).then(|| format!("phase {phase}: expected {verdict}, got {got}")),
        );
    }
    for (name, range) in &expect.metrics {
        let value = report.metrics.iter().find(|m| m.name == *name).and_then(|m| m.value);
        let failure = match value {
            Some(v) if range.holds(v) => None,
            Some(v) => Some(format!("metric {name}: expected {range}, got {v}")),
            None => Some(format!("metric {name}: expected {range}, got no value")),
        };
        check(format!("metric {name} {range}"), failure);
    }
    if let Some(range) = &expect.score {
        let failure = match report.score {
            Some(score) if range.holds(score.total) => None,
            Some(score) => Some(format!("score: expected {range}, got {}", score.total)),
            None => Some(format!("score: expected {range}, got none")),
        };
        check(format!("score {range}"), failure);
    }
    if let Some(patterns) = &expect.failing_tests {
        for test in &report.tests {
            let should_fail = patterns.iter().any(|p| crate::junit::glob_match(p, &test.name));
            let failed = test.status != crate::junit::TestStatus::Passed;
            let failure = match (should_fail, failed) {
                (true, false) => Some(format!("test {}: expected to fail, passed", test.name)),
                (false, true) => Some(format!(
                    "test {}: expected to pass, {}",
                    test.name,
                    format!("{:?}", test.status).to_lowercase()
                )),
                _ => None,
            };
            check(format!("test {}", test.name), failure);
        }
        for pattern in patterns {
            if !report.tests.iter().any(|t| crate::junit::glob_match(pattern, &t.name)) {
                check(
                    format!("test {pattern} exists"),
                    Some(format!("test {pattern}: expected to fail, but no such test ran")),
                );
            }
        }
    }
    // A hidden test whose status flips between runs of the same solution is flaky, whatever
    // else was expected.
    for difference in report
        .reproducibility
        .differences
        .iter()
        .filter(|d| d.what.starts_with("test "))
    {
        let name = difference.what.trim_start_matches("test ");
        check(
            format!("test {name} stable"),
            Some(format!(
                "flaky hidden test {name}: {} in run 1, {} in run {}",
                difference.first, difference.other, difference.run
            )),
        );
    }
    outcomes
}
