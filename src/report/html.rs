//! report.html: one self-contained page, no script, a strict Content-Security-Policy, and
//! every string escaped by the template engine.

use super::Report;

const TEMPLATE: &str = include_str!("templates/report.html");

pub fn render(report: &Report) -> anyhow::Result<String> {
    let mut env = minijinja::Environment::new();
    // The name ends in .html, so every value is HTML-escaped unless marked safe (only the
    // SVG charts, built from numbers and escaped names).
    env.add_template("report.html", TEMPLATE)?;
    let view = super::view::build(report);
    Ok(env
        .get_template("report.html")?
        .render(minijinja::context! { v => minijinja::Value::from(minijinja::value::Serde(&view)) })?)
}
