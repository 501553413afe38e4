//! `assay regrade REPORT_JSON`: grade the same submission again and say what changed.

use std::path::PathBuf;

use anyhow::Context;

use crate::exit::{Exit, input_error};
use crate::grading::Grader;
use crate::report::Report;
use crate::reproducibility::compare;
use crate::runner::Backend;
use crate::text::terminal_safe;

#[derive(Debug, clap::Args)]
pub struct RegradeOptions {
    pub report: PathBuf,
    /// The assignment folder (default: the one the report names).
    #[arg(short, long)]
    pub assignment: Option<PathBuf>,
    /// The submission (default: the copy stored beside the report).
    #[arg(long)]
    pub submission: Option<PathBuf>,
    /// Keep the new report here (default: a temp folder, removed afterwards).
    #[arg(short, long)]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

pub async fn regrade(options: RegradeOptions) -> anyhow::Result<Exit> {
    let text = std::fs::read_to_string(&options.report)
        .map_err(|e| input_error(format!("cannot read {}: {e}", options.report.display())))?;
    let earlier: Report = serde_json::from_str(&text)
        .map_err(|e| input_error(format!("{} is not an assay report: {e}", options.report.display())))?;
    let assignment = options
        .assignment
        .clone()
        .unwrap_or_else(|| PathBuf::from(&earlier.assignment.path));
    let spec = crate::spec::load(&assignment).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        input_error(format!("the assignment spec is invalid:\n{}", lines.join("\n")))
    })?;
    if spec.sha256 != earlier.assignment.spec_sha256 {
        println!(
            "the spec changed: {} was {} when graded, is {} now",
            assignment.join(crate::spec::SPEC_FILE).display(),
            short(&earlier.assignment.spec_sha256),
            short(&spec.sha256)
        );
        return Ok(Exit::Input);
    }
    let docker = crate::docker::connect().await?;
    let image_id = match docker.inspect_image(&spec.sandbox.image).await {
        Ok(image) => image.id.unwrap_or_default(),
        Err(e) if crate::docker::is_not_found(&e) => {
            println!(
                "the image changed: {} no longer exists (it was {})",
                spec.sandbox.image,
                short(&earlier.provenance.image_id)
            );
            return Ok(Exit::Input);
        }
        Err(e) => return Err(e).context("asking the engine for the sandbox image"),
    };
    if image_id != earlier.provenance.image_id {
        println!(
            "the image changed: {} was {} when graded, is {} now",
            spec.sandbox.image,
            short(&earlier.provenance.image_id),
            short(&image_id)
        );
        return Ok(Exit::Input);
    }
    let report_dir = options.report.parent().map(PathBuf::from).unwrap_or_default();
    let stored = options.submission.is_none();
    let submission = options
        .submission
        .clone()
        .unwrap_or_else(|| report_dir.join(crate::intake::STORED_COPY));
    if !submission.exists() {
        return Err(input_error(format!(
            "no submission to regrade: {} does not exist; give one with --submission",
            submission.display()
        )));
    }
    let temp = crate::gc::temp_dir("regrade")?;
    let out = options.out.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let engine = crate::docker::engine_version(&docker).await;
    let backend = Backend::Docker(docker);
    let grader = Grader {
        backend: &backend,
        spec: &spec,
        image_id,
        engine,
        out,
        display: crate::report::Display::for_terminal(options.json),
        force: true,
        runs: Some(1),
        run_concurrency: Some(1),
        exports: Vec::new(),
        same_files: Default::default(),
    };
    let now = grader.grade(&submission).await?.report;
    if stored && now.submission.sha256 != earlier.submission.sha256 {
        let why = match &now.submission.rejection {
            Some(rejection) => format!("it cannot be unpacked: {}", terminal_safe(rejection)),
            None => format!(
                "its files hash to {}, not the graded {}",
                short(&now.submission.sha256),
                short(&earlier.submission.sha256)
            ),
        };
        println!(
            "the stored copy {} is corrupt or was changed: {why}; give the original with --submission",
            submission.display()
        );
        return Ok(Exit::Input);
    }
    if now.submission.sha256 != earlier.submission.sha256 {
        println!(
            "a different submission: the report graded {}, {} is {}",
            short(&earlier.submission.sha256),
            submission.display(),
            short(&now.submission.sha256)
        );
        return Ok(Exit::Input);
    }
    let differences = compare(&spec, &earlier, &now, 2);
    if options.json {
        println!("{}", serde_json::json!({ "differences": differences }));
    } else if differences.is_empty() {
        println!(
            "no difference from the earlier report ({})",
            terminal_safe(earlier.verdict.as_str())
        );
    } else {
        println!("{} difference(s) from the earlier report:", differences.len());
        for d in &differences {
            println!(
                "  {}: {} then, {} now",
                terminal_safe(&d.what),
                terminal_safe(&d.first),
                terminal_safe(&d.other)
            );
        }
    }
    Ok(if differences.is_empty() {
        Exit::Success
    } else {
        Exit::Failed
    })
}

fn short(hash: &str) -> &str {
    let hash = hash.strip_prefix("sha256:").unwrap_or(hash);
    &hash[..hash.len().min(12)]
}
