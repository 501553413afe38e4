//! Renderers of a report and a round: each turns the report.json contract into one format.
//! They write nothing; `store` decides where the text goes.

mod error;
pub mod escape;
pub mod exports;
mod feedback;
pub mod highlight;
pub mod html;
mod junit_xml;
pub mod markdown;
pub mod notebook;
pub mod round;
pub mod safe_markdown;
pub mod similarity;
pub mod template;
pub mod view;

use crate::model::Report;
pub use error::RenderError;

/// Every rendering kept beside a report: report.json, report.md, report.html, junit.xml and
/// feedback.md, by file name.
pub fn render_all(report: &Report) -> Result<Vec<(&'static str, String)>, RenderError> {
    Ok(vec![
        ("report.json", json(report)?),
        ("report.md", markdown::render(report)),
        ("report.html", html::render(report)?),
        ("junit.xml", junit_xml::render(report)?),
        ("feedback.md", feedback::render(report)),
    ])
}

/// report.json as written: pretty, with a final newline.
pub fn json(report: &Report) -> Result<String, RenderError> {
    Ok(serde_json::to_string_pretty(report)? + "\n")
}
