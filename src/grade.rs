//! `assay grade`: intake, run, score and report each submission; nothing is left behind,
//! also on Ctrl-C.

use std::path::{Path, PathBuf};

use anyhow::Context;
use bollard::Docker;

use crate::exit::{Exit, input_error};
use crate::grading::Grader;
use crate::report::{Report, RunVerdict};
use crate::runner::Backend;
use crate::spec::Spec;
use crate::text::terminal_safe;

pub struct GradeOptions {
    pub assignment: PathBuf,
    pub out: PathBuf,
    pub submissions: Vec<PathBuf>,
    pub images_dir: PathBuf,
    pub json: bool,
    pub backend: BackendChoice,
    /// Overrides the spec's number of reproducibility runs.
    pub runs: Option<u32>,
    pub run_concurrency: Option<usize>,
    pub formats: Vec<crate::report::exports::Format>,
}

/// Where phases run; Docker unless the author explicitly asks for local processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendChoice {
    Docker,
    Process,
}

pub async fn grade(options: GradeOptions) -> anyhow::Result<Exit> {
    let spec = crate::spec::load(&options.assignment).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        input_error(format!("the assignment spec is invalid:\n{}", lines.join("\n")))
    })?;
    let (backend, image_id, engine) = match options.backend {
        BackendChoice::Docker => {
            let docker = crate::docker::connect().await?;
            let swept = crate::gc::sweep(&docker, &crate::gc::Scope::Stale).await?;
            if swept.containers + swept.volumes > 0 {
                eprintln!(
                    "removed {} container(s) and {} volume(s) left by an earlier run that was killed",
                    swept.containers, swept.volumes
                );
            }
            let image_id = ensure_image(&docker, &spec, &options.images_dir).await?;
            let engine = crate::docker::engine_version(&docker).await;
            (Backend::Docker(docker), image_id, engine)
        }
        BackendChoice::Process => {
            eprintln!(
                "WARNING: --backend process runs the submission as local processes of this user with NO isolation \
                 (no container, network on, your files readable). Use it only for your own reference solutions."
            );
            (Backend::Process, "none".to_string(), "none".to_string())
        }
    };
    let grader = Grader {
        backend: &backend,
        spec: &spec,
        image_id,
        engine,
        out: options.out.clone(),
        quiet: options.json,
        runs: options.runs,
        run_concurrency: options.run_concurrency,
        exports: options.formats.clone(),
    };
    let work = async {
        let mut exit = Exit::Success;
        for path in &options.submissions {
            let report = grader.grade(path).await?;
            print_summary(&report, &options);
            exit = exit.worst(match report.verdict {
                RunVerdict::Passed => Exit::Success,
                RunVerdict::Failed => Exit::Failed,
                RunVerdict::InvalidSubmission => Exit::Input,
                RunVerdict::HarnessError => Exit::Harness,
            });
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

/// The sandbox image's id, built from `images_dir` when it is an `assay/NAME` not yet built.
pub async fn ensure_image(docker: &Docker, spec: &Spec, images_dir: &Path) -> anyhow::Result<String> {
    match docker.inspect_image(&spec.sandbox.image).await {
        Ok(image) => return Ok(image.id.unwrap_or_default()),
        Err(e) if crate::docker::is_not_found(&e) => {}
        Err(e) => return Err(e).context("asking the engine for the sandbox image"),
    }
    let name = spec
        .sandbox
        .image
        .strip_prefix("assay/")
        .map(|n| n.split(':').next().unwrap_or(n));
    match name {
        Some(name) if images_dir.join(name).join("Dockerfile").is_file() => {
            eprintln!(
                "sandbox image {} is missing; building it from {}",
                spec.sandbox.image,
                images_dir.join(name).display()
            );
            let built = crate::image::build(docker, images_dir, name, &mut |line| eprintln!("  {line}")).await?;
            Ok(built.id)
        }
        _ => Err(input_error(format!(
            "the sandbox image {} does not exist and no sandbox-images folder builds it",
            spec.sandbox.image
        ))),
    }
}

fn print_summary(report: &Report, options: &GradeOptions) {
    if options.json {
        println!("{}", serde_json::to_string(report).unwrap_or_default());
        return;
    }
    let score = report
        .score
        .map(|s| format!(" score {:.2}/{:.2}", s.total, s.max))
        .unwrap_or_default();
    println!(
        "{}: {}{score} — {}",
        terminal_safe(&report.submission.name),
        report.verdict.as_str(),
        terminal_safe(&report.summary)
    );
    for metric in &report.metrics {
        let value = metric
            .value
            .map(|v| format!("{v:.4}"))
            .unwrap_or_else(|| "-".to_string());
        println!(
            "  {} = {value}{}",
            metric.name,
            if metric.passed { "" } else { " (missed)" }
        );
    }
    println!(
        "  report: {}",
        options
            .out
            .join(&report.submission.sha256[..16])
            .join("report.json")
            .display()
    );
}
