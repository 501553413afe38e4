//! The terminal display, a sink of runner events on stderr: a live line per running
//! submission on a terminal, plain lines (prefixed with the submission) otherwise.

use std::io::Write;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::runner::{Event, Sink};
use crate::text::terminal_safe;

/// How progress is shown.
#[derive(Clone)]
pub enum Display {
    /// Nothing (`--json`).
    Quiet,
    /// One line per event, for logs and pipes.
    Lines,
    /// Live bars on a terminal.
    Bars(MultiProgress),
}

impl Display {
    /// Bars on a terminal, lines elsewhere, nothing when quiet.
    pub fn for_terminal(quiet: bool) -> Display {
        use std::io::IsTerminal;
        if quiet {
            Display::Quiet
        } else if std::io::stderr().is_terminal() {
            Display::Bars(MultiProgress::new())
        } else {
            Display::Lines
        }
    }

    /// Prints a line without tearing the live bars.
    pub fn println(&self, line: &str) {
        match self {
            Display::Bars(multi) => {
                let _ = multi.println(line);
            }
            _ => println!("{line}"),
        }
    }
}

pub struct Progress {
    display: Display,
    name: String,
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(display: Display, submission: &str) -> Self {
        let name = terminal_safe(submission);
        let bar = match &display {
            Display::Bars(multi) => {
                let bar = multi.add(ProgressBar::new_spinner());
                bar.set_style(
                    ProgressStyle::with_template("{spinner} {prefix}: {msg}")
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                );
                bar.set_prefix(name.clone());
                bar.enable_steady_tick(std::time::Duration::from_millis(120));
                Some(bar)
            }
            _ => None,
        };
        Progress { display, name, bar }
    }

    fn say(&self, text: String) {
        match (&self.display, &self.bar) {
            (Display::Bars(_), Some(bar)) => bar.set_message(text),
            (Display::Lines, _) => {
                let _ = writeln!(std::io::stderr().lock(), "{}: {text}", self.name);
            }
            _ => {}
        }
    }
}

impl Sink for Progress {
    fn event(&mut self, event: &Event) {
        match event {
            Event::RunStarted { sha256, .. } => self.say(format!("grading ({})", &sha256[..12])),
            Event::PhaseStarted { phase } => self.say(format!("{phase} running")),
            Event::PhaseFinished { outcome } => {
                let why = outcome
                    .message
                    .as_deref()
                    .map(|m| format!(" ({})", terminal_safe(m)))
                    .unwrap_or_default();
                self.say(format!(
                    "{} {} in {:.2}s{why}",
                    outcome.name,
                    outcome.verdict.as_str(),
                    outcome.wall_seconds
                ));
            }
            Event::RunFinished { verdict } => {
                self.say(format!("=> {verdict}"));
                if let Some(bar) = &self.bar {
                    bar.finish_and_clear();
                }
            }
            Event::Output { .. } => {}
        }
    }
}
