//! Events the runner emits; the terminal display, the logs and the reports are sinks of them.

use super::outcome::PhaseOutcome;

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

#[derive(Debug)]
pub enum Event<'a> {
    RunStarted {
        submission: &'a str,
        sha256: &'a str,
        run_id: &'a str,
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
    RunFinished {
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
