//! One phase in one fresh, hardened container: files in, the candidate's command under its
//! limits, measurements from the cgroup, files out, container removed.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bollard::Docker;
use bollard::container::LogOutput;
use bollard::exec::StartExecResults;
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, KillContainerOptionsBuilder, RemoveContainerOptionsBuilder,
};
use futures_util::StreamExt;

use super::capture::Capture;
use super::events::{Event, Sink, Stream};
use super::exec;
use super::outcome::{PhaseOutcome, PhaseVerdict};
use super::sandbox::{Area, CANDIDATE_USER, GRADER_USER, Owner, container_body};
use super::verdict::{Ending, Measured, outcome};
use crate::spec::{Phase, Sandbox};

/// How long a phase gets between SIGTERM and SIGKILL when its time is up.
const GRACE: Duration = Duration::from_secs(2);

/// Kills whatever the candidate left running, then prints what the cgroup measured.
/// Works on cgroup v1 and v2; `kill -1` spares the caller and the root-owned holder.
const FINISH_SCRIPT: &str = r#"kill -KILL -1 2>/dev/null; kill -KILL -1 2>/dev/null
if [ -f /sys/fs/cgroup/memory/memory.max_usage_in_bytes ]; then
  echo "peak=$(cat /sys/fs/cgroup/memory/memory.max_usage_in_bytes)"
  echo "cpu_ns=$(cat /sys/fs/cgroup/cpuacct/cpuacct.usage)"
  echo "oom=$(sed -n 's/^oom_kill //p' /sys/fs/cgroup/memory/memory.oom_control)"
else
  echo "peak=$(cat /sys/fs/cgroup/memory.peak 2>/dev/null)"
  echo "cpu_ns=$(( $(sed -n 's/^usage_usec //p' /sys/fs/cgroup/cpu.stat) * 1000 ))"
  echo "oom=$(sed -n 's/^oom_kill //p' /sys/fs/cgroup/memory.events)"
fi"#;

pub struct PhaseRequest<'a> {
    pub phase: &'a Phase,
    pub sandbox: &'a Sandbox,
    pub labels: HashMap<String, String>,
    pub container_name: String,
    /// A tar with `workspace/...`, unpacked at `/` as the candidate.
    pub upload: &'a Path,
    /// A tar with each input folder, unpacked at `/` as root (None when there are none).
    pub inputs_upload: Option<&'a Path>,
    pub input_areas: Vec<Area>,
    pub env: Vec<String>,
    /// Where the workspace after the phase is saved as a tar (for the next phase).
    pub workspace_out: &'a Path,
    /// A later phase starts from this workspace, so it is saved.
    pub keep_workspace: bool,
    /// Where the declared outputs are saved as a tar.
    pub outputs_out: &'a Path,
}

/// The phase's outcome; `collected` is true when the workspace and outputs were saved.
pub struct PhaseRun {
    pub outcome: PhaseOutcome,
    pub collected: bool,
}

pub async fn run_phase(docker: &Docker, request: PhaseRequest<'_>, sink: &mut dyn Sink) -> anyhow::Result<PhaseRun> {
    let mut areas = vec![
        Area {
            path: "/workspace".into(),
            bytes: request.sandbox.workspace_bytes,
            exec: true,
            owner: Owner::Candidate,
        },
        Area {
            path: "/tmp".into(),
            bytes: request.sandbox.tmp_bytes,
            exec: true,
            owner: Owner::Shared,
        },
        Area {
            path: "/out".into(),
            bytes: request.sandbox.tmp_bytes,
            exec: false,
            // Beside a service, only the trusted client writes results.
            owner: if request.phase.service.is_some() {
                Owner::Grader
            } else {
                Owner::Candidate
            },
        },
    ];
    areas.extend(request.input_areas.iter().cloned());
    let body = container_body(request.sandbox, request.labels.clone(), &areas, request.env.clone());
    let options = CreateContainerOptionsBuilder::default()
        .name(&request.container_name)
        .build();
    let created = docker
        .create_container(Some(options), body)
        .await
        .with_context(|| format!("creating the container for phase {}", request.phase.name))?;
    let result = inside(docker, &created.id, &request, sink).await;
    remove(docker, &created.id).await;
    result
}

/// Force-removes a container; failures are left for `assay gc` (it is labelled).
pub async fn remove(docker: &Docker, id: &str) {
    let options = RemoveContainerOptionsBuilder::default().force(true).v(true).build();
    if let Err(e) = docker.remove_container(id, Some(options)).await
        && !crate::docker::is_not_found(&e)
    {
        tracing::warn!("could not remove container {id}: {e}");
    }
}

