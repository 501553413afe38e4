//! A whole grading run of one submission: each phase in turn in a fresh container, the
//! workspace carried from one phase to the next, declared outputs copied out to the host.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use bollard::Docker;

use super::events::{Event, RunInfo, Sink};
use super::phase::{PhaseRequest, PhaseRun};
use super::sandbox::{Area, Owner, labels};
use super::transfer::{self, OutputError};
use crate::intake::Submission;
use crate::model::{PhaseOutcome, PhaseVerdict};
use crate::spec::{OutputRef, Source, Spec};

/// The seed every phase sees as ASSAY_SEED, the same for every run.
pub const DEFAULT_SEED: u64 = 42;

/// A fresh id for a run (or a warm container), unique across processes and hosts in practice:
/// containers and logs are named by it.
pub fn new_run_id() -> String {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let seed = format!("{nanos}-{}-{count}", std::process::id());
    crate::sha256::of_bytes(seed.as_bytes())[..12].to_string()
}

/// What one run produced: phase outcomes and, on the host, the declared outputs.
pub struct RunRecord {
    pub phases: Vec<PhaseOutcome>,
    /// Host copies of declared outputs, by `phase:/path`.
    pub outputs: HashMap<OutputRef, PathBuf>,
    pub scorers: Vec<ScorerRun>,
    /// Owns the output copies and workspace tars of this run.
    pub scratch: tempfile::TempDir,
    /// Containers being removed while the next phase runs; all are gone before the run ends.
    removals: Vec<tokio::task::JoinHandle<()>>,
}

/// Where phases run.
pub enum Backend {
    /// Fresh hardened containers (the default, and the only isolated backend).
    Docker(Docker),
    /// Local processes with rlimits only: for authors checking their own solutions.
    Process,
}

