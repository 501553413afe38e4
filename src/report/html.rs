//! report.html: one self-contained page, no script, a strict Content-Security-Policy, and
//! every string escaped by the template engine.

use crate::model::Report;

const TEMPLATE: &str = include_str!("templates/report.html");

pub fn render(report: &Report) -> Result<String, super::RenderError> {
    let mut view = super::view::build(report);
    // Highlighting every cell is the costly part of a notebook: done here, not for report.md.
    for (shown, check) in view.notebooks.iter_mut().zip(&report.notebooks) {
        shown.html = super::notebook::render(&check.cells);
    }
    if !report.notebooks.is_empty() {
        view.notebook_css = format!(
            "{}\n{}",
            super::highlight::highlight_css(),
            super::notebook::NOTEBOOK_CSS
        );
    }
    // Only the SVG charts and the notebooks' inert HTML are marked safe.
    super::template::render(
        "report.html",
        TEMPLATE,
        &minijinja::context! { v => minijinja::Value::from(minijinja::value::Serde(view)) },
    )
}
