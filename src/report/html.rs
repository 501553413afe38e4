//! report.html: one self-contained page, no script, a strict Content-Security-Policy, and
//! every string escaped by the template engine.

use crate::model::Report;

const TEMPLATE: &str = include_str!("templates/report.html");

pub fn render(report: &Report) -> Result<String, super::RenderError> {
    // Only the SVG charts, built from numbers and escaped names, are marked safe.
    super::template::render(
        "report.html",
        TEMPLATE,
        &minijinja::context! { v => minijinja::Value::from(minijinja::value::Serde(super::view::build(report))) },
    )
}
