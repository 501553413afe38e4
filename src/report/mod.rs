//! Reports of a grade: `report.json` (the contract), the phase logs, the terminal display.

pub mod exports;
mod feedback;
mod html;
mod junit_xml;
mod logs;
pub mod markdown;
mod model;
mod progress;
pub mod view;

use std::path::Path;

pub use logs::LogSink;
pub use model::*;
pub use progress::{Display, Progress};

/// The JSON Schema every report.json follows.
pub const SCHEMA: &str = include_str!("report.schema.json");

/// Writes every rendering of the report into `dir`: report.json, report.md, report.html,
/// junit.xml and feedback.md.
pub fn write_all(dir: &Path, report: &Report) -> anyhow::Result<()> {
    write_json(dir, report)?;
    let write = |name: &str, text: String| crate::store::write_atomically(&dir.join(name), text.as_bytes());
    write("report.md", markdown::render(report))?;
    write("report.html", html::render(report)?)?;
    write("junit.xml", junit_xml::render(report)?)?;
    write("feedback.md", feedback::render(report))?;
    Ok(())
}

/// Writes `report.json` into `dir`.
pub fn write_json(dir: &Path, report: &Report) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join("report.json");
    let text = serde_json::to_string_pretty(report)?;
    crate::store::write_atomically(&path, (text + "\n").as_bytes())
}

/// RFC 3339 time, to the second, for provenance.
pub fn timestamp(time: std::time::SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}
