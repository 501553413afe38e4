//! A whole grading run of one submission: each phase in turn in a fresh container, the
//! workspace carried from one phase to the next, declared outputs copied out to the host.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use bollard::Docker;

use super::docker_phase::{PhaseRequest, PhaseRun};
use super::events::{Event, Sink};
use super::outcome::{PhaseOutcome, PhaseVerdict};
use super::sandbox::{Area, labels};
use super::transfer;
use crate::intake::Submission;
use crate::spec::{OutputRef, Source, Spec};

/// The seed every phase sees as ASSAY_SEED, the same for every run.
pub const DEFAULT_SEED: u64 = 42;

/// What one run produced: phase outcomes and, on the host, the declared outputs.
pub struct RunRecord {
    pub run_id: String,
    pub phases: Vec<PhaseOutcome>,
    /// Host copies of declared outputs, by `phase:/path`.
    pub outputs: HashMap<OutputRef, PathBuf>,
    /// Owns the output copies and workspace tars of this run.
    pub scratch: tempfile::TempDir,
}

/// Where phases run.
pub enum Backend {
    /// Fresh hardened containers (the default, and the only isolated backend).
    Docker(Docker),
    /// Local processes with rlimits only: for authors checking their own solutions.
    Process,
}

impl Backend {
    async fn run_phase(
        &self,
        request: PhaseRequest<'_>,
        sink: &mut dyn Sink,
    ) -> anyhow::Result<PhaseRun> {
        match self {
            Backend::Docker(docker) => super::docker_phase::run_phase(docker, request, sink).await,
            Backend::Process => {
                tokio::task::block_in_place(|| super::process_phase::run_phase(&request, sink))
            }
        }
    }

    /// What the report says about isolation.
    pub fn isolation(&self) -> &'static str {
        match self {
            Backend::Docker(_) => {
                "docker: network off, no capabilities, no-new-privileges, read-only root, uid 1000, memory/pids/cpu limits, size-limited tmpfs"
            }
            Backend::Process => super::process_phase::ISOLATION,
        }
    }
}

/// Runs every phase of `spec` on `submission`. An `Err` is the harness failing outright.
pub async fn run_submission(
    backend: &Backend,
    spec: &Spec,
    submission: &Submission,
    run_id: &str,
    sink: &mut dyn Sink,
) -> anyhow::Result<RunRecord> {
    let scratch = tempfile::Builder::new()
        .prefix("assay-run-")
        .tempdir()
        .context("making the run's temp folder")?;
    let mut record = RunRecord {
        run_id: run_id.to_string(),
        phases: Vec::new(),
        outputs: HashMap::new(),
        scratch,
    };
    let mut workspace: Option<PathBuf> = None;
    let mut stopped: Option<String> = None;
    for (index, phase) in spec.phases.iter().enumerate() {
        if let Some(reason) = &stopped {
            let outcome = PhaseOutcome::skipped(&phase.name, reason);
            sink.event(&Event::PhaseFinished { outcome: &outcome });
            record.phases.push(outcome);
            continue;
        }
        let dir = record
            .scratch
            .path()
            .join(format!("{index}-{}", phase.name));
        std::fs::create_dir_all(&dir)?;
        let upload = dir.join("upload.tar");
        let input_areas = write_upload(
            &upload,
            spec,
            phase,
            submission,
            workspace.as_deref(),
            &record.outputs,
        )?;
        let workspace_out = dir.join("workspace.tar");
        let outputs_out = dir.join("outputs.tar");
        let mut attempt = 0;
        let run = loop {
            attempt += 1;
            let request = PhaseRequest {
                phase,
                sandbox: &spec.sandbox,
                labels: labels(run_id, &submission.sha256),
                container_name: format!("assay-{run_id}-{}-{attempt}", phase.name),
                upload: &upload,
                input_areas: input_areas
                    .iter()
                    .map(|a| Area {
                        path: a.path.clone(),
                        bytes: a.bytes,
                        exec: a.exec,
                    })
                    .collect(),
                env: environment(phase.name.as_str()),
                workspace_out: &workspace_out,
                outputs_out: &outputs_out,
            };
            match backend.run_phase(request, sink).await {
                Ok(run) => break Ok(run),
                // A harness failure is retried once before it is reported; never scored.
                Err(e) if attempt < 2 => tracing::warn!(
                    "phase {} failed in the harness, retrying: {e:#}",
                    phase.name
                ),
                Err(e) => break Err(e),
            }
        };
        let mut outcome = match run {
            Ok(run) if run.collected => {
                workspace = Some(workspace_out.clone());
                run.outcome
            }
            Ok(run) => run.outcome,
            Err(e) => PhaseOutcome::harness_error(&phase.name, &e),
        };
        if outcome.verdict == PhaseVerdict::Passed && !phase.outputs.is_empty() {
            match transfer::extract_outputs(
                &outputs_out,
                &phase.outputs,
                &dir.join("outputs"),
                spec.sandbox.workspace_bytes,
            )? {
                Ok(found) => {
                    for (path, host) in found {
                        record.outputs.insert(
                            OutputRef {
                                phase: phase.name.clone(),
                                path,
                            },
                            host,
                        );
                    }
                }
                Err(reason) => {
                    outcome.verdict = PhaseVerdict::InvalidOutput;
                    outcome.message = Some(reason);
                }
            }
        }
        if outcome.verdict != PhaseVerdict::Passed {
            stopped = Some(format!(
                "phase {} did not pass ({})",
                phase.name,
                outcome.verdict.as_str()
            ));
        }
        sink.event(&Event::PhaseFinished { outcome: &outcome });
        record.phases.push(outcome);
    }
    Ok(record)
}

