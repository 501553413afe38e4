//! A notebook as HTML that can do nothing: Markdown cells without raw HTML, code highlighted on
//! the server, outputs escaped, pictures only as data URIs of PNGs assay encoded; a cell whose
//! outputs differ from the ones handed in is marked, with the claimed outputs beside it.

use crate::notebook::{CellOutcome, ShownCell, ShownKind, ShownOutput};

use super::escape::xml_escape;
use super::highlight::highlighted;

/// The style of the marks and outputs (the highlighting classes are `highlight_css`).
pub const NOTEBOOK_CSS: &str = ".notebook .cell { border-left: 3px solid #dde2ea; margin: .6rem 0; padding: 0 .6rem; }
.notebook .cell.differs { border-left-color: #b3261e; } .notebook .cell.drifted { border-left-color: #8a5a00; }
.notebook .number { color: #5d6b7e; font-size: .85em; } .notebook .mark { font-weight: 600; }
.notebook pre.output { background: #fff; border: 1px solid #eef1f5; } .notebook pre.stderr { color: #8a5a00; }
.notebook pre.error { color: #b3261e; } .notebook img.output { max-width: 100%; }
.notebook .claimed { margin-left: 1rem; border-left: 2px dashed #b3261e; padding-left: .5rem; }";

pub fn render(cells: &[ShownCell]) -> String {
    let mut html = String::from("<div class=\"notebook\">");
    for cell in cells {
        let class = match cell.outcome {
            Some(CellOutcome::NumbersDrifted) => " drifted",
            Some(CellOutcome::Same | CellOutcome::NoClaim) | None => "",
            Some(_) => " differs",
        };
        html.push_str(&format!(
            "<div class=\"cell {}{class}\" id=\"cell-{}\"><p class=\"number\">cell {}",
            xml_escape(&cell.kind),
            cell.number,
            cell.number
        ));
        if let Some(outcome) = cell.outcome {
            html.push_str(&format!(
                " · <span class=\"mark {}\">{}</span>",
                tone(outcome),
                label(outcome)
            ));
        }
        if let Some(note) = &cell.note {
            html.push_str(&format!(" · {}", xml_escape(&crate::text::plain(note))));
        }
        html.push_str("</p>");
        match cell.kind.as_str() {
            "markdown" => {
                html.push_str("<div class=\"markdown\">");
                html.push_str(&super::safe_markdown::to_html(&crate::text::plain(&cell.source)));
                html.push_str("</div>");
            }
            "code" => html.push_str(&highlighted(&crate::text::plain(&cell.source), "py")),
            _ => html.push_str(&format!("<pre>{}</pre>", xml_escape(&crate::text::plain(&cell.source)))),
        }
        for output in &cell.outputs {
            html.push_str(&output_html(output));
        }
        if !cell.claimed.is_empty() {
            html.push_str("<div class=\"claimed\"><p class=\"number\">handed in:</p>");
            for output in &cell.claimed {
                html.push_str(&output_html(output));
            }
            html.push_str("</div>");
        }
        html.push_str("</div>");
    }
    html.push_str("</div>");
    html
}

pub fn label(outcome: CellOutcome) -> &'static str {
    match outcome {
        CellOutcome::Same => "reproduces",
        CellOutcome::NumbersDrifted => "numbers drifted",
        CellOutcome::Different => "different",
        CellOutcome::NewlyFailing => "newly failing",
        CellOutcome::NoLongerFailing => "no longer failing",
        CellOutcome::NotRun => "not run",
        CellOutcome::NoClaim => "no output handed in",
    }
}

fn tone(outcome: CellOutcome) -> &'static str {
    match outcome {
        CellOutcome::Same => "good",
        CellOutcome::NoClaim | CellOutcome::NumbersDrifted => "neutral",
        _ => "bad",
    }
}

fn output_html(output: &ShownOutput) -> String {
    let text = xml_escape(&crate::text::plain(&output.text));
    match (output.kind, &output.png) {
        // Only base64 characters reach the attribute: the bytes are a PNG assay encoded.
        (ShownKind::Image, Some(png)) if png.bytes().all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)) => {
            format!("<img class=\"output\" alt=\"{text}\" src=\"data:image/png;base64,{png}\">")
        }
        (ShownKind::Stderr, _) => format!("<pre class=\"output stderr\">{text}</pre>"),
        (ShownKind::Error | ShownKind::BrokenImage, _) => format!("<pre class=\"output error\">{text}</pre>"),
        _ => format!("<pre class=\"output\">{text}</pre>"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hostile_cell_renders_inert_and_a_changed_one_is_marked() {
        let cells = vec![
            ShownCell {
                number: 1,
                kind: "markdown".into(),
                source: "# Hi\n\n<script>alert(1)</script>\n\n[a](javascript:alert(3)) <img src=x onerror=alert(2)>"
                    .into(),
                outcome: None,
                note: None,
                drifts: vec![],
                outputs: vec![],
                claimed: vec![],
            },
            ShownCell {
                number: 2,
                kind: "code".into(),
                source: "print('<b>')".into(),
                outcome: Some(CellOutcome::NumbersDrifted),
                note: Some("claimed accuracy 0.93, re-run gives 0.87".into()),
                drifts: vec![],
                outputs: vec![
                    ShownOutput {
                        kind: ShownKind::Text,
                        text: "<script>alert(4)</script>".into(),
                        png: None,
                    },
                    ShownOutput {
                        kind: ShownKind::Image,
                        text: "x".into(),
                        png: Some("\"><script>alert(5)</script>".into()),
                    },
                ],
                claimed: vec![ShownOutput {
                    kind: ShownKind::Text,
                    text: "accuracy 0.93".into(),
                    png: None,
                }],
            },
        ];
        let html = render(&cells);
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img src"), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(html.contains("<h1>Hi</h1>"), "{html}");
        assert!(html.contains("cell code drifted"), "{html}");
        assert!(html.contains("numbers drifted"), "{html}");
        assert!(html.contains("handed in:"), "{html}");
        assert!(
            !html.contains("data:image"),
            "a png field that is not base64 is shown as text: {html}"
        );
    }
}
