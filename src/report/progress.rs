//! The terminal display: one line per phase as it starts and finishes, on stderr.

use std::io::Write;

use crate::runner::{Event, Sink};
use crate::text::terminal_safe;

pub struct Progress {
    pub quiet: bool,
}

impl Sink for Progress {
    fn event(&mut self, event: &Event) {
        if self.quiet {
            return;
        }
        let mut err = std::io::stderr().lock();
        let _ = match event {
            Event::RunStarted { submission, sha256, .. } => {
                writeln!(err, "grading {} ({})", terminal_safe(submission), &sha256[..12])
            }
            Event::PhaseStarted { phase } => writeln!(err, "  {phase}: running"),
            Event::PhaseFinished { outcome } => writeln!(
                err,
                "  {}: {} in {:.2}s{}",
                outcome.name,
                outcome.verdict.as_str(),
                outcome.wall_seconds,
                outcome
                    .message
                    .as_deref()
                    .map(|m| format!(" ({})", terminal_safe(m)))
                    .unwrap_or_default()
            ),
            Event::RunFinished { verdict } => writeln!(err, "  => {verdict}"),
            Event::Output { .. } => Ok(()),
        };
    }
}
