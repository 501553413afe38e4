//! `assay grade`: intake, run, score and report each submission; nothing is left behind,
//! also on Ctrl-C.

use std::path::{Path, PathBuf};

use futures_util::StreamExt;

use crate::exit::{Exit, input_error, input_error_from};
use crate::grade::{Graded, Grader};
use crate::live::Display;
use crate::model::RunVerdict;
use crate::runner::Backend;
use crate::spec::Spec;
use crate::store::ReportDir;
use crate::text::terminal_safe;

#[derive(Debug, clap::Args)]
pub struct GradeOptions {
    /// The assignment folder.
    #[arg(short, long)]
    pub assignment: PathBuf,
    /// Where reports go: OUT/<submission sha256 prefix>/report.json.
    #[arg(short, long, default_value = "assay-out")]
    pub out: PathBuf,
    pub submissions: Vec<PathBuf>,
    /// Also grade every file and folder in this folder (a hiring round).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Submissions graded at once (default: what cores and memory hold).
    #[arg(short, long, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Grade again what OUT already holds for the same submission, spec and image.
    #[arg(long)]
    pub force: bool,
    /// Sandbox image folders (default: the ones built into assay).
    #[arg(long, env = "ASSAY_IMAGES_DIR")]
    pub images_dir: Option<PathBuf>,
    /// One JSON report per line on stdout instead of the human summary.
    #[arg(long)]
    pub json: bool,
    /// `process` runs phases as local processes with NO isolation, for authors checking
    /// their own solutions without Docker; never for candidates' code.
    #[arg(long, value_enum, default_value = "docker")]
    pub backend: BackendChoice,
    /// Runs of each submission compared for reproducibility, 1 to 100 (default: the spec's).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=crate::spec::bounds::MAX_RUNS))]
    pub runs: Option<u32>,
    /// Runs of one submission at once (default: as many as cores and memory allow).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub run_concurrency: Option<u16>,
    /// Skip the canary: the reference solution graded at the start and end of a round, so
    /// that drifting conditions show (default: on for rounds, `[round] canary` in the spec).
    #[arg(long)]
    pub no_canary: bool,
    /// Also write results for another grader: gradescope or prairielearn (repeatable).
    #[arg(long = "format", value_enum)]
    pub formats: Vec<crate::report::exports::Format>,
}

/// Where phases run; Docker unless the author explicitly asks for local processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendChoice {
    Docker,
    Process,
}

pub async fn run(options: GradeOptions) -> anyhow::Result<Exit> {
    let spec = crate::spec::load_valid(&options.assignment).map_err(input_error_from)?;
    for warning in &spec.warnings {
        eprintln!("warning: {warning}");
    }
    writable_folder(&options.out)?;
    let (backend, image_id, engine) = match options.backend {
        BackendChoice::Docker => {
            let docker = crate::docker::connect().await?;
            let swept = crate::gc::sweep(&docker, &crate::gc::Scope::Stale).await?;
            if swept.containers + swept.volumes + swept.temp_dirs > 0 {
                eprintln!(
                    "removed {} container(s), {} volume(s) and {} temp folder(s) left by an earlier run that was killed",
                    swept.containers, swept.volumes, swept.temp_dirs
                );
            }
            let image_id = crate::image::ensure(&docker, &spec, options.images_dir.as_deref(), &mut |line| {
                eprintln!("{line}")
            })
            .await?;
            let engine = crate::docker::engine_version(&docker).await;
            (Backend::Docker(docker), image_id, engine)
        }
        BackendChoice::Process => {
            eprintln!(
                "WARNING: --backend process runs the submission as local processes of this user with NO isolation \
                 (no container, network on, your files readable). Use it only for your own reference solutions."
            );
            crate::temp_dirs::sweep();
            (Backend::Process, "none".to_string(), "none".to_string())
        }
    };
    let submissions = submissions(&options)?;
    let display = Display::for_terminal(options.json);
    let mut grader = Grader::new(&backend, &spec, image_id, engine, options.out.clone());
    grader.display = display.clone();
    grader.force = options.force;
    grader.runs = options.runs;
    grader.run_concurrency = options.run_concurrency.map(usize::from);
    grader.exports = options.formats.clone();
    let jobs = options
        .jobs
        .map(usize::from)
        .unwrap_or_else(|| default_jobs(&spec, options.runs, options.run_concurrency.map(usize::from)))
        .max(1);
    let overall = match &display {
        Display::Bars(multi) if submissions.len() > 1 => {
            let bar = multi.add(indicatif::ProgressBar::new(submissions.len() as u64));
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} graded, {elapsed}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            Some(bar)
        }
        _ => None,
    };
    let round = submissions.len() > 1 || options.dir.is_some();
    let canary = round && spec.round.canary && !options.no_canary;
    let work = async {
        if canary {
            run_canary(&grader, "start", &display, options.json).await?;
        }
        let mut exit = Exit::Success;
        let mut graded = futures_util::stream::iter(submissions.iter())
            .map(|path| grader.grade(path))
            .buffer_unordered(jobs);
        while let Some(result) = graded.next().await {
            let graded = result?;
            if let Some(bar) = &overall {
                bar.inc(1);
            }
            print_summary(&graded, &options, &display);
            exit = exit.worst(match graded.report.verdict {
                RunVerdict::Passed => Exit::Success,
                RunVerdict::Failed => Exit::Failed,
                RunVerdict::InvalidSubmission => Exit::Input,
                RunVerdict::HarnessError => Exit::Harness,
            });
        }
        if let Some(bar) = &overall {
            bar.finish_and_clear();
        }
        if canary {
            run_canary(&grader, "end", &display, options.json).await?;
        }
        if round {
            for left_out in crate::store::round::write(&options.out, Some(&spec))?.left_out {
                eprintln!("warning: {}", terminal_safe(&left_out));
            }
            if !options.json {
                display.println(&format!("round summary: {}", options.out.join("index.html").display()));
            }
        }
        anyhow::Ok(exit)
    };
    tokio::select! {
        result = work => result,
        _ = tokio::signal::ctrl_c() => {
            eprintln!("interrupted: removing this run's containers");
            if let Backend::Docker(docker) = &backend {
                let owner = crate::gc::Scope::Owner(crate::gc::owner_label());
                crate::gc::sweep(docker, &owner).await?;
            }
            Ok(Exit::Harness)
        }
    }
}

