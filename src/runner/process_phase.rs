//! The trusted local backend: a phase as a process of the grading user, for authors who check
//! their own reference solution without Docker. Nothing is isolated; only rlimits, a wall
//! clock and the output cap apply. Container paths in the command (`/workspace`, `/out`, the
//! input folders) are rewritten to folders in a temp root.

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::Context;
use wait_timeout::ChildExt;

use super::capture::Capture;
use super::events::{Event, Sink, Stream};
use super::phase::{GRACE, PhaseRequest, PhaseRun};
use super::verdict::{Ending, Measured, outcome};
use crate::model::PhaseVerdict;

/// Output chunks in the order they arrived, within the cap.
type Chunks = Vec<(Stream, Vec<u8>)>;

/// What reports say about isolation under this backend.
pub const ISOLATION: &str = "NONE: phases ran as local processes of the grading user (--backend process); only rlimits, the wall clock and the output cap applied";

pub fn run_phase(request: &PhaseRequest<'_>, sink: &mut dyn Sink) -> anyhow::Result<PhaseRun> {
    let root = crate::temp_dirs::owned("process")?;
    for upload in std::iter::once(request.upload).chain(request.inputs_upload) {
        let mut archive = tar::Archive::new(std::fs::File::open(upload)?);
        archive.set_ignore_zeros(true);
        archive.unpack(root.path()).context("unpacking the phase's files")?;
    }
    for area in ["workspace", "out", "tmp"] {
        std::fs::create_dir_all(root.path().join(area))?;
    }
    let mut mounts: Vec<String> = vec!["/workspace".into(), "/out".into()];
    mounts.extend(request.input_areas.iter().map(|a| a.path.clone()));
    // A service runs in the background of the same session (no second user here).
    let run = match &request.phase.service {
        Some(service) => format!("{{ {service}\n}} &\n{}", request.phase.run),
        None => request.phase.run.clone(),
    };
    let command = rewrite_paths(&run, &mounts, root.path());

    sink.event(&Event::PhaseStarted {
        phase: &request.phase.name,
    });
    let (run, chunks) = execute(request, root.path(), &command)?;
    for (stream, bytes) in &chunks {
        sink.event(&Event::Output {
            phase: &request.phase.name,
            stream: *stream,
            bytes,
        });
    }
    let mut run = run;
    if run.outcome.verdict == PhaseVerdict::Passed {
        collect(request, root.path())?;
        run.collected = true;
    }
    Ok(run)
}

