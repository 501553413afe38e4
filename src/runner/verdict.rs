//! Deciding a phase's verdict from how it ended and what the engine measured.

use super::capture::Capture;
use crate::model::{PhaseOutcome, PhaseVerdict};
use crate::spec::{Phase, Sandbox};
use crate::units::format_size;

/// How the phase's process ended from the harness's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Exited,
    TimedOut,
    OutputExceeded,
}

/// What the cgroup and the engine reported after the phase.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Measured {
    pub cpu_seconds: Option<f64>,
    pub peak_memory_bytes: Option<u64>,
    /// OOM kills in the container's cgroup.
    pub oom_kills: Option<u64>,
    pub container_oom_killed: bool,
}

impl Measured {
    /// Reads `key=value` lines from the finish script.
    pub fn parse(text: &str) -> Self {
        let mut measured = Measured::default();
        for line in text.lines() {
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            let Ok(number) = value.trim().parse::<u64>() else {
                continue;
            };
            match key {
                "peak" => measured.peak_memory_bytes = Some(number),
                "cpu_ns" => measured.cpu_seconds = Some(number as f64 / 1e9),
                "oom" => measured.oom_kills = Some(number),
                _ => {}
            }
        }
        measured
    }

    fn oom(&self) -> bool {
        self.container_oom_killed || self.oom_kills.unwrap_or(0) > 0
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub verdict: PhaseVerdict,
    pub signal: Option<i32>,
    pub message: Option<String>,
}

pub fn decide(
    ending: Ending,
    exit_code: Option<i64>,
    measured: &Measured,
    phase: &Phase,
    sandbox: &Sandbox,
) -> Decision {
    let timeout = phase.timeout;
    let decision = |verdict, signal, message: String| Decision {
        verdict,
        signal,
        message: Some(message),
    };
    match ending {
        Ending::TimedOut => {
            return decision(
                PhaseVerdict::TimedOut,
                None,
                format!("still running after {}; stopped", humantime::format_duration(timeout)),
            );
        }
        Ending::OutputExceeded => {
            return decision(
                PhaseVerdict::OutputExceeded,
                None,
                format!(
                    "printed more than {} to stdout and stderr; stopped",
                    format_size(sandbox.output_limit_bytes)
                ),
            );
        }
        Ending::Exited => {}
    }
    let code = match exit_code {
        Some(code) => code,
        None if measured.oom() => {
            return decision(
                PhaseVerdict::MemoryExceeded,
                Some(9),
                format!(
                    "killed for using more than {} of memory",
                    format_size(sandbox.memory_bytes)
                ),
            );
        }
        None => {
            return decision(
                PhaseVerdict::HarnessError,
                None,
                "the engine did not report an exit code".to_string(),
            );
        }
    };
    if phase.ok_exit_codes.contains(&code) {
        return Decision {
            verdict: PhaseVerdict::Passed,
            signal: None,
            message: None,
        };
    }
    // The kernel's OOM record decides, not the exit code: 137 alone may be any SIGKILL.
    if measured.oom() {
        return decision(
            PhaseVerdict::MemoryExceeded,
            Some(9),
            format!(
                "killed for using more than {} of memory",
                format_size(sandbox.memory_bytes)
            ),
        );
    }
    if (129..=159).contains(&code) {
        let signal = (code - 128) as i32;
        return decision(
            PhaseVerdict::Crashed,
            Some(signal),
            format!("killed by {} ({signal})", signal_name(signal)),
        );
    }
    decision(PhaseVerdict::Failed, None, format!("exited with code {code}"))
}

/// The outcome of a phase that ran: its verdict decided, its measurements and output tails.
pub fn outcome(
    ending: Ending,
    exit_code: Option<i64>,
    wall_seconds: f64,
    measured: &Measured,
    capture: &Capture,
    phase: &Phase,
    sandbox: &Sandbox,
) -> PhaseOutcome {
    let decision = decide(ending, exit_code, measured, phase, sandbox);
    PhaseOutcome {
        name: phase.name.clone(),
        verdict: decision.verdict,
        exit_code,
        signal: decision.signal,
        wall_seconds,
        cpu_seconds: measured.cpu_seconds,
        peak_memory_bytes: measured.peak_memory_bytes,
        stdout_bytes: capture.stdout_bytes,
        stderr_bytes: capture.stderr_bytes,
        stdout_tail: capture.stdout_tail(),
        stderr_tail: capture.stderr_tail(),
        message: decision.message,
    }
}

/// Signal names for the crashes candidates cause most.
pub fn signal_name(signal: i32) -> &'static str {
    match signal {
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        15 => "SIGTERM",
        _ => "signal",
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn sandbox() -> Sandbox {
        Sandbox {
            image: "x".into(),
            build: None,
            memory_bytes: 1 << 20,
            cpus: 1.0,
            pids: 10,
            output_limit_bytes: 1 << 10,
            workspace_bytes: 1,
            tmp_bytes: 1,
            file_size_bytes: 1,
            open_files: 1,
            default_timeout: Duration::from_secs(1),
        }
    }

    fn verdict(ending: Ending, code: Option<i64>, measured: Measured) -> PhaseVerdict {
        let phase = Phase {
            name: "p".into(),
            run: "true".into(),
            timeout: Duration::from_secs(1),
            inputs: Vec::new(),
            outputs: Vec::new(),
            junit: None,
            gradescope: None,
            expected_tests: None,
            ok_exit_codes: vec![0],
            service: None,
            notebook: None,
        };
        decide(ending, code, &measured, &phase, &sandbox()).verdict
    }

    #[test]
    fn verdicts() {
        let quiet = Measured::default();
        let oom = Measured {
            oom_kills: Some(1),
            ..Measured::default()
        };
        assert_eq!(verdict(Ending::Exited, Some(0), quiet.clone()), PhaseVerdict::Passed);
        assert_eq!(verdict(Ending::Exited, Some(1), quiet.clone()), PhaseVerdict::Failed);
        assert_eq!(verdict(Ending::Exited, Some(139), quiet.clone()), PhaseVerdict::Crashed);
        assert_eq!(verdict(Ending::Exited, Some(137), quiet.clone()), PhaseVerdict::Crashed);
        assert_eq!(
            verdict(Ending::Exited, Some(137), oom.clone()),
            PhaseVerdict::MemoryExceeded
        );
        assert_eq!(verdict(Ending::Exited, Some(0), oom.clone()), PhaseVerdict::Passed);
        assert_eq!(verdict(Ending::TimedOut, None, oom.clone()), PhaseVerdict::TimedOut);
        assert_eq!(
            verdict(Ending::OutputExceeded, None, quiet.clone()),
            PhaseVerdict::OutputExceeded
        );
        assert_eq!(verdict(Ending::Exited, None, quiet), PhaseVerdict::HarnessError);
    }

    #[test]
    fn parses_the_finish_script() {
        let measured = Measured::parse("peak=1048576\ncpu_ns=2500000000\noom=0\n");
        assert_eq!(measured.peak_memory_bytes, Some(1 << 20));
        assert_eq!(measured.cpu_seconds, Some(2.5));
        assert_eq!(measured.oom_kills, Some(0));
    }
}
