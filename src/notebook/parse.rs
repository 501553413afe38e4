//! A Jupyter notebook (nbformat 4) read leniently into what a claims check and a rendering
//! need: cells, their source and their outputs. Metadata (kernel, authors) is never read.

use super::png::Png;

/// Notebooks larger than this are not read.
pub const MAX_NOTEBOOK_BYTES: u64 = 32 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub struct Notebook {
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CellKind {
    Code,
    Markdown,
    Raw,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub kind: CellKind,
    pub source: String,
    pub outputs: Vec<Output>,
    /// Why the re-execution never reached this cell (set by assay's notebook runner).
    pub not_run: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Printed text; `stderr` is shown but never compared (warnings, progress bars).
    Stream {
        stderr: bool,
        text: String,
    },
    /// An expression's value or displayed object, as its `text/plain` repr.
    Text(String),
    /// A PNG the notebook displayed, decoded (so it is a real image).
    Image(Png),
    /// A PNG that did not decode (or was not decoded: the notebook's pictures passed
    /// `png::NOTEBOOK_PIXELS`); shown as a note, compared as different from any image.
    BrokenImage,
    Error {
        name: String,
        value: String,
    },
}

impl Output {
    pub fn is_error(&self) -> bool {
        matches!(self, Output::Error { .. })
    }
}

/// Reads a notebook's JSON; the error says what is wrong, for the report.
pub fn parse(bytes: &[u8]) -> Result<Notebook, String> {
    if bytes.len() as u64 > MAX_NOTEBOOK_BYTES {
        return Err(format!(
            "the notebook is {} bytes, more than the {} MiB assay reads",
            bytes.len(),
            MAX_NOTEBOOK_BYTES / 1024 / 1024
        ));
    }
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| format!("the notebook is not JSON: {e}"))?;
    let cells = value
        .get("cells")
        .and_then(|c| c.as_array())
        .ok_or("the notebook has no list of cells (is it nbformat 4?)")?;
    let mut pixels = super::png::NOTEBOOK_PIXELS;
    Ok(Notebook {
        cells: cells.iter().map(|c| cell(c, &mut pixels)).collect(),
    })
}

fn cell(value: &serde_json::Value, pixels: &mut u64) -> Cell {
    let kind = match value.get("cell_type").and_then(|t| t.as_str()) {
        Some("code") => CellKind::Code,
        Some("markdown") => CellKind::Markdown,
        _ => CellKind::Raw,
    };
    let outputs = match kind {
        CellKind::Code => value
            .get("outputs")
            .and_then(|o| o.as_array())
            .into_iter()
            .flatten()
            .filter_map(|o| output(o, pixels))
            .collect(),
        _ => Vec::new(),
    };
    let not_run = value
        .pointer("/metadata/assay/not_run")
        .and_then(|n| n.as_str())
        .map(str::to_string);
    Cell {
        kind,
        source: joined(value.get("source")),
        outputs,
        not_run,
    }
}

fn output(value: &serde_json::Value, pixels: &mut u64) -> Option<Output> {
    match value.get("output_type").and_then(|t| t.as_str())? {
        "stream" => Some(Output::Stream {
            stderr: value.get("name").and_then(|n| n.as_str()) == Some("stderr"),
            text: joined(value.get("text")),
        }),
        "error" => Some(Output::Error {
            name: text_field(value, "ename"),
            value: text_field(value, "evalue"),
        }),
        "execute_result" | "display_data" => {
            let data = value.get("data")?;
            if let Some(png) = data.get("image/png") {
                return Some(match super::png::from_base64(&joined(Some(png)), pixels) {
                    Some(image) => Output::Image(image),
                    None => Output::BrokenImage,
                });
            }
            data.get("text/plain").map(|text| Output::Text(joined(Some(text))))
        }
        _ => None,
    }
}

fn text_field(value: &serde_json::Value, name: &str) -> String {
    value.get(name).and_then(|v| v.as_str()).unwrap_or_default().to_string()
}

/// A notebook string field: one string, or a list of lines.
pub fn joined(value: Option<&serde_json::Value>) -> String {
    match value {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Array(lines)) => lines.iter().filter_map(|l| l.as_str()).collect(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_and_outputs_are_read() {
        let notebook = parse(
            br##"{"cells": [
              {"cell_type": "markdown", "source": ["# Title\n", "text"]},
              {"cell_type": "code", "source": "print(1)", "outputs": [
                {"output_type": "stream", "name": "stdout", "text": ["1\n"]},
                {"output_type": "stream", "name": "stderr", "text": "warn"},
                {"output_type": "execute_result", "data": {"text/plain": ["0.5"]}},
                {"output_type": "error", "ename": "ValueError", "evalue": "bad"},
                {"output_type": "display_data", "data": {"image/png": "not base64!"}}
              ], "metadata": {"assay": {"not_run": "why"}}}
            ], "metadata": {"authors": ["someone"]}}"##,
        )
        .unwrap();
        assert_eq!(notebook.cells.len(), 2);
        assert_eq!(notebook.cells[0].kind, CellKind::Markdown);
        assert_eq!(notebook.cells[0].source, "# Title\ntext");
        let code = &notebook.cells[1];
        assert_eq!(code.not_run.as_deref(), Some("why"));
        assert_eq!(
            code.outputs,
            vec![
                Output::Stream {
                    stderr: false,
                    text: "1\n".into()
                },
                Output::Stream {
                    stderr: true,
                    text: "warn".into()
                },
                Output::Text("0.5".into()),
                Output::Error {
                    name: "ValueError".into(),
                    value: "bad".into()
                },
                Output::BrokenImage,
            ]
        );
    }

    #[test]
    fn what_is_not_a_notebook_says_why() {
        assert!(parse(b"{").unwrap_err().contains("not JSON"));
        assert!(parse(b"{\"cells\": 3}").unwrap_err().contains("no list of cells"));
    }

    proptest::proptest! {
        #[test]
        fn any_bytes_parse_or_fail_cleanly(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn any_json_shape_parses_or_fails_cleanly(text in r#"\{"cells": \[(\{("cell_type": "(code|markdown|x)"|"source": (\[|"a"|1)|"outputs": \[\{"output_type": "(stream|error|display_data)"(, "data": \{"image/png": "iVBORw0KGgo="\})?\}\])(, )?\}(, )?){0,4}\]\}"#) {
            let _ = parse(text.as_bytes());
        }
    }
}