impl Backend {
    async fn run_phase(&self, request: PhaseRequest<'_>, sink: &mut dyn Sink) -> anyhow::Result<PhaseRun> {
        match self {
            Backend::Docker(docker) => super::docker_phase::run_phase(docker, request, sink).await,
            Backend::Process => tokio::task::block_in_place(|| super::process_phase::run_phase(&request, sink)),
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

/// A phase's container made before its phase starts: created, started, holding the phase's
/// inputs, waiting for the workspace.
pub struct Prepared {
    pub id: String,
    /// The tmpfs areas of its inputs, as the phase's request names them.
    pub areas: Vec<Area>,
}

/// Runs every phase of `spec` on `submission`. `first` is a container made for the first
/// phase before the submission came (a warm one, see `warm.rs`). An `Err` is the harness
/// failing outright.
pub async fn run_submission(
    backend: &Backend,
    spec: &Spec,
    submission: &Submission,
    run_id: &str,
    run: RunInfo,
    first: Option<Prepared>,
    sink: &mut dyn Sink,
) -> anyhow::Result<RunRecord> {
    sink.event(&Event::RunStarted {
        submission: &submission.name,
        sha256: &submission.sha256,
        run_id,
        run,
    });
    let seed = run.seed;
    let scratch = crate::temp_dirs::owned("run").context("making the run's temp folder")?;
    let mut record = RunRecord {
        phases: Vec::new(),
        outputs: HashMap::new(),
        scorers: Vec::new(),
        scratch,
        removals: Vec::new(),
    };
    let mut workspace: Option<PathBuf> = None;
    let mut stopped: Option<String> = None;
    // The next phase's container, created while the current phase runs.
    let mut ahead: Option<Prepared> = first;
    for (index, phase) in spec.phases.iter().enumerate() {
        let prepared = ahead.take();
        if let Some(reason) = &stopped {
            discard(backend, prepared).await;
            let outcome = PhaseOutcome::skipped(&phase.name, reason);
            sink.event(&Event::PhaseFinished { outcome: &outcome });
            record.phases.push(outcome);
            continue;
        }
        let paths = PhasePaths::new(record.scratch.path(), index, &phase.name);
        let dir = paths.dir.clone();
        let (upload, inputs) = (paths.upload.clone(), paths.inputs.clone());
        let start = match &workspace {
            Some(previous) => Workspace::Previous(previous),
            None => Workspace::Submission(&submission.root),
        };
        let written = std::fs::create_dir_all(&dir)
            .map_err(anyhow::Error::from)
            .and_then(|()| write_upload(&upload, start));
        if let Err(e) = written {
            discard(backend, prepared).await;
            return Err(e);
        }
        let (prepared, input_areas) = match prepared {
            Some(Prepared { id, areas }) => (Some(id), areas),
            None => (None, write_inputs(&inputs, spec, phase, &record.outputs)?),
        };
        let (workspace_out, outputs_out) = (paths.workspace_out.clone(), paths.outputs_out.clone());
        let step = Step {
            phase,
            sandbox: &spec.sandbox,
            upload: &upload,
            inputs: &inputs,
            input_areas: &input_areas,
            workspace_out: &workspace_out,
            outputs_out: &outputs_out,
            keep_workspace: index + 1 < spec.phases.len(),
        };
        let (mut run, next) = tokio::join!(
            step.run(backend, run_id, &submission.sha256, seed, sink, prepared),
            prepare_ahead(
                backend,
                spec,
                record.scratch.path(),
                index + 1,
                run_id,
                &submission.sha256,
                seed
            ),
        );
        ahead = next;
        record
            .removals
            .extend(run.as_mut().ok().and_then(|run| run.removal.take()));
        let mut outcome = match run {
            Ok(run) if run.collected => {
                workspace = Some(workspace_out.clone());
                run.outcome
            }
            Ok(run) => run.outcome,
            Err(e) => PhaseOutcome::harness_error(&phase.name, &e),
        };
        if outcome.verdict == PhaseVerdict::Passed && !phase.outputs.is_empty() {
            let extracted = transfer::extract_outputs(
                &outputs_out,
                &phase.outputs,
                &dir.join("outputs"),
                spec.sandbox.workspace_bytes,
            );
            match extracted {
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
                Err(OutputError::Invalid(reason)) => {
                    outcome.verdict = PhaseVerdict::InvalidOutput;
                    outcome.message = Some(reason);
                }
                Err(OutputError::Harness(error)) => {
                    discard(backend, ahead.take()).await;
                    return Err(error);
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
    let scored = run_scorers(backend, spec, &submission.sha256, run_id, seed, &mut record, sink).await;
    for removal in record.removals.drain(..) {
        let _ = removal.await;
    }
    // Whatever a race left (a container made ahead as its phase ended, a removal the engine
    // refused while busy), nothing of this run outlives it.
    if let Backend::Docker(docker) = backend
        && let Err(e) = crate::gc::sweep(docker, &crate::gc::Scope::Run(run_id.to_string())).await
    {
        tracing::warn!("could not sweep the containers of run {run_id}: {e:#}");
    }
    scored?;
    Ok(record)
}

/// Where one phase's tars go in the run's scratch folder; the same whether its container is
/// made ahead or when it starts.
struct PhasePaths {
    dir: PathBuf,
    upload: PathBuf,
    inputs: PathBuf,
    workspace_out: PathBuf,
    outputs_out: PathBuf,
}

impl PhasePaths {
    fn new(scratch: &Path, index: usize, phase: &str) -> PhasePaths {
        let dir = scratch.join(format!("{index}-{phase}"));
        PhasePaths {
            upload: dir.join("upload.tar"),
            inputs: dir.join("inputs.tar"),
            workspace_out: dir.join("workspace.tar"),
            outputs_out: dir.join("outputs.tar"),
            dir,
        }
    }
}

/// One container run of a phase (or a scorer) with everything it needs.
struct Step<'a> {
    phase: &'a crate::spec::Phase,
    sandbox: &'a crate::spec::Sandbox,
    upload: &'a Path,
    inputs: &'a Path,
    input_areas: &'a [Area],
    workspace_out: &'a Path,
    outputs_out: &'a Path,
    keep_workspace: bool,
}

impl Step<'_> {
    /// Runs the step; a harness failure is retried once before it is reported, never scored.
    async fn run(
        &self,
        backend: &Backend,
        run_id: &str,
        submission_sha: &str,
        seed: u64,
        sink: &mut dyn Sink,
        mut prepared: Option<String>,
    ) -> anyhow::Result<PhaseRun> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let request = PhaseRequest {
                phase: self.phase,
                sandbox: self.sandbox,
                labels: labels(run_id, submission_sha),
                container_name: format!("assay-{run_id}-{}-{attempt}", self.phase.name),
                upload: self.upload,
                inputs_upload: (!self.input_areas.is_empty()).then_some(self.inputs),
                input_areas: self.input_areas.to_vec(),
                env: environment(self.phase, seed),
                workspace_out: self.workspace_out,
                outputs_out: self.outputs_out,
                keep_workspace: self.keep_workspace,
                // Only the first attempt uses a container made ahead.
                prepared: prepared.take(),
            };
            match backend.run_phase(request, sink).await {
                Ok(run) => return Ok(run),
                Err(e) if attempt < 2 => {
                    tracing::warn!("{} failed in the harness, retrying: {e:#}", self.phase.name)
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Removes a container made ahead for a phase that will not run.
async fn discard(backend: &Backend, prepared: Option<Prepared>) {
    if let (Some(prepared), Backend::Docker(docker)) = (prepared, backend) {
        crate::docker::remove_container(docker, &prepared.id).await;
    }
}

/// Creates the container of phase `index` while the phase before it runs.
async fn prepare_ahead(
    backend: &Backend,
    spec: &Spec,
    scratch: &Path,
    index: usize,
    run_id: &str,
    submission_sha: &str,
    seed: u64,
) -> Option<Prepared> {
    let Backend::Docker(docker) = backend else {
        return None;
    };
    prepare_phase(
        docker,
        spec,
        scratch,
        index,
        run_id,
        labels(run_id, submission_sha),
        seed,
    )
    .await
}

/// Creates, starts and fills the container of phase `index`, when its inputs come from the
/// assignment alone (so they are known before any earlier phase ends); `None` when it cannot
/// be made ahead (the phase then makes its own).
pub(super) async fn prepare_phase(
    docker: &Docker,
    spec: &Spec,
    scratch: &Path,
    index: usize,
    run_id: &str,
    labels: HashMap<String, String>,
    seed: u64,
) -> Option<Prepared> {
    let phase = spec.phases.get(index)?;
    if phase.inputs.iter().any(|i| !matches!(i.source, Source::Assignment(_))) {
        return None;
    }
    let paths = PhasePaths::new(scratch, index, &phase.name);
    let areas = std::fs::create_dir_all(&paths.dir)
        .map_err(anyhow::Error::from)
        .and_then(|()| write_inputs(&paths.inputs, spec, phase, &HashMap::new()));
    let areas = match areas {
        Ok(areas) => areas,
        Err(e) => {
            tracing::debug!("not preparing {} ahead: {e:#}", phase.name);
            return None;
        }
    };
    let request = PhaseRequest {
        phase,
        sandbox: &spec.sandbox,
        labels,
        container_name: format!("assay-{run_id}-{}-1", phase.name),
        upload: &paths.upload,
        inputs_upload: (!areas.is_empty()).then_some(paths.inputs.as_path()),
        input_areas: areas.clone(),
        env: environment(phase, seed),
        workspace_out: &paths.workspace_out,
        outputs_out: &paths.outputs_out,
        keep_workspace: index + 1 < spec.phases.len(),
        prepared: None,
    };
    match super::docker_phase::prepare(docker, &request).await {
        Ok(id) => Some(Prepared { id, areas }),
        Err(e) => {
            tracing::debug!("not preparing {} ahead: {e:#}", phase.name);
            None
        }
    }
}

/// A scorer's run and the values it wrote, or why there are none.
pub struct ScorerRun {
    pub name: String,
    pub outcome: PhaseOutcome,
    pub scores: Result<HashMap<String, f64>, String>,
}

/// Runs each scorer whose predictions exist, in a container that sees only the predictions,
/// the labels and the scorer's own files.
async fn run_scorers(
    backend: &Backend,
    spec: &Spec,
    submission_sha: &str,
    run_id: &str,
    seed: u64,
    record: &mut RunRecord,
    sink: &mut dyn Sink,
) -> anyhow::Result<()> {
    for scorer in &spec.scorers {
        if !record.outputs.contains_key(&scorer.predictions) {
            continue;
        }
        let mut inputs = vec![
            crate::spec::Input {
                mount: "/predictions".into(),
                source: Source::PhaseOutput(scorer.predictions.clone()),
            },
            crate::spec::Input {
                mount: "/labels".into(),
                source: Source::Assignment(scorer.labels.clone()),
            },
        ];
        if let Some(files) = &scorer.files {
            inputs.push(crate::spec::Input {
                mount: "/scorer".into(),
                source: Source::Assignment(files.clone()),
            });
        }
        let phase = crate::spec::Phase {
            name: format!("scorer-{}", scorer.name),
            run: scorer.run.clone(),
            timeout: scorer.timeout,
            inputs,
            outputs: vec!["/out/scores.json".to_string()],
            junit: None,
            gradescope: None,
            expected_tests: None,
            ok_exit_codes: vec![0],
            service: None,
            notebook: None,
        };
        let sandbox = crate::spec::Sandbox {
            image: scorer.image.clone(),
            ..spec.sandbox.clone()
        };
        let dir = record.scratch.path().join(&phase.name);
        std::fs::create_dir_all(&dir)?;
        let (upload, inputs) = (dir.join("upload.tar"), dir.join("inputs.tar"));
        write_upload(&upload, Workspace::Empty)?;
        let input_areas = write_inputs(&inputs, spec, &phase, &record.outputs)?;
        let (workspace_out, outputs_out) = (dir.join("workspace.tar"), dir.join("outputs.tar"));
        let step = Step {
            phase: &phase,
            sandbox: &sandbox,
            upload: &upload,
            inputs: &inputs,
            input_areas: &input_areas,
            workspace_out: &workspace_out,
            outputs_out: &outputs_out,
            keep_workspace: false,
        };
        let mut run = step.run(backend, run_id, submission_sha, seed, sink, None).await;
        record
            .removals
            .extend(run.as_mut().ok().and_then(|run| run.removal.take()));
        let (outcome, scores) = match run {
            Err(e) => (
                PhaseOutcome::harness_error(&phase.name, &e),
                Err(format!("the scorer could not run: {e:#}")),
            ),
            Ok(run) if run.outcome.verdict != PhaseVerdict::Passed => {
                let why = format!(
                    "the scorer {}: {}",
                    run.outcome.verdict.as_str(),
                    run.outcome.message.clone().unwrap_or_default()
                );
                (run.outcome, Err(why))
            }
            Ok(run) => {
                let scores =
                    match transfer::extract_outputs(&outputs_out, &phase.outputs, &dir.join("outputs"), 1024 * 1024) {
                        Ok(found) => read_scores(&found[0].1),
                        Err(OutputError::Invalid(why)) => Err(why),
                        Err(OutputError::Harness(error)) => return Err(error),
                    };
                (run.outcome, scores)
            }
        };
        sink.event(&Event::PhaseFinished { outcome: &outcome });
        record.scorers.push(ScorerRun {
            name: scorer.name.clone(),
            outcome,
            scores,
        });
    }
    Ok(())
}

/// `scores.json`: an object of names to finite numbers.
fn read_scores(path: &Path) -> Result<HashMap<String, f64>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("scores.json cannot be read: {e}"))?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("scores.json is not JSON: {e}"))?;
    let object = value
        .as_object()
        .ok_or("scores.json must be an object of names to numbers")?;
    let mut scores = HashMap::new();
    for (name, value) in object {
        match value.as_f64().filter(|v| v.is_finite()) {
            Some(number) => {
                scores.insert(name.clone(), number);
            }
            None => return Err(format!("scores.json: {name:?} is not a finite number")),
        }
    }
    Ok(scores)
}

fn environment(phase: &crate::spec::Phase, seed: u64) -> Vec<String> {
    let mut env = vec![
        "HOME=/tmp".to_string(),
        format!("ASSAY_SEED={seed}"),
        format!("ASSAY_PHASE={}", phase.name),
        "PYTHONHASHSEED=0".to_string(),
    ];
    if phase.junit.is_some() {
        // pytest loads neither the candidate's conftest.py files nor installed plugins, and
        // writes no cache into the workspace.
        env.push("PYTEST_DISABLE_PLUGIN_AUTOLOAD=1".to_string());
        env.push("PYTEST_ADDOPTS=--noconftest -p no:cacheprovider".to_string());
    }
    env
}

/// What `/workspace` starts as.
enum Workspace<'a> {
    /// The unpacked submission (first phase).
    Submission(&'a Path),
    /// The tar the previous phase left, passed on untouched: never unpacked on the host.
    Previous(&'a Path),
    /// Nothing (scorers never see the candidate's files).
    Empty,
}

/// Writes the tar of what `/workspace` starts as.
fn write_upload(path: &Path, workspace: Workspace) -> anyhow::Result<()> {
    let mut builder = crate::tarball::create(path)?;
    match workspace {
        Workspace::Previous(previous) => {
            let mut file = std::fs::File::open(previous)?;
            std::io::copy(&mut file, builder.get_mut())?;
        }
        Workspace::Submission(root) => {
            crate::tarball::tar_folder(&mut builder, root, "workspace")?;
        }
        Workspace::Empty => {
            let empty = crate::temp_dirs::owned("empty")?;
            crate::tarball::tar_folder(&mut builder, empty.path(), "workspace")?;
        }
    }
    builder.finish()?;
    Ok(())
}

/// Writes the tar of the phase's declared inputs; returns the tmpfs areas they need.
fn write_inputs(
    path: &Path,
    spec: &Spec,
    phase: &crate::spec::Phase,
    outputs: &HashMap<OutputRef, PathBuf>,
) -> anyhow::Result<Vec<Area>> {
    let mut builder = crate::tarball::create(path)?;
    let mut areas = Vec::new();
    for input in &phase.inputs {
        let prefix = input.mount.trim_start_matches('/');
        let bytes = match &input.source {
            Source::Assignment(relative) => {
                let host = spec.dir.join(relative);
                if host.is_dir() {
                    crate::tarball::tar_folder(&mut builder, &host, prefix)?
                } else {
                    let name = format!(
                        "{prefix}/{}",
                        relative.file_name().unwrap_or_default().to_string_lossy()
                    );
                    crate::tarball::tar_file(&mut builder, &host, &name)?
                }
            }
            Source::PhaseOutput(reference) => {
                let host = outputs
                    .get(reference)
                    .with_context(|| format!("{reference} was not copied out"))?;
                let name = format!("{prefix}/{}", reference.path.rsplit('/').next().unwrap_or("output"));
                crate::tarball::tar_file(&mut builder, host, &name)?
            }
        };
        // The folder holds exactly the inputs, plus room for file system overhead.
        areas.push(Area {
            path: input.mount.clone(),
            bytes: bytes + bytes / 10 + 1024 * 1024,
            exec: false,
            owner: Owner::Root,
        });
    }
    builder.finish()?;
    Ok(areas)
}
