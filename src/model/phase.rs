//! What happened in one phase, as reports and scoring read it.

use serde::{Deserialize, Serialize};

/// A phase's verdict. The candidate's failures and the harness's own are never confused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PhaseVerdict {
    Passed,
    /// The candidate's code exited non-zero.
    Failed,
    TimedOut,
    MemoryExceeded,
    OutputExceeded,
    /// Killed by a signal it did not survive.
    Crashed,
    /// A declared output is missing, a link, a device or too large.
    InvalidOutput,
    /// Our fault, never the candidate's.
    HarnessError,
    /// Not run because an earlier phase did not pass.
    Skipped,
}

impl PhaseVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            PhaseVerdict::Passed => "passed",
            PhaseVerdict::Failed => "failed",
            PhaseVerdict::TimedOut => "timed_out",
            PhaseVerdict::MemoryExceeded => "memory_exceeded",
            PhaseVerdict::OutputExceeded => "output_exceeded",
            PhaseVerdict::Crashed => "crashed",
            PhaseVerdict::InvalidOutput => "invalid_output",
            PhaseVerdict::HarnessError => "harness_error",
            PhaseVerdict::Skipped => "skipped",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhaseOutcome {
    pub name: String,
    pub verdict: PhaseVerdict,
    pub exit_code: Option<i64>,
    /// The signal that ended the process, when one did.
    pub signal: Option<i32>,
    pub wall_seconds: f64,
    pub cpu_seconds: Option<f64>,
    pub peak_memory_bytes: Option<u64>,
    pub stdout_bytes: u64,
    pub stderr_bytes: u64,
    pub stdout_tail: String,
    pub stderr_tail: String,
    /// Why the verdict is what it is, in a sentence.
    pub message: Option<String>,
}

impl PhaseOutcome {
    pub fn skipped(name: &str, reason: &str) -> Self {
        PhaseOutcome {
            name: name.to_string(),
            verdict: PhaseVerdict::Skipped,
            exit_code: None,
            signal: None,
            wall_seconds: 0.0,
            cpu_seconds: None,
            peak_memory_bytes: None,
            stdout_bytes: 0,
            stderr_bytes: 0,
            stdout_tail: String::new(),
            stderr_tail: String::new(),
            message: Some(reason.to_string()),
        }
    }

    /// What the candidate left cannot be used; `reason` says why.
    pub fn invalid_output(name: &str, reason: String) -> Self {
        PhaseOutcome {
            verdict: PhaseVerdict::InvalidOutput,
            message: Some(reason),
            ..PhaseOutcome::skipped(name, "")
        }
    }

    /// The harness failed in this phase; `error` is shown with its causes.
    pub fn harness_error(name: &str, error: &dyn std::fmt::Display) -> Self {
        PhaseOutcome {
            verdict: PhaseVerdict::HarnessError,
            message: Some(format!("{error:#}")),
            ..PhaseOutcome::skipped(name, "")
        }
    }
}
