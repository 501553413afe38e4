//! Sinks for people watching a grade: the terminal display and the phase logs on disk.

mod logs;
mod progress;

pub use logs::LogSink;
pub use progress::{Display, Progress};