fn execute(request: &PhaseRequest<'_>, root: &Path, command: &str) -> anyhow::Result<(PhaseRun, Chunks)> {
    let sandbox = request.sandbox;
    let limits = [
        (libc::RLIMIT_AS, sandbox.memory_bytes),
        (libc::RLIMIT_FSIZE, sandbox.file_size_bytes),
        (libc::RLIMIT_CORE, 0),
        (libc::RLIMIT_NOFILE, sandbox.open_files),
        (libc::RLIMIT_CPU, request.phase.timeout.as_secs() + 1),
    ];
    let mut process = Command::new("/bin/sh");
    process
        .arg("-c")
        .arg(command)
        .current_dir(root.join("workspace"))
        .env("HOME", root.join("tmp"))
        .env("TMPDIR", root.join("tmp"))
        .env("ASSAY_WORKSPACE", root.join("workspace"))
        .env("ASSAY_OUT", root.join("out"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for variable in &request.env {
        if let Some((key, value)) = variable.split_once('=')
            && key != "HOME"
        {
            process.env(key, value);
        }
    }
    // SAFETY: only async-signal-safe calls (setsid, setrlimit) between fork and exec.
    unsafe {
        process.pre_exec(move || {
            libc::setsid();
            for (resource, value) in limits {
                let limit = libc::rlimit {
                    rlim_cur: value as libc::rlim_t,
                    rlim_max: value as libc::rlim_t,
                };
                if libc::setrlimit(resource, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    let before = children_usage();
    let started = Instant::now();
    let mut child = process.spawn().context("starting the phase process")?;
    let group = child.id() as i32;
    let (sender, receiver) = mpsc::channel::<(Stream, Vec<u8>)>();
    let readers = [
        spawn_reader(child.stdout.take().expect("piped"), Stream::Stdout, sender.clone()),
        spawn_reader(child.stderr.take().expect("piped"), Stream::Stderr, sender),
    ];
    let mut capture = Capture::new(sandbox.output_limit_bytes);
    let mut chunks = Vec::new();
    let mut ending = Ending::Exited;
    let status = loop {
        while let Ok((stream, bytes)) = receiver.try_recv() {
            let kept = capture.take(stream, &bytes).to_vec();
            if !kept.is_empty() {
                chunks.push((stream, kept));
            }
        }
        if capture.exceeded && ending == Ending::Exited {
            ending = Ending::OutputExceeded;
            kill_group(group, libc::SIGKILL);
        }
        if started.elapsed() >= request.phase.timeout && ending == Ending::Exited {
            ending = Ending::TimedOut;
            kill_group(group, libc::SIGTERM);
            if child.wait_timeout(GRACE)?.is_none() {
                kill_group(group, libc::SIGKILL);
            }
        }
        if let Some(status) = child.wait_timeout(Duration::from_millis(20))? {
            break status;
        }
    };
    let wall = started.elapsed().as_secs_f64();
    // Whatever the phase left running in its session ends with it.
    kill_group(group, libc::SIGKILL);
    for reader in readers {
        let _ = reader.join();
    }
    for (stream, bytes) in receiver.try_iter() {
        let kept = capture.take(stream, &bytes).to_vec();
        if !kept.is_empty() {
            chunks.push((stream, kept));
        }
    }
    let after = children_usage();
    let measured = Measured {
        cpu_seconds: Some((after.0 - before.0).max(0.0)),
        // The largest child so far: this phase's only when it grew during the phase.
        peak_memory_bytes: (after.1 > before.1).then_some(after.1),
        ..Measured::default()
    };
    let exit_code = match ending {
        Ending::Exited => status
            .code()
            .map(i64::from)
            .or(status.signal().map(|s| 128 + i64::from(s))),
        _ => None,
    };
    let outcome = outcome(ending, exit_code, wall, &measured, &capture, request.phase, sandbox);
    Ok((
        PhaseRun {
            outcome,
            collected: false,
            removal: None,
        },
        chunks,
    ))
}

fn spawn_reader(
    mut pipe: impl Read + Send + 'static,
    stream: Stream,
    sender: mpsc::Sender<(Stream, Vec<u8>)>,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut buffer = vec![0u8; 64 * 1024];
        while let Ok(n) = pipe.read(&mut buffer) {
            if n == 0 || sender.send((stream, buffer[..n].to_vec())).is_err() {
                break;
            }
        }
    })
}

fn kill_group(group: i32, signal: i32) {
    // SAFETY: kill(2) on our own child's process group.
    unsafe {
        libc::kill(-group, signal);
    }
}

/// CPU seconds and peak RSS bytes of all reaped children so far.
fn children_usage() -> (f64, u64) {
    // SAFETY: getrusage fills the struct we pass.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe {
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (
        seconds(usage.ru_utime) + seconds(usage.ru_stime),
        usage.ru_maxrss as u64 * 1024,
    )
}

/// The workspace and the declared outputs as tars, as the Docker backend saves them.
/// Outputs that are links are saved as links, so they are refused just the same.
fn collect(request: &PhaseRequest<'_>, root: &Path) -> anyhow::Result<()> {
    if request.keep_workspace {
        let mut workspace = crate::tarball::create(request.workspace_out)?;
        crate::tarball::tar_folder(&mut workspace, &root.join("workspace"), "workspace")?;
        workspace.finish()?;
    }
    let mut outputs = crate::tarball::create(request.outputs_out)?;
    for output in &request.phase.outputs {
        let relative = output.trim_start_matches('/');
        let host = root.join(relative);
        match std::fs::symlink_metadata(&host) {
            Ok(meta) if meta.file_type().is_symlink() => {
                let target = std::fs::read_link(&host)?;
                let mut header = tar::Header::new_gnu();
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_size(0);
                outputs.append_link(&mut header, relative, target)?;
            }
            Ok(meta) if meta.is_file() => {
                crate::tarball::tar_file(&mut outputs, &host, relative)?;
            }
            _ => {}
        }
    }
    outputs.finish()?;
    Ok(())
}

/// Replaces container paths (`/out/p.csv`, `/data`) with their folders under `root`, where a
/// path starts a word: after the start, a space, a quote, `=` or `:`.
pub fn rewrite_paths(command: &str, mounts: &[String], root: &Path) -> String {
    let mut mounts: Vec<&String> = mounts.iter().collect();
    mounts.sort_by_key(|m| std::cmp::Reverse(m.len()));
    let mut out = String::with_capacity(command.len());
    let mut rest = command;
    let mut previous: Option<char> = None;
    'scan: while let Some(c) = rest.chars().next() {
        let starts_word = previous.is_none_or(|p| p.is_whitespace() || matches!(p, '"' | '\'' | '=' | ':'));
        if c == '/' && starts_word {
            for mount in &mounts {
                if let Some(after) = rest.strip_prefix(mount.as_str())
                    && after
                        .chars()
                        .next()
                        .is_none_or(|n| n == '/' || n.is_whitespace() || matches!(n, '"' | '\'' | ';' | ')'))
                {
                    out.push_str(&root.join(mount.trim_start_matches('/')).to_string_lossy());
                    previous = mount.chars().last();
                    rest = after;
                    continue 'scan;
                }
            }
        }
        out.push(c);
        previous = Some(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rewrites_container_paths_only_where_a_path_starts() {
        let mounts = vec!["/workspace".to_string(), "/out".to_string(), "/data".to_string()];
        let root = Path::new("/r");
        assert_eq!(
            rewrite_paths("python3 predict.py /data/x.csv /out/p.csv", &mounts, root),
            "python3 predict.py /r/data/x.csv /r/out/p.csv"
        );
        assert_eq!(
            rewrite_paths("cp a '/out' && echo X=/data", &mounts, root),
            "cp a '/r/out' && echo X=/r/data"
        );
        assert_eq!(
            rewrite_paths("ls /output /usr/data /database", &mounts, root),
            "ls /output /usr/data /database"
        );
    }
}