fn environment(phase: &str) -> Vec<String> {
    vec![
        "HOME=/tmp".to_string(),
        format!("ASSAY_SEED={DEFAULT_SEED}"),
        format!("ASSAY_PHASE={phase}"),
        "PYTHONHASHSEED=0".to_string(),
    ]
}

/// Writes the tar a phase starts from: the workspace (the submission, or the previous phase's
/// workspace) followed by each declared input. Returns the tmpfs areas the inputs need.
fn write_upload(
    path: &Path,
    spec: &Spec,
    phase: &crate::spec::Phase,
    submission: &Submission,
    workspace: Option<&Path>,
    outputs: &HashMap<OutputRef, PathBuf>,
) -> anyhow::Result<Vec<Area>> {
    let mut builder = transfer::create(path)?;
    match workspace {
        // The previous phase's tar is passed on untouched: it is never unpacked on the host.
        Some(previous) => {
            let mut file = std::fs::File::open(previous)?;
            std::io::copy(&mut file, builder.get_mut())?;
        }
        None => {
            transfer::tar_folder(&mut builder, &submission.root, "workspace")?;
        }
    }
    let mut areas = Vec::new();
    for input in &phase.inputs {
        let prefix = input.mount.trim_start_matches('/');
        let bytes = match &input.source {
            Source::Assignment(relative) => {
                let host = spec.dir.join(relative);
                if host.is_dir() {
                    transfer::tar_folder(&mut builder, &host, prefix)?
                } else {
                    let name = format!(
                        "{prefix}/{}",
                        relative.file_name().unwrap_or_default().to_string_lossy()
                    );
                    transfer::tar_file(&mut builder, &host, &name)?
                }
            }
            Source::PhaseOutput(reference) => {
                let host = outputs
                    .get(reference)
                    .with_context(|| format!("{reference} was not copied out"))?;
                let name = format!(
                    "{prefix}/{}",
                    reference.path.rsplit('/').next().unwrap_or("output")
                );
                transfer::tar_file(&mut builder, host, &name)?
            }
        };
        // The folder holds exactly the inputs, plus room for file system overhead.
        areas.push(Area {
            path: input.mount.clone(),
            bytes: bytes + bytes / 10 + 1024 * 1024,
            exec: false,
        });
    }
    builder.finish()?;
    Ok(areas)
}
