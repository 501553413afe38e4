//! One phase in one fresh, hardened container: files in, the candidate's command under its
//! limits, measurements from the cgroup, files out, container removed.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use bollard::Docker;
use bollard::container::LogOutput;
use bollard::exec::StartExecResults;
use bollard::query_parameters::{CreateContainerOptionsBuilder, KillContainerOptionsBuilder};
use futures_util::StreamExt;

use super::capture::Capture;
use super::events::{Event, Sink, Stream};
use super::exec::{self, ExecResult};
use super::phase::{GRACE, PhaseRequest, PhaseRun};
use super::sandbox::{Area, CANDIDATE_USER, GRADER_HOME, GRADER_USER, Owner, container_body, trusted_env};
use super::transfer::OutputError;
use super::verdict::{Ending, Measured, outcome};
use super::workspace_gate;
use super::workspace_gate::{Gate, Gated};
use crate::model::{PhaseOutcome, PhaseVerdict};

/// Process slots added for the finish step when the candidate's processes took every one.
const FINISH_PIDS: i64 = 16;

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

pub async fn run_phase(docker: &Docker, request: PhaseRequest<'_>, sink: &mut dyn Sink) -> anyhow::Result<PhaseRun> {
    let id = match &request.prepared {
        Some(id) => id.clone(),
        None => prepare(docker, &request).await?,
    };
    let result = inside(docker, &id, &request, sink).await;
    let removal = {
        let (docker, id) = (docker.clone(), id.clone());
        tokio::spawn(async move { crate::docker::remove_container(&docker, &id).await })
    };
    match result {
        Ok(mut run) => {
            run.removal = Some(removal);
            Ok(run)
        }
        Err(e) => {
            let _ = removal.await;
            Err(e)
        }
    }
}

/// Creates and starts the phase's container with its inputs, ready for the workspace;
/// returns its id.
pub async fn prepare(docker: &Docker, request: &PhaseRequest<'_>) -> anyhow::Result<String> {
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
    if request.phase.service.is_some() {
        areas.push(Area {
            path: GRADER_HOME.into(),
            bytes: request.sandbox.tmp_bytes,
            exec: false,
            owner: Owner::Grader,
        });
    }
    areas.extend(request.input_areas.iter().cloned());
    let body = container_body(request.sandbox, request.labels.clone(), &areas, request.env.clone());
    let options = CreateContainerOptionsBuilder::default()
        .name(&request.container_name)
        .build();
    let created = docker
        .create_container(Some(options), body)
        .await
        .with_context(|| format!("creating the container for phase {}", request.phase.name))?;
    if let Err(e) = start_with_inputs(docker, &created.id, request).await {
        crate::docker::remove_container(docker, &created.id).await;
        return Err(e);
    }
    Ok(created.id)
}

/// Starts the container and unpacks the assignment's inputs into it.
async fn start_with_inputs(docker: &Docker, id: &str, request: &PhaseRequest<'_>) -> anyhow::Result<()> {
    docker
        .start_container(id, None)
        .await
        .context("starting the phase container")?;
    let Some(inputs) = request.inputs_upload else {
        return Ok(());
    };
    // Root owns the inputs: candidate code reads them but cannot rewrite them, e.g. hidden
    // tests that pytest has not collected yet. Root here holds no capabilities, so tar keeps
    // neither owners nor modes from the archive.
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
    Ok(())
}

