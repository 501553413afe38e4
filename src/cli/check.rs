//! `assay check`: grade an assignment's reference and known-bad solutions and hold each to its
//! `expect.toml`, for authors' CI.

use std::path::{Path, PathBuf};

use quick_junit::{NonSuccessKind, Report as JunitReport, TestCase, TestCaseStatus, TestSuite};

use crate::check::{Outcome, judge, load_expectations, record_test_names};
use crate::exit::{Exit, input_error, input_error_from};
use crate::grade::Grader;
use crate::runner::Backend;
use crate::text::terminal_safe;

#[derive(Debug, clap::Args)]
pub struct CheckOptions {
    #[arg(required_unless_present = "round")]
    pub assignments: Vec<PathBuf>,
    /// Instead, look at a graded round in this folder: how well each hidden test and metric
    /// threshold told its candidates apart, and whether its conditions held.
    #[arg(long, conflicts_with_all = ["assignments", "junit", "out"])]
    pub round: Option<PathBuf>,
    /// With --round: print the findings as JSON.
    #[arg(long, requires = "round")]
    pub json: bool,
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

pub async fn run(options: CheckOptions) -> anyhow::Result<Exit> {
    if let Some(out) = &options.round {
        return check_round(out, options.json);
    }
    let docker = crate::docker::connect().await?;
    let engine = crate::docker::engine_version(&docker).await;
    let backend = Backend::Docker(docker);
    let temp = crate::temp_dirs::owned("check")?;
    let mut exit = Exit::Success;
    let mut junit = JunitReport::new("assay check");
    for dir in &options.assignments {
        let mut spec = crate::spec::load_valid(dir).map_err(input_error_from)?;
        let Backend::Docker(docker) = &backend else {
            unreachable!("check grades in Docker")
        };
        let image_id = crate::image::ensure(docker, &spec, options.images_dir.as_deref(), &mut |line| {
            eprintln!("{line}")
        })
        .await?;
        let out = options
            .out
            .clone()
            .unwrap_or_else(|| temp.path().to_path_buf())
            .join(&spec.id);
        let mut suite = TestSuite::new(format!("assay check {}", spec.id));
        for (name, solution) in solutions(dir)? {
            let reference = name == "reference";
            let started = std::time::Instant::now();
            let expectations = load_expectations(&solution, reference).map_err(input_error_from)?;
            // The reference is graded without trusted names: its names are what gets trusted.
            let mut grading_spec = spec.clone();
            if reference {
                grading_spec.test_names = None;
            }
            let mut grader = Grader::new(&backend, &grading_spec, image_id.clone(), engine.clone(), out.clone());
            grader.force = true;
            let report = grader.grade(&solution).await?.report;
            let mut outcomes = judge(&report, &expectations);
            if reference {
                let recorded = record_test_names(dir, &spec, &report)?;
                if let Some(count) = recorded.new_lock {
                    println!(
                        "{}: recorded {count} hidden test name(s) in {}; commit it",
                        spec.id,
                        dir.join(crate::spec::LOCK_FILE).display()
                    );
                }
                outcomes.extend(recorded.outcomes);
                // The known-bad solutions are graded against the names just recorded.
                spec = crate::spec::load_valid(dir).map_err(input_error_from)?;
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

/// `--round OUT`: each item's pass rate and correlation, what to look at, and the conditions.
fn check_round(out: &Path, json: bool) -> anyhow::Result<Exit> {
    if !out.is_dir() {
        return Err(input_error(format!(
            "{} is not a folder of reports",
            terminal_safe(&out.display().to_string())
        )));
    }
    let round = crate::store::round::read(out)?;
    for left_out in &round.left_out {
        eprintln!("warning: {}", terminal_safe(left_out));
    }
    if round.rows.is_empty() {
        return Err(input_error("the folder holds no reports; grade a round into it first"));
    }
    let reports = crate::store::round::distinct_reports(&round.rows);
    // The drift allowed is the spec's, when the assignment the reports name is still there.
    let drift = crate::spec::load(Path::new(&reports[0].assignment.path))
        .map(|spec| spec.round.drift)
        .unwrap_or(crate::spec::DEFAULT_DRIFT);
    let mut unreadable = Vec::new();
    let (items, conditions) = crate::store::round::tests_and_conditions(out, &reports, drift, &mut unreadable);
    for left_out in &unreadable {
        eprintln!("warning: {}", terminal_safe(left_out));
    }
    if json {
        let found = serde_json::json!({"submissions": reports.len(), "items": items, "conditions": conditions});
        println!("{}", serde_json::to_string_pretty(&found)?);
        return Ok(Exit::Success);
    }
    println!("{} submission(s) in the round", reports.len());
    println!(
        "{:<40} {:>10} {:>12}  look at",
        "hidden test or metric threshold", "passed", "correlation"
    );
    for item in &items {
        println!(
            "{:<40} {:>10} {:>12}  {}",
            terminal_safe(&item.name),
            format!("{}/{}", item.passed, item.total),
            item.correlation
                .map(|r| format!("{r:+.3}"))
                .unwrap_or_else(|| "-".into()),
            item.flag.map(|f| f.explain()).unwrap_or_default()
        );
    }
    for phase in &conditions.phases {
        println!(
            "canary {}: {} grade(s), {:.2}-{:.2} s",
            terminal_safe(&phase.name),
            phase.runs,
            phase.wall_min,
            phase.wall_max
        );
    }
    for warning in &conditions.warnings {
        println!("warning: {}", terminal_safe(warning));
    }
    Ok(Exit::Success)
}
