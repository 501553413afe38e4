//! `assay regrade REPORT_JSON`: grade the same submission again and say what changed.

use std::path::PathBuf;

use anyhow::Context;

use crate::exit::{Exit, input_error, input_error_from};
use crate::grade::Grader;
use crate::grade::reproducibility::compare;
use crate::live::Display;
use crate::runner::Backend;
use crate::store::ReportDir;
use crate::text::{short_hash, terminal_safe};

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

pub async fn run(options: RegradeOptions) -> anyhow::Result<Exit> {
    let earlier = crate::store::read_report(&options.report).map_err(input_error_from)?;
    let assignment = options
        .assignment
        .clone()
        .unwrap_or_else(|| PathBuf::from(&earlier.assignment.path));
    let spec = crate::spec::load_valid(&assignment).map_err(input_error_from)?;
    if spec.sha256 != earlier.assignment.spec_sha256 {
        println!(
            "the spec changed: {} was {} when graded, is {} now",
            assignment.join(crate::spec::SPEC_FILE).display(),
            short_hash(&earlier.assignment.spec_sha256),
            short_hash(&spec.sha256)
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
                short_hash(&earlier.provenance.image_id)
            );
            return Ok(Exit::Input);
        }
        Err(e) => return Err(e).context("asking the engine for the sandbox image"),
    };
    if image_id != earlier.provenance.image_id {
        println!(
            "the image changed: {} was {} when graded, is {} now",
            spec.sandbox.image,
            short_hash(&earlier.provenance.image_id),
            short_hash(&image_id)
        );
        return Ok(Exit::Input);
    }
    let stored = options.submission.is_none();
    let submission = options
        .submission
        .clone()
        .unwrap_or_else(|| ReportDir::holding(&options.report).stored_copy());
    if !submission.exists() {
        return Err(input_error(format!(
            "no submission to regrade: {} does not exist; give one with --submission",
            submission.display()
        )));
    }
    let temp = crate::temp_dirs::owned("regrade")?;
    let out = options.out.clone().unwrap_or_else(|| temp.path().to_path_buf());
    let engine = crate::docker::engine_version(&docker).await;
    let backend = Backend::Docker(docker);
    let mut grader = Grader::new(&backend, &spec, image_id, engine, out);
    grader.display = Display::for_terminal(options.json);
    grader.force = true;
    grader.runs = Some(1);
    grader.run_concurrency = Some(1);
    let now = grader.grade(&submission).await?.report;
    if stored && now.submission.sha256 != earlier.submission.sha256 {
        let why = match &now.submission.rejection {
            Some(rejection) => format!("it cannot be unpacked: {}", terminal_safe(rejection)),
            None => format!(
                "its files hash to {}, not the graded {}",
                short_hash(&now.submission.sha256),
                short_hash(&earlier.submission.sha256)
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
            short_hash(&earlier.submission.sha256),
            submission.display(),
            short_hash(&now.submission.sha256)
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