async fn inside(
    docker: &Docker,
    id: &str,
    request: &PhaseRequest<'_>,
    sink: &mut dyn Sink,
) -> anyhow::Result<PhaseRun> {
    let phase = request.phase;
    docker
        .start_container(id, None)
        .await
        .context("starting the phase container")?;
    let upload = exec::run(
        docker,
        id,
        &["/bin/tar", "-x", "-i", "-f", "-", "-C", "/"],
        Some(request.upload),
        None,
        0,
    )
    .await?;
    if upload.exit_code != 0 {
        bail!(
            "unpacking files into the container failed (tar exit {}): {}",
            upload.exit_code,
            upload.stderr.trim()
        );
    }

    if let Some(inputs) = request.inputs_upload {
        // Root owns the inputs: candidate code reads them but cannot rewrite them, e.g. hidden
        // tests that pytest has not collected yet. Root here holds no capabilities, so tar
        // keeps neither owners nor modes from the archive.
        let command = [
            "/bin/tar",
            "-x",
            "-i",
            "--no-same-owner",
            "--no-same-permissions",
            "-f",
            "-",
            "-C",
            "/",
        ];
        let unpacked = exec::run_as(docker, id, "0:0", &command, Some(inputs), None, 0).await?;
        if unpacked.exit_code != 0 {
            bail!(
                "unpacking the inputs into the container failed (tar exit {}): {}",
                unpacked.exit_code,
                unpacked.stderr.trim()
            );
        }
    }

    sink.event(&Event::PhaseStarted { phase: &phase.name });
    // A service is the candidate's and starts first; `run` is then the author's client, as a
    // user the service can neither signal nor write as. Both outputs count toward the cap.
    let mut service_output = match &phase.service {
        Some(service) => {
            let command = vec!["/bin/sh".to_string(), "-c".to_string(), service.clone()];
            let (_, started) = exec::start(docker, id, command, request.env.clone(), false).await?;
            let StartExecResults::Attached { output, .. } = started else {
                bail!("the engine did not attach to the service");
            };
            Some(output)
        }
        None => None,
    };
    let user = if phase.service.is_some() {
        GRADER_USER
    } else {
        CANDIDATE_USER
    };
    let command = vec!["/bin/sh".to_string(), "-c".to_string(), phase.run.clone()];
    let (exec_id, started) = exec::start_as(docker, id, user, command, request.env.clone(), false).await?;
    let StartExecResults::Attached { mut output, .. } = started else {
        bail!("the engine did not attach to the phase");
    };
    let started_at = Instant::now();
    let deadline = tokio::time::Instant::now() + phase.timeout;
    let mut capture = Capture::new(request.sandbox.output_limit_bytes);
    let mut ending = Ending::Exited;
    let mut keep = |capture: &mut Capture, item: LogOutput| {
        let (stream, message) = match item {
            LogOutput::StdOut { message } => (Stream::Stdout, message),
            LogOutput::StdErr { message } => (Stream::Stderr, message),
            _ => return,
        };
        let kept = capture.take(stream, &message);
        if !kept.is_empty() {
            sink.event(&Event::Output {
                phase: &phase.name,
                stream,
                bytes: kept,
            });
        }
    };
    loop {
        tokio::select! {
            item = output.next() => {
                match item {
                    Some(Ok(item)) => keep(&mut capture, item),
                    None => break,
                    // The stream breaking is the end of the process as far as we can tell.
                    Some(Err(e)) => { tracing::debug!("phase output ended: {e}"); break }
                }
            }
            item = async {
                match service_output.as_mut() {
                    Some(service) => service.next().await,
                    None => std::future::pending().await,
                }
            } => {
                match item {
                    Some(Ok(item)) => keep(&mut capture, item),
                    // The service ended; the client finds out on its own.
                    _ => service_output = None,
                }
            }
            _ = tokio::time::sleep_until(deadline) => {
                ending = Ending::TimedOut;
                // SIGTERM to every process, then a short grace to let them end.
                let term = ["/bin/sh", "-c", "kill -TERM -1"];
                let _ = tokio::time::timeout(GRACE, exec::run(docker, id, &term, None, None, 0)).await;
                if phase.service.is_some() {
                    let _ = tokio::time::timeout(GRACE, exec::run_as(docker, id, GRADER_USER, &term, None, None, 0)).await;
                }
                let _ = tokio::time::timeout(GRACE, async {
                    while let Some(Ok(item)) = output.next().await {
                        keep(&mut capture, item);
                    }
                }).await;
                break;
            }
        }
        if capture.exceeded {
            ending = Ending::OutputExceeded;
            break;
        }
    }
    drop(service_output);
    let wall = match ending {
        Ending::TimedOut => phase
            .timeout
            .as_secs_f64()
            .max(started_at.elapsed().as_secs_f64() - GRACE.as_secs_f64()),
        _ => started_at.elapsed().as_secs_f64(),
    };
    drop(output);

    let exit_code = match ending {
        Ending::Exited => exec::exit_code(docker, &exec_id).await?,
        _ => None,
    };
    if phase.service.is_some() {
        // The client's leftovers end too, so nothing writes /out while it is copied.
        let kill = ["/bin/sh", "-c", "kill -KILL -1"];
        let _ = tokio::time::timeout(GRACE, exec::run_as(docker, id, GRADER_USER, &kill, None, None, 0)).await;
    }
    let measured = finish(docker, id).await;
    let mut outcome = outcome(ending, exit_code, wall, &measured, &capture, phase, request.sandbox);
    if outcome.verdict != PhaseVerdict::Passed {
        kill(docker, id).await;
        return Ok(PhaseRun {
            outcome,
            collected: false,
        });
    }
    if let Err(reason) = collect(docker, id, request).await? {
        outcome.verdict = PhaseVerdict::InvalidOutput;
        outcome.message = Some(reason);
        return Ok(PhaseRun {
            outcome,
            collected: false,
        });
    }
    Ok(PhaseRun {
        outcome,
        collected: true,
    })
}