/// Grades the reference solution as the round's canary and says how it went.
async fn run_canary(grader: &Grader<'_>, moment: &str, display: &Display, json: bool) -> anyhow::Result<()> {
    let found = crate::grade::grade_canary(
        grader.backend,
        grader.spec,
        &grader.image_id,
        &grader.engine,
        &grader.out,
        moment,
    )
    .await?;
    if let Some(canary) = found {
        let phases: Vec<String> = canary
            .phases
            .iter()
            .map(|p| format!("{} {:.2} s", terminal_safe(&p.name), p.wall_seconds))
            .collect();
        let line = format!(
            "canary at the {moment}: the reference solution {} ({})",
            canary.verdict,
            phases.join(", ")
        );
        // stdout holds one JSON report per line in --json mode.
        if json {
            eprintln!("{line}")
        } else {
            display.println(&line)
        }
    }
    Ok(())
}

/// The output folder exists (or is made) and takes files; else an input error naming it.
pub fn writable_folder(out: &Path) -> anyhow::Result<()> {
    let shown = crate::text::terminal_safe(&out.display().to_string());
    if out.exists() && !out.is_dir() {
        return Err(input_error(format!("the output folder {shown} is not a folder")));
    }
    std::fs::create_dir_all(out).map_err(|e| input_error(format!("cannot make the output folder {shown}: {e}")))?;
    tempfile::Builder::new()
        .prefix(".assay-probe-")
        .tempfile_in(out)
        .map_err(|e| input_error(format!("cannot write in the output folder {shown}: {e}")))?;
    Ok(())
}

/// The submissions named, then every entry of `--dir` (files and folders, by name).
fn submissions(options: &GradeOptions) -> anyhow::Result<Vec<PathBuf>> {
    let mut paths = options.submissions.clone();
    if let Some(dir) = &options.dir {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| input_error(format!("cannot read {}: {e}", dir.display())))?
            .filter_map(|e| e.ok())
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .map(|e| e.path())
            .collect();
        found.sort();
        paths.extend(found);
    }
    if paths.is_empty() {
        return Err(input_error("no submissions: name some, or give --dir"));
    }
    Ok(paths)
}

/// Submissions graded at once so the machine is never oversubscribed: the room the spec's
/// CPU and memory limits leave, shared by each submission's concurrent runs.
fn default_jobs(spec: &Spec, runs: Option<u32>, run_concurrency: Option<usize>) -> usize {
    let room = crate::grade::machine_room(spec);
    let runs = runs.unwrap_or(spec.reproducibility.runs) as usize;
    let per_submission = run_concurrency.unwrap_or(room).min(runs).max(1);
    (room / per_submission).max(1)
}

fn print_summary(graded: &Graded, options: &GradeOptions, display: &Display) {
    let report = &graded.report;
    if options.json {
        println!("{}", serde_json::to_string(report).unwrap_or_default());
        return;
    }
    let same = if graded.same_files_as.is_empty() {
        String::new()
    } else {
        let others: Vec<String> = graded.same_files_as.iter().map(|n| terminal_safe(n)).collect();
        format!(" [same files as {}]", others.join(", "))
    };
    if graded.skipped {
        display.println(&format!(
            "{}: already graded ({}), skipped; --force grades it again{same}",
            terminal_safe(&graded.name),
            report.verdict.as_str()
        ));
        return;
    }
    let score = report
        .score
        .map(|s| format!(" score {:.2}/{:.2}", s.total, s.max))
        .unwrap_or_default();
    let mut lines = vec![format!(
        "{}: {}{score} — {}{same}",
        terminal_safe(&graded.name),
        report.verdict.as_str(),
        terminal_safe(&report.summary)
    )];
    for metric in &report.metrics {
        let value = metric
            .value
            .map(|v| format!("{v:.4}"))
            .unwrap_or_else(|| "-".to_string());
        lines.push(format!(
            "  {} = {value}{}",
            metric.name,
            if metric.passed { "" } else { " (missed)" }
        ));
    }
    let path = ReportDir::in_out(&options.out, &report.submission.sha256).report_json();
    lines.push(format!("  report: {}", path.display()));
    display.println(&lines.join("\n"));
}
