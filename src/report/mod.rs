//! Reports of a grade: `report.json` (the contract), the phase logs, the terminal display.

mod logs;
mod model;
mod progress;

use std::path::Path;

use anyhow::Context;

pub use logs::LogSink;
pub use model::*;
pub use progress::Progress;

/// Writes `report.json` into `dir`.
pub fn write_json(dir: &Path, report: &Report) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("report.json");
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(&path, text + "\n").with_context(|| format!("writing {}", path.display()))
}

/// RFC 3339 time, to the second, for provenance.
pub fn timestamp(time: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}
