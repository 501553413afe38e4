//! `assay grade`: intake, run, score and report each submission; nothing is left behind,
//! also on Ctrl-C.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::Context;
use bollard::Docker;
use sha2::{Digest, Sha256};

use crate::exit::{Exit, input_error};
use crate::intake::{Rejection, intake};
use crate::report::{self, LogSink, Progress, Report, RunVerdict};
use crate::runner::{Backend, Event, Fanout, Sink, run_submission};
use crate::spec::Spec;
use crate::text::terminal_safe;

pub struct GradeOptions {
    pub assignment: PathBuf,
    pub out: PathBuf,
    pub submissions: Vec<PathBuf>,
    pub images_dir: PathBuf,
    pub json: bool,
    pub backend: BackendChoice,
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
    let work = async {
        let mut exit = Exit::Success;
        for path in &options.submissions {
            let report = grade_one(&backend, &spec, path, &options, &image_id, &engine).await?;
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
async fn ensure_image(docker: &Docker, spec: &Spec, images_dir: &Path) -> anyhow::Result<String> {
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

fn new_run_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let seed = format!("{nanos}-{}-{:p}", std::process::id(), &nanos);
    hex::encode(Sha256::digest(seed.as_bytes()))[..12].to_string()
}

async fn grade_one(
    backend: &Backend,
    spec: &Spec,
    path: &Path,
    options: &GradeOptions,
    image_id: &str,
    engine: &str,
) -> anyhow::Result<Report> {
    let started = SystemTime::now();
    let run_id = new_run_id();
    let provenance = |finished| report::Provenance {
        assay_version: env!("CARGO_PKG_VERSION").to_string(),
        image: spec.sandbox.image.clone(),
        image_id: image_id.to_string(),
        engine_version: engine.to_string(),
        started_at: report::timestamp(started),
        finished_at: report::timestamp(finished),
        run_id: run_id.clone(),
    };
    let mut base = Report {
        schema_version: report::SCHEMA_VERSION,
        assignment: report::AssignmentInfo {
            id: spec.id.clone(),
            version: spec.version.clone(),
            spec_sha256: spec.sha256.clone(),
        },
        submission: report::SubmissionInfo {
            sha256: String::new(),
            name: String::new(),
            files: 0,
            bytes: 0,
            rejection: None,
        },
        verdict: RunVerdict::InvalidSubmission,
        summary: String::new(),
        score: None,
        phases: Vec::new(),
        metrics: Vec::new(),
        tests: Vec::new(),
        test_groups: Vec::new(),
        reproducibility: report::Reproducibility {
            runs: 1,
            status: "skipped".to_string(),
            differences: Vec::new(),
        },
        isolation: backend.isolation().to_string(),
        provenance: provenance(started),
    };
    let submission = match intake(path, &spec.intake)? {
        Ok(submission) => submission,
        Err(rejection) => {
            return rejected(base, path, &rejection, options, provenance(SystemTime::now()));
        }
    };
    base.submission = report::SubmissionInfo {
        sha256: submission.sha256.clone(),
        name: submission.name.clone(),
        files: submission.tally.files,
        bytes: submission.tally.bytes,
        rejection: None,
    };
    let dir = options.out.join(&submission.sha256[..16]);
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut sink = Fanout::default();
    sink.sinks.push(Box::new(Progress { quiet: options.json }));
    sink.sinks.push(Box::new(LogSink::new(dir.join("logs"))?));
    sink.event(&Event::RunStarted {
        submission: &submission.name,
        sha256: &submission.sha256,
        run_id: &run_id,
    });
    let mut record = run_submission(backend, spec, &submission, &run_id, &mut sink).await?;
    let metrics = crate::scoring::score_metrics(spec, &mut record);
    let (tests, test_groups) = crate::scoring::score_tests(spec, &mut record);
    let (verdict, summary) = crate::scoring::verdict(&record.phases, &metrics, &test_groups);
    sink.event(&Event::RunFinished {
        verdict: verdict.as_str(),
    });
    let report = Report {
        verdict,
        summary,
        score: (verdict != RunVerdict::HarnessError).then(|| crate::scoring::score(&metrics, &test_groups)),
        phases: record.phases,
        metrics,
        tests,
        test_groups,
        reproducibility: report::Reproducibility {
            runs: 1,
            status: "skipped".to_string(),
            differences: vec!["reruns are not part of this grade yet".to_string()],
        },
        provenance: provenance(SystemTime::now()),
        ..base
    };
    save_outputs(&record.outputs, &dir.join("outputs"))?;
    report::write_json(&dir, &report)?;
    Ok(report)
}

/// Keeps the declared outputs beside the report (`outputs/PHASE/PATH`), so reviewers and
/// authors can recompute any metric from exactly what was scored.
fn save_outputs(
    outputs: &std::collections::HashMap<crate::spec::OutputRef, PathBuf>,
    dir: &Path,
) -> anyhow::Result<()> {
    for (reference, host) in outputs {
        let target = dir.join(&reference.phase).join(reference.path.trim_start_matches('/'));
        std::fs::create_dir_all(target.parent().unwrap_or(dir))?;
        std::fs::copy(host, &target).with_context(|| format!("saving {reference} to {}", target.display()))?;
    }
    Ok(())
}

/// The report of a refused submission, filed under the hash of the file as received.
fn rejected(
    base: Report,
    path: &Path,
    rejection: &Rejection,
    options: &GradeOptions,
    provenance: report::Provenance,
) -> anyhow::Result<Report> {
    let sha256 = raw_sha256(path);
    let report = Report {
        submission: report::SubmissionInfo {
            sha256: sha256.clone(),
            name: path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            files: 0,
            bytes: 0,
            rejection: Some(rejection.to_string()),
        },
        verdict: RunVerdict::InvalidSubmission,
        summary: format!("the submission was refused: {rejection}"),
        provenance,
        ..base
    };
    report::write_json(&options.out.join(&sha256[..16]), &report)?;
    Ok(report)
}

/// sha256 of a file's bytes (or of the path, for what cannot be read).
fn raw_sha256(path: &Path) -> String {
    let mut hasher = Sha256::new();
    match std::fs::File::open(path) {
        Ok(mut file) if path.is_file() => {
            let mut buffer = vec![0u8; 64 * 1024];
            while let Ok(n) = std::io::Read::read(&mut file, &mut buffer) {
                if n == 0 {
                    break;
                }
                hasher.update(&buffer[..n]);
            }
        }
        _ => hasher.update(path.to_string_lossy().as_bytes()),
    }
    hex::encode(hasher.finalize())
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