/// Ends leftover candidate processes and reads the cgroup; falls back on the engine's state
/// when the container can no longer run anything (e.g. its pids are exhausted).
async fn finish(docker: &Docker, id: &str) -> Measured {
    let read = tokio::time::timeout(
        Duration::from_secs(10),
        exec::run(docker, id, &["/bin/sh", "-c", FINISH_SCRIPT], None, None, 4096),
    )
    .await;
    if let Ok(Ok(result)) = &read
        && result.exit_code == 0
    {
        return Measured::parse(&String::from_utf8_lossy(&result.stdout));
    }
    // The container can run nothing more: ask the engine what became of it.
    let mut measured = Measured::default();
    if let Ok(state) = docker.inspect_container(id, None).await
        && let Some(state) = state.state
    {
        measured.container_oom_killed = state.oom_killed.unwrap_or(false);
    }
    measured
}

async fn kill(docker: &Docker, id: &str) {
    let options = KillContainerOptionsBuilder::default().signal("KILL").build();
    let _ = docker.kill_container(id, Some(options)).await;
}

/// Saves the workspace (when a later phase needs it) and the declared outputs as tars;
/// `Ok(Err)` when the candidate's files cannot be carried (too large for the limits).
async fn collect(docker: &Docker, id: &str, request: &PhaseRequest<'_>) -> anyhow::Result<Result<(), String>> {
    let sandbox = request.sandbox;
    if request.keep_workspace
        && let Err(why) = save_workspace(docker, id, request).await?
    {
        return Ok(Err(why));
    }
    if request.phase.outputs.is_empty() {
        return Ok(Ok(()));
    }
    let mut command = vec!["/bin/tar", "-c", "-f", "-", "-C", "/"];
    command.extend(request.phase.outputs.iter().map(|o| o.trim_start_matches('/')));
    let limit = sandbox.workspace_bytes + 2 * sandbox.tmp_bytes;
    let outputs = exec::run(docker, id, &command, None, Some(request.outputs_out), limit).await?;
    if outputs.truncated {
        return Ok(Err(
            "the declared outputs are larger than the writable areas allow".to_string()
        ));
    }
    // A missing output makes tar exit 2; extract_outputs names which one.
    Ok(Ok(()))
}

async fn save_workspace(docker: &Docker, id: &str, request: &PhaseRequest<'_>) -> anyhow::Result<Result<(), String>> {
    // Tar headers add up to 1.5 KiB a file on top of the content the tmpfs size bounds.
    let limit = request.sandbox.workspace_bytes + 64 * 1024 * 1024;
    let command = ["/bin/tar", "-c", "-f", "-", "-C", "/", "workspace"];
    let saved = exec::run(docker, id, &command, None, Some(request.workspace_out), limit).await?;
    if saved.truncated {
        let size = crate::units::format_size(limit);
        return Ok(Err(format!(
            "the workspace is larger than {size} as a tar and cannot be carried to the next phase"
        )));
    }
    if saved.exit_code != 0 {
        bail!(
            "saving the workspace failed (tar exit {}): {}",
            saved.exit_code,
            saved.stderr.trim()
        );
    }
    Ok(Ok(()))
}
