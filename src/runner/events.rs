//! Events the runner emits; the terminal display, the logs and the reports are sinks of them.

use crate::model::PhaseOutcome;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    pub fn as_str(self) -> &'static str {
        match self {
            Stream::Stdout => "stdout",
            Stream::Stderr => "stderr",
        }
    }
}

/// Which of a submission's runs this is: the first, a rerun for reproducibility (same seed),
/// or a run with another seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    First,
    Rerun,
    SeedRun,
}

/// One of a submission's runs, as sinks name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunInfo {
    /// 1 for the first run; reruns and seed runs follow.
    pub number: u32,
    pub kind: RunKind,
    /// What the phases see as ASSAY_SEED.
    pub seed: u64,
}

impl RunInfo {
    /// `rerun 2 (seed 42)`, `seed run 4 (seed 44)`, or `run 1` for the first.
    pub fn label(&self) -> String {
        match self.kind {
            RunKind::First => format!("run {}", self.number),
            RunKind::Rerun => format!("rerun {} (seed {})", self.number, self.seed),
            RunKind::SeedRun => format!("seed run {} (seed {})", self.number, self.seed),
        }
    }
}

#[derive(Debug)]
pub enum Event<'a> {
    RunStarted {
        submission: &'a str,
        sha256: &'a str,
        run_id: &'a str,
        run: RunInfo,
    },
    PhaseStarted {
        phase: &'a str,
    },
    /// Output of a phase, already within its cap.
    Output {
        phase: &'a str,
        stream: Stream,
        bytes: &'a [u8],
    },
    PhaseFinished {
        outcome: &'a PhaseOutcome,
    },
    /// Sent by whoever scores the run, once its verdict is known.
    RunFinished {
        run: RunInfo,
        verdict: &'a str,
    },
}

/// Anything that wants to follow a run.
pub trait Sink: Send {
    fn event(&mut self, event: &Event);
}

/// Hands each event to several sinks in turn.
#[derive(Default)]
pub struct Fanout {
    pub sinks: Vec<Box<dyn Sink>>,
}

impl Sink for Fanout {
    fn event(&mut self, event: &Event) {
        for sink in &mut self.sinks {
            sink.event(event);
        }
    }
}
