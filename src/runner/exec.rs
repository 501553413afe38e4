//! Helper commands run inside a phase container (moving files in and out, reading the
//! cgroup): each an exec whose streams are bounded.

use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use anyhow::{Context, bail};
use bollard::Docker;
use bollard::container::LogOutput;
use bollard::exec::{CreateExecOptions, StartExecResults};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::sandbox::{CANDIDATE_USER, GRADER_HOME, GRADER_USER};

pub struct ExecResult {
    pub exit_code: i64,
    pub stdout: Vec<u8>,
    pub stderr: String,
    /// True when stdout went past the limit and the rest was dropped.
    pub truncated: bool,
}

/// Starts `cmd` as the candidate user, attached to its output (and stdin when asked).
pub async fn start(
    docker: &Docker,
    container: &str,
    cmd: Vec<String>,
    env: Vec<String>,
    stdin: bool,
) -> anyhow::Result<(String, StartExecResults)> {
    start_as(docker, container, CANDIDATE_USER, cmd, env, stdin).await
}

/// Starts `cmd` as `user`, attached to its output (and stdin when asked).
pub async fn start_as(
    docker: &Docker,
    container: &str,
    user: &str,
    cmd: Vec<String>,
    env: Vec<String>,
    stdin: bool,
) -> anyhow::Result<(String, StartExecResults)> {
    let options = CreateExecOptions {
        cmd: Some(cmd),
        user: Some(user.to_string()),
        env: Some(env),
        // The trusted client works in its own folder, never in the candidate's.
        working_dir: Some(if user == GRADER_USER { GRADER_HOME } else { "/workspace" }.to_string()),
        attach_stdin: Some(stdin),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        ..Default::default()
    };
    let created = docker
        .create_exec(container, options)
        .await
        .context("creating an exec")?;
    let started = docker.start_exec(&created.id, None).await.context("starting an exec")?;
    Ok((created.id, started))
}

/// Writes the file at `path` to an exec's stdin, then closes it.
pub async fn send_file(path: &Path, input: &mut Pin<Box<dyn AsyncWrite + Send>>) -> anyhow::Result<()> {
    let mut file = tokio::fs::File::open(path).await?;
    let mut buffer = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buffer).await?;
        if n == 0 {
            break;
        }
        input.write_all(&buffer[..n]).await?;
    }
    input.shutdown().await?;
    Ok(())
}

/// The exit code of a finished exec; waits briefly for the engine to record it.
pub async fn exit_code(docker: &Docker, exec_id: &str) -> anyhow::Result<Option<i64>> {
    for _ in 0..100 {
        let inspect = docker.inspect_exec(exec_id).await.context("inspecting an exec")?;
        if inspect.running != Some(true) {
            return Ok(inspect.exit_code);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(None)
}

/// Runs a helper as the candidate user to the end: stdin from `stdin_file`, stdout kept up
/// to `limit` bytes in memory or streamed into `stdout_file`.
pub async fn run(
    docker: &Docker,
    container: &str,
    cmd: &[&str],
    stdin_file: Option<&Path>,
    stdout_file: Option<&Path>,
    limit: u64,
) -> anyhow::Result<ExecResult> {
    run_as(docker, container, CANDIDATE_USER, cmd, stdin_file, stdout_file, limit).await
}

/// `run` as another user of the container (root for files the candidate must not change;
/// root there holds no capabilities).
pub async fn run_as(
    docker: &Docker,
    container: &str,
    user: &str,
    cmd: &[&str],
    stdin_file: Option<&Path>,
    stdout_file: Option<&Path>,
    limit: u64,
) -> anyhow::Result<ExecResult> {
    let cmd = cmd.iter().map(|s| s.to_string()).collect();
    let (id, started) = start_as(docker, container, user, cmd, Vec::new(), stdin_file.is_some()).await?;
    let StartExecResults::Attached { mut output, mut input } = started else {
        bail!("the engine did not attach to the exec");
    };
    let feeder = async {
        match stdin_file {
            Some(path) => send_file(path, &mut input).await,
            None => Ok(input.shutdown().await?),
        }
    };
    let reader = async {
        let mut sink = match stdout_file {
            Some(path) => Some(tokio::fs::File::create(path).await?),
            None => None,
        };
        let mut stdout = Vec::new();
        let mut stderr = Vec::new();
        let mut written = 0u64;
        let mut truncated = false;
        while let Some(item) = output.next().await {
            match item.context("reading an exec's output")? {
                LogOutput::StdOut { message } => {
                    let room = limit.saturating_sub(written) as usize;
                    let kept = &message[..message.len().min(room)];
                    truncated |= kept.len() < message.len();
                    written += kept.len() as u64;
                    match &mut sink {
                        Some(file) => file.write_all(kept).await?,
                        None => stdout.extend_from_slice(kept),
                    }
                    if truncated {
                        break;
                    }
                }
                LogOutput::StdErr { message } if stderr.len() < 64 * 1024 => stderr.extend_from_slice(&message),
                _ => {}
            }
        }
        if let Some(file) = &mut sink {
            file.flush().await?;
        }
        anyhow::Ok((stdout, String::from_utf8_lossy(&stderr).into_owned(), truncated))
    };
    let (fed, read) = tokio::join!(feeder, reader);
    let (stdout, stderr, truncated) = read?;
    fed.context("sending files into the container")?;
    if truncated {
        return Ok(ExecResult {
            exit_code: -1,
            stdout,
            stderr,
            truncated,
        });
    }
    let exit_code = exit_code(docker, &id).await?.unwrap_or(-1);
    Ok(ExecResult {
        exit_code,
        stdout,
        stderr,
        truncated,
    })
}
