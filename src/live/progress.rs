//! The terminal display, a sink of runner events on stderr: a live line per running
//! submission on a terminal, plain lines (prefixed with the submission) otherwise.

use std::io::Write;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::runner::{Event, RunInfo, RunKind, Sink};
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

/// Follows one run of one submission. The first run says every step; a rerun or a seed run
/// shows its steps on a live bar and, in plain lines, only its verdict.
pub struct Progress {
    display: Display,
    name: String,
    run: Option<RunInfo>,
    bar: Option<ProgressBar>,
}

impl Progress {
    pub fn new(display: Display, submission: &str) -> Self {
        Progress {
            display,
            name: terminal_safe(submission),
            run: None,
            bar: None,
        }
    }

    /// The live line, made when the run starts (runs waiting their turn show none).
    fn start_bar(&mut self, run: RunInfo) {
        let Display::Bars(multi) = &self.display else {
            return;
        };
        let bar = multi.add(ProgressBar::new_spinner());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {prefix}: {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
        );
        let prefix = match run.kind {
            RunKind::First => self.name.clone(),
            _ => format!("{} {}", self.name, run.label()),
        };
        bar.set_prefix(prefix);
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        self.bar = Some(bar);
    }

    /// A step of the run: on the bar, and as a line for the first run only.
    fn say(&self, text: String) {
        match (&self.display, &self.bar) {
            (Display::Bars(_), Some(bar)) => bar.set_message(text),
            (Display::Lines, _) if self.is_first() => self.line(&text),
            _ => {}
        }
    }

    fn line(&self, text: &str) {
        let _ = writeln!(std::io::stderr().lock(), "{}: {text}", self.name);
    }

    fn is_first(&self) -> bool {
        self.run.is_none_or(|r| r.kind == RunKind::First)
    }
}

impl Sink for Progress {
    fn event(&mut self, event: &Event) {
        match event {
            Event::RunStarted { sha256, run, .. } => {
                self.run = Some(*run);
                self.start_bar(*run);
                self.say(format!("grading ({})", &sha256[..sha256.len().min(12)]));
            }
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
            Event::RunFinished { run, verdict } => {
                if run.kind == RunKind::First {
                    self.say(format!("=> {verdict}"));
                } else if matches!(self.display, Display::Lines) {
                    self.line(&format!("{}: {verdict}", run.label()));
                }
                if let Some(bar) = &self.bar {
                    bar.finish_and_clear();
                }
            }
            Event::Output { .. } => {}
        }
    }
}