async fn inside(
    docker: &Docker,
    id: &str,
    request: &PhaseRequest<'_>,
    sink: &mut dyn Sink,
) -> anyhow::Result<PhaseRun> {
    let phase = request.phase;
    // Beside a service the workspace goes in on its own first (the service starts from it);
    // otherwise it goes in with the command, in one exec (`workspace_gate.rs`).
    let together = phase.service.is_none();
    if !together {
        let workspace = exec::run(
            docker,
            id,
            &["/bin/tar", "-x", "-i", "-f", "-", "-C", "/"],
            Some(request.upload),
            None,
            0,
        )
        .await?;
        if workspace.exit_code != 0 {
            return Ok(workspace_refused(phase, workspace.exit_code, &workspace.stderr));
        }
        sink.event(&Event::PhaseStarted { phase: &phase.name });
    }
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
    let (user, env) = if phase.service.is_some() {
        (GRADER_USER, trusted_env(&request.env))
    } else {
        (CANDIDATE_USER, request.env.clone())
    };
    let command = match together {
        true => workspace_gate::command(&phase.run),
        false => vec!["/bin/sh".to_string(), "-c".to_string(), phase.run.clone()],
    };
    let (exec_id, started) = exec::start_as(docker, id, user, command, env, together).await?;
    let StartExecResults::Attached { mut output, mut input } = started else {
        bail!("the engine did not attach to the phase");
    };
    let feeding = together.then(|| {
        let upload = request.upload.to_path_buf();
        tokio::spawn(async move { exec::send_file(&upload, &mut input).await })
    });
    // Until the workspace is in, nothing is the candidate's and no clock runs.
    let mut gate = together.then(Gate::default);
    let mut started_at = Instant::now();
    let mut deadline = (!together).then(|| tokio::time::Instant::now() + phase.timeout);
    let mut capture = Capture::new(request.sandbox.output_limit_bytes);
    let mut ending = Ending::Exited;
    // Takes one chunk of output; true when the candidate's command has just started.
    let mut keep = |capture: &mut Capture, gate: &mut Option<Gate>, item: LogOutput| -> anyhow::Result<bool> {
        let (stream, message) = match item {
            LogOutput::StdOut { message } => (Stream::Stdout, message),
            LogOutput::StdErr { message } => (Stream::Stderr, message),
            _ => return Ok(false),
        };
        let (bytes, opened): (std::borrow::Cow<[u8]>, bool) = match (gate.as_mut(), stream) {
            (None, _) => (message[..].into(), false),
            (Some(gate), Stream::Stdout) => match gate.stdout(&message).map_err(anyhow::Error::msg)? {
                Gated::Waiting => return Ok(false),
                Gated::Opened(rest) => (rest.into(), true),
                Gated::Through(bytes) => (bytes, false),
            },
            (Some(gate), Stream::Stderr) => match gate.stderr(&message) {
                Some(bytes) => (bytes.into(), false),
                None => return Ok(false),
            },
        };
        if opened {
            sink.event(&Event::PhaseStarted { phase: &phase.name });
        }
        let kept = capture.take(stream, &bytes);
        if !kept.is_empty() {
            sink.event(&Event::Output {
                phase: &phase.name,
                stream,
                bytes: kept,
            });
        }
        Ok(opened)
    };
    loop {
        tokio::select! {
            item = output.next() => {
                match item {
                    Some(Ok(item)) => {
                        if keep(&mut capture, &mut gate, item)? {
                            started_at = Instant::now();
                            deadline = Some(tokio::time::Instant::now() + phase.timeout);
                        }
                    }
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
                    Some(Ok(item)) => { keep(&mut capture, &mut gate, item)?; }
                    // The service ended; the client finds out on its own.
                    _ => service_output = None,
                }
            }
            _ = async {
                match deadline {
                    Some(deadline) => tokio::time::sleep_until(deadline).await,
                    None => std::future::pending().await,
                }
            } => {
                ending = Ending::TimedOut;
                // SIGTERM to every process, then a short grace to let them end.
                let term = ["/bin/sh", "-c", "kill -TERM -1"];
                let _ = tokio::time::timeout(GRACE, exec::run(docker, id, &term, None, None, 0)).await;
                if phase.service.is_some() {
                    let _ = tokio::time::timeout(GRACE, exec::run_as(docker, id, GRADER_USER, &term, None, None, 0)).await;
                }
                let _ = tokio::time::timeout(GRACE, async {
                    while let Some(Ok(item)) = output.next().await {
                        let _ = keep(&mut capture, &mut gate, item);
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
    if let Some(gate) = gate.as_ref().filter(|gate| !gate.is_open()) {
        // The command never started: tar refused the workspace, or the harness failed.
        if let Some(feeding) = feeding {
            let _ = feeding.await;
        }
        match exec::exit_code(docker, &exec_id).await? {
            Some(code) if code != 0 => return Ok(workspace_refused(phase, code, &gate.errors())),
            _ => bail!(
                "the workspace step of phase {} ended before the command started",
                phase.name
            ),
        }
    }
    let wall = match ending {
        Ending::TimedOut => phase
            .timeout
            .as_secs_f64()
            .max(started_at.elapsed().as_secs_f64() - GRACE.as_secs_f64()),
        _ => started_at.elapsed().as_secs_f64(),
    };
    if ending != Ending::Exited || service_output.is_some() {
        // Candidate processes may still be printing into streams nobody reads once they are
        // dropped, and the engine then stalls the next exec (a minute, measured): end them
        // while reading what they print.
        let kill = ["/bin/sh", "-c", "kill -KILL -1"];
        let drain = async {
            let run = async { while let Some(Ok(_)) = output.next().await {} };
            let service = async {
                if let Some(service) = service_output.as_mut() {
                    while let Some(Ok(_)) = service.next().await {}
                }
            };
            tokio::join!(run, service)
        };
        let _ = tokio::time::timeout(GRACE, async {
            tokio::join!(exec::run(docker, id, &kill, None, None, 0), drain)
        })
        .await;
    }
    drop(service_output);
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
    let (measured, first_copy) = finish(docker, id, request).await;
    let mut outcome = outcome(ending, exit_code, wall, &measured, &capture, phase, request.sandbox);
    if outcome.verdict != PhaseVerdict::Passed {
        kill(docker, id).await;
        return Ok(PhaseRun {
            outcome,
            collected: false,
            removal: None,
        });
    }
    match collect(docker, id, request, first_copy).await {
        Ok(()) => {}
        Err(OutputError::Harness(error)) => return Err(error),
        Err(OutputError::Invalid(reason)) => {
            outcome.verdict = PhaseVerdict::InvalidOutput;
            outcome.message = Some(reason);
            return Ok(PhaseRun {
                outcome,
                collected: false,
                removal: None,
            });
        }
    }
    Ok(PhaseRun {
        outcome,
        collected: true,
        removal: None,
    })
}

/// The phase's outcome when its workspace cannot be unpacked into it. What goes in is the
/// candidate's submission or the workspace its last phase left: if it does not fit (sizes,
/// names, kinds), that is the candidate's output.
fn workspace_refused(phase: &crate::spec::Phase, tar_exit: i64, stderr: &str) -> PhaseRun {
    let why = format!(
        "the workspace could not be unpacked into this phase (tar exit {tar_exit}): {}",
        crate::text::quoted(&crate::text::terminal_safe(stderr.trim()), 300)
    );
    PhaseRun {
        outcome: PhaseOutcome::invalid_output(&phase.name, why),
        collected: false,
        removal: None,
    }
}

/// What a phase leaves to copy out: the workspace when a later phase starts from it, and its
/// declared outputs.
#[derive(Clone, Copy, PartialEq)]
enum Carry {
    Workspace,
    Outputs,
}

/// Who makes a copy: beside a service, `/out` is readable by the trusted client's user alone.
fn copy_user(copy: Carry, request: &PhaseRequest<'_>) -> &'static str {
    match copy {
        Carry::Outputs if request.phase.service.is_some() => GRADER_USER,
        _ => CANDIDATE_USER,
    }
}

/// The tar command of one copy, the most it may write, and the host file it goes to.
fn copy_command<'a>(copy: Carry, request: &PhaseRequest<'a>) -> (Vec<String>, u64, &'a Path) {
    let sandbox = request.sandbox;
    let mut command: Vec<String> = ["/bin/tar", "-c", "-f", "-", "-C", "/"].map(String::from).to_vec();
    match copy {
        Carry::Workspace => {
            // The candidate owns every file here, so files it made unreadable (mode 000) are
            // made readable again rather than failing the copy; holes stay holes, so sparse
            // files fit the next phase's workspace as they fit this one.
            let command = vec![
                "/bin/sh".to_string(),
                "-c".to_string(),
                "chmod -R u+rwX /workspace 2>/dev/null; exec /bin/tar --sparse -c -f - -C / workspace".to_string(),
            ];
            // Tar headers add up to 1.5 KiB a file on top of the content the tmpfs size bounds.
            let limit = sandbox.workspace_bytes + 64 * 1024 * 1024;
            (command, limit, request.workspace_out)
        }
        Carry::Outputs => {
            command.extend(
                request
                    .phase
                    .outputs
                    .iter()
                    .map(|o| o.trim_start_matches('/').to_string()),
            );
            let limit = sandbox.workspace_bytes + 2 * sandbox.tmp_bytes;
            (command, limit, request.outputs_out)
        }
    }
}

/// Ends leftover candidate processes, reads the cgroup and, in the same exec, makes the
/// phase's first copy (one exec fewer per phase). Falls back on the engine's state when the
/// container can no longer run anything (e.g. its pids are exhausted).
async fn finish(docker: &Docker, id: &str, request: &PhaseRequest<'_>) -> (Measured, Option<(Carry, ExecResult)>) {
    let first = if request.keep_workspace {
        Some(Carry::Workspace)
    } else if !request.phase.outputs.is_empty() {
        Some(Carry::Outputs)
    } else {
        None
    };
    let (script, target, limit) = match first {
        None => (FINISH_SCRIPT.to_string(), None, 4096),
        Some(copy) => {
            let (tar, limit, target) = copy_command(copy, request);
            let quoted: Vec<String> = tar.iter().map(|word| shell_quote(word)).collect();
            // The measurements go to stderr, the tar to stdout.
            let script = format!("{{\n{FINISH_SCRIPT}\n}} >&2\nexec {}", quoted.join(" "));
            (script, Some(target), limit)
        }
    };
    let user = first.map_or(CANDIDATE_USER, |copy| copy_user(copy, request));
    let attempt = || async {
        let read = tokio::time::timeout(
            Duration::from_secs(60),
            exec::run_as(docker, id, user, &["/bin/sh", "-c", &script], None, target, limit),
        )
        .await;
        match read {
            Ok(Ok(result)) => {
                let text = match first {
                    None => String::from_utf8_lossy(&result.stdout).into_owned(),
                    Some(_) => result.stderr.clone(),
                };
                text.lines()
                    .any(|line| line.starts_with("oom="))
                    .then(|| (Measured::parse(&text), first.map(|copy| (copy, result))))
            }
            _ => None,
        }
    };
    if let Some(finished) = attempt().await {
        return finished;
    }
    // Every process slot may be taken by what the candidate left running: give the container
    // a few more (an engine call, no process inside needed), so the finish step still runs.
    let more = bollard::models::ContainerUpdateBody {
        pids_limit: Some(request.sandbox.pids + FINISH_PIDS),
        ..Default::default()
    };
    if docker.update_container(id, more).await.is_ok()
        && let Some(finished) = attempt().await
    {
        return finished;
    }
    // The container can run nothing more: ask the engine what became of it.
    let mut measured = Measured::default();
    if let Ok(state) = docker.inspect_container(id, None).await
        && let Some(state) = state.state
    {
        measured.container_oom_killed = state.oom_killed.unwrap_or(false);
    }
    (measured, None)
}

/// `word` as one shell word.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

async fn kill(docker: &Docker, id: &str) {
    let options = KillContainerOptionsBuilder::default().signal("KILL").build();
    let _ = docker.kill_container(id, Some(options)).await;
}

/// Saves the workspace (when a later phase needs it) and the declared outputs as tars,
/// except the copy `finish` already made; `OutputError::Invalid` when the candidate's files
/// cannot be carried (too large for the limits, or names and kinds tar refuses).
async fn collect(
    docker: &Docker,
    id: &str,
    request: &PhaseRequest<'_>,
    mut done: Option<(Carry, ExecResult)>,
) -> Result<(), OutputError> {
    let mut wanted = Vec::new();
    if request.keep_workspace {
        wanted.push(Carry::Workspace);
    }
    if !request.phase.outputs.is_empty() {
        wanted.push(Carry::Outputs);
    }
    for copy in wanted {
        let (command, limit, target) = copy_command(copy, request);
        let result = match done.take() {
            Some((made, result)) if made == copy => result,
            _ => {
                let command: Vec<&str> = command.iter().map(String::as_str).collect();
                exec::run_as(
                    docker,
                    id,
                    copy_user(copy, request),
                    &command,
                    None,
                    Some(target),
                    limit,
                )
                .await?
            }
        };
        match copy {
            Carry::Workspace if result.truncated => {
                let size = crate::units::format_size(limit);
                return Err(OutputError::Invalid(format!(
                    "the workspace is larger than {size} as a tar and cannot be carried to the next phase"
                )));
            }
            // Only the candidate's files can make this copy fail (names, kinds, sizes).
            Carry::Workspace if result.exit_code != 0 => {
                // The finish step's measurements share this stderr; only tar's lines say why.
                let why: Vec<&str> = result
                    .stderr
                    .lines()
                    .filter(|l| !["peak=", "cpu_ns=", "oom="].iter().any(|m| l.starts_with(m)))
                    .collect();
                return Err(OutputError::Invalid(format!(
                    "the workspace cannot be carried to the next phase (tar exit {}): {}",
                    result.exit_code,
                    crate::text::quoted(&crate::text::terminal_safe(why.join("\n").trim()), 300)
                )));
            }
            Carry::Outputs if result.truncated => {
                return Err(OutputError::Invalid(
                    "the declared outputs are larger than the writable areas allow".to_string(),
                ));
            }
            // A missing output makes tar exit 2; extract_outputs names which one.
            _ => {}
        }
    }
    Ok(())
}
