//! A candidate's files for reviewers, read from the report's stored copy (the files as intake
//! accepted them) and turned into HTML that can do nothing: code highlighted on the server,
//! Markdown without raw HTML, notebooks as cells with images only as data URIs made here.

use std::path::Path;
use std::sync::LazyLock;

use base64::Engine;
use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

use crate::path_error::PathError;
use crate::report::view::xml_escape;

/// Files larger than this are listed but not shown.
pub const SHOWN_BYTES: u64 = 512 * 1024;

/// One file of the submission.
pub use crate::store::stored_copy::StoredFile as CandidateFile;

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

/// The files of a stored copy (`submission.tar.gz`), in path order.
pub fn read_stored_copy(path: &Path) -> Result<Vec<CandidateFile>, PathError> {
    crate::store::stored_copy::read(path, SHOWN_BYTES)
}

/// Files that name the candidate by design (git's metadata: config, logs, the mailmap), kept
/// from reviewers while a review is blind.
pub fn names_the_author(path: &str) -> bool {
    path.split('/').any(|part| part == ".git")
        || matches!(
            path.rsplit('/').next(),
            Some(".gitconfig" | ".mailmap" | "AUTHORS" | "CODEOWNERS")
        )
}

/// The README at the top of the submission, if any.
pub fn readme(files: &[CandidateFile]) -> Option<&CandidateFile> {
    files
        .iter()
        .find(|f| !f.path.contains('/') && f.path.to_ascii_lowercase().trim_end_matches(".md") == "readme")
}

/// A file as HTML: notebooks as cells, Markdown rendered, everything else highlighted source.
pub fn render(file: &CandidateFile) -> String {
    let Some(content) = &file.content else {
        return format!(
            "<p class=\"muted\">Not shown: {} bytes, more than {} KiB.</p>",
            file.bytes,
            SHOWN_BYTES / 1024
        );
    };
    let Ok(text) = std::str::from_utf8(content) else {
        return "<p class=\"muted\">Not shown: not UTF-8 text.</p>".to_string();
    };
    let text = crate::text::plain(text);
    let extension = file
        .path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "ipynb" => notebook(&text).unwrap_or_else(|| highlighted(&text, "json")),
        "md" | "markdown" => format!(
            "<div class=\"markdown\">{}</div>",
            crate::report::safe_markdown::to_html(&text)
        ),
        _ => highlighted(&text, &extension),
    }
}

/// Source as `<pre>` with highlighting classes; every character of the text is escaped.
pub fn highlighted(text: &str, extension: &str) -> String {
    let syntax = SYNTAXES
        .find_syntax_by_extension(extension)
        .unwrap_or_else(|| SYNTAXES.find_syntax_plain_text());
    let mut generator =
        ClassedHTMLGenerator::new_with_class_style(syntax, &SYNTAXES, ClassStyle::SpacedPrefixed { prefix: "hl-" });
    for line in LinesWithEndings::from(text) {
        if generator.parse_html_for_line_which_includes_newline(line).is_err() {
            return format!("<pre class=\"code\">{}</pre>", xml_escape(text));
        }
    }
    format!("<pre class=\"code\">{}</pre>", generator.finalize())
}

/// The style sheet for the highlighting classes, made once rather than on every page.
pub fn highlight_css() -> &'static str {
    static CSS: LazyLock<String> = LazyLock::new(|| {
        let themes = syntect::highlighting::ThemeSet::load_defaults();
        themes
            .themes
            .get("InspiredGitHub")
            .and_then(|theme| {
                syntect::html::css_for_theme_with_class_style(theme, ClassStyle::SpacedPrefixed { prefix: "hl-" }).ok()
            })
            .unwrap_or_default()
    });
    &CSS
}

/// The file against the starter file of the same path, as a unified diff in HTML; `None`
/// when the starter has no such file or the two are the same.
pub fn starter_diff(starter: &Path, file: &CandidateFile) -> Option<String> {
    let relative = Path::new(&file.path);
    if relative
        .components()
        .any(|c| !matches!(c, std::path::Component::Normal(_)))
    {
        return None;
    }
    let given = std::fs::read_to_string(starter.join(relative)).ok()?;
    let mine = std::str::from_utf8(file.content.as_deref()?).ok()?;
    if given == mine {
        return None;
    }
    let diff = similar::TextDiff::from_lines(&given, mine);
    let mut html = String::from("<pre class=\"code diff\">");
    for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
        html.push_str(&format!(
            "<span class=\"hunk\">{}</span>\n",
            xml_escape(&hunk.header().to_string())
        ));
        for change in hunk.iter_changes() {
            let (class, sign) = match change.tag() {
                similar::ChangeTag::Delete => ("del", '-'),
                similar::ChangeTag::Insert => ("ins", '+'),
                similar::ChangeTag::Equal => ("same", ' '),
            };
            let line = crate::text::plain(&change.to_string_lossy());
            html.push_str(&format!("<span class=\"{class}\">{sign}{}</span>", xml_escape(&line)));
            if change.missing_newline() {
                html.push('\n');
            }
        }
    }
    html.push_str("</pre>");
    Some(html)
}

/// A notebook's cells and outputs; its metadata (kernel, authors) is never shown. `None` when
/// the file is not a notebook.
fn notebook(text: &str) -> Option<String> {
    let notebook: serde_json::Value = serde_json::from_str(text).ok()?;
    let cells = notebook.get("cells")?.as_array()?;
    let mut html = String::from("<div class=\"notebook\">");
    for cell in cells {
        let source = joined(cell.get("source"));
        match cell.get("cell_type").and_then(|t| t.as_str()) {
            Some("markdown") => {
                html.push_str("<div class=\"cell markdown\">");
                html.push_str(&crate::report::safe_markdown::to_html(&source));
                html.push_str("</div>");
            }
            Some("code") => {
                html.push_str("<div class=\"cell code\">");
                html.push_str(&highlighted(&source, "py"));
                for output in cell.get("outputs").and_then(|o| o.as_array()).into_iter().flatten() {
                    html.push_str(&cell_output(output));
                }
                html.push_str("</div>");
            }
            _ => {
                html.push_str(&format!("<div class=\"cell\"><pre>{}</pre></div>", xml_escape(&source)));
            }
        }
    }
    html.push_str("</div>");
    Some(html)
}

fn cell_output(output: &serde_json::Value) -> String {
    if let Some(text) = output.get("text") {
        return format!(
            "<pre class=\"output\">{}</pre>",
            xml_escape(&crate::text::plain(&joined(Some(text))))
        );
    }
    let data = output.get("data");
    if let Some(image) = data.and_then(|d| d.get("image/png")).and_then(png_data_uri) {
        return format!("<img class=\"output\" alt=\"an image the notebook made\" src=\"{image}\">");
    }
    if let Some(text) = data.and_then(|d| d.get("text/plain")) {
        return format!(
            "<pre class=\"output\">{}</pre>",
            xml_escape(&crate::text::plain(&joined(Some(text))))
        );
    }
    if let Some(name) = output.get("ename").and_then(|n| n.as_str()) {
        let value = output.get("evalue").and_then(|v| v.as_str()).unwrap_or("");
        return format!(
            "<pre class=\"output error\">{}: {}</pre>",
            xml_escape(&crate::text::plain(name)),
            xml_escape(&crate::text::plain(value))
        );
    }
    String::new()
}

/// A notebook's PNG as a data URI encoded here from bytes that are a PNG, or nothing.
fn png_data_uri(value: &serde_json::Value) -> Option<String> {
    let encoded: String = joined(Some(value)).chars().filter(|c| !c.is_whitespace()).collect();
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !bytes.starts_with(SIGNATURE) || bytes.len() > SHOWN_BYTES as usize {
        return None;
    }
    Some(format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// A notebook string field: one string, or a list of lines.
fn joined(value: Option<&serde_json::Value>) -> String {
    match value {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Array(lines)) => lines.iter().filter_map(|l| l.as_str()).collect(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, content: &str) -> CandidateFile {
        CandidateFile {
            path: path.into(),
            bytes: content.len() as u64,
            content: Some(content.as_bytes().to_vec()),
        }
    }

    #[test]
    fn git_metadata_is_known_to_name_the_author() {
        assert!(names_the_author(".git/config"));
        assert!(names_the_author("sub/.git/logs/HEAD"));
        assert!(names_the_author(".mailmap"));
        assert!(!names_the_author("src/git.py"));
        assert!(!names_the_author("README.md"));
    }

    #[test]
    fn code_is_escaped_and_highlighted() {
        let html = render(&file("x.py", "print('<script>alert(1)</script>')\n"));
        assert!(html.contains("hl-"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn markdown_keeps_no_raw_html() {
        let html = render(&file(
            "README.md",
            "# Hi\n<img src=http://127.0.0.1:9/x onerror=alert(1)>\n",
        ));
        assert!(html.contains("<h1>Hi</h1>"), "{html}");
        assert!(!html.contains("<img"), "{html}");
    }

    #[test]
    fn a_changed_starter_file_shows_as_a_diff() {
        let starter = tempfile::tempdir().unwrap();
        std::fs::write(starter.path().join("main.py"), "a = 1\nb = 2\n").unwrap();
        let html = starter_diff(starter.path(), &file("main.py", "a = 1\nb = '<3>'\n")).unwrap();
        assert!(html.contains("<span class=\"del\">-b = 2"), "{html}");
        assert!(html.contains("<span class=\"ins\">+b = &#39;&lt;3&gt;&#39;"), "{html}");
        assert!(starter_diff(starter.path(), &file("main.py", "a = 1\nb = 2\n")).is_none());
        assert!(starter_diff(starter.path(), &file("../main.py", "x")).is_none());
        assert!(starter_diff(starter.path(), &file("other.py", "x")).is_none());
    }

    #[test]
    fn notebooks_show_cells_and_only_real_pngs() {
        let png = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\nrest");
        let fake = base64::engine::general_purpose::STANDARD.encode(b"<svg onload=alert(1)>");
        let notebook = serde_json::json!({
            "metadata": {"authors": [{"name": "Jane Candidate"}]},
            "cells": [
                {"cell_type": "markdown", "source": ["# Title\n", "<script>x</script>"]},
                {"cell_type": "code", "source": "1 + 1", "outputs": [
                    {"output_type": "execute_result", "data": {"text/plain": ["2"]}},
                    {"output_type": "display_data", "data": {"image/png": png}},
                    {"output_type": "display_data", "data": {"image/png": fake}},
                ]},
            ]
        });
        let html = render(&file("a.ipynb", &notebook.to_string()));
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(!html.contains("<script"), "{html}");
        assert_eq!(html.matches("data:image/png;base64,").count(), 1, "{html}");
        assert!(!html.contains("Jane"), "{html}");
    }

    /// Every tag in `html` is one assay makes, with no event handler, and links and images go
    /// only where assay allows.
    fn only_safe_tags(html: &str) -> Result<(), String> {
        const ALLOWED: [&str; 30] = [
            "pre",
            "span",
            "div",
            "img",
            "p",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "ul",
            "ol",
            "li",
            "a",
            "code",
            "em",
            "strong",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "blockquote",
            "del",
            "br",
            "hr",
            "sup",
            "input",
        ];
        for (at, _) in html.match_indices('<') {
            let rest = &html[at + 1..];
            let tag = rest.split_once('>').map(|(t, _)| t).ok_or("an unclosed tag")?;
            let name: String = tag
                .trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect();
            if !ALLOWED.contains(&name.as_str()) {
                return Err(format!("tag <{tag}>"));
            }
            let lower = tag.to_ascii_lowercase();
            if lower
                .split_whitespace()
                .skip(1)
                .any(|attribute| attribute.starts_with("on"))
            {
                return Err(format!("a handler in <{tag}>"));
            }
            if name == "img" && !tag.contains("src=\"data:image/png;base64,") {
                return Err(format!("an image from elsewhere: <{tag}>"));
            }
            if name == "a" && lower.contains("href=") {
                let safe = ["href=\"http://", "href=\"https://", "href=\"mailto:", "href=\"#"];
                if !safe.iter().any(|s| lower.contains(s)) {
                    return Err(format!("a link to <{tag}>"));
                }
            }
            if name == "input" && !lower.contains("type=\"checkbox\"") {
                return Err(format!("a form field <{tag}>"));
            }
        }
        Ok(())
    }

    fn html_like() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        prop_oneof![
            "[<>\"'=a-z /:.&;!\\[\\]()#*`_\n-]{0,80}",
            any::<String>(),
            Just("<script>alert(1)</script>".to_string()),
            Just("<img src=x onerror=alert(1)>".to_string()),
            Just("[x](javascript:alert(1)) ![y](http://evil/)".to_string()),
            Just("<a href=\"http://x\" onclick=\"go()\">x</a>".to_string()),
        ]
    }

    proptest::proptest! {
        #[test]
        fn any_file_or_notebook_renders_to_safe_html(
            markdown in html_like(),
            code in html_like(),
            output in html_like(),
            png in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
            extension in proptest::prop_oneof![
                proptest::strategy::Just("py"), proptest::strategy::Just("md"),
                proptest::strategy::Just("ipynb"), proptest::strategy::Just("txt"), proptest::strategy::Just("html")
            ],
        ) {
            let png = base64::engine::general_purpose::STANDARD.encode(png);
            let notebook = serde_json::json!({
                "cells": [
                    {"cell_type": "markdown", "source": markdown},
                    {"cell_type": "code", "source": [code.clone()], "outputs": [
                        {"output_type": "stream", "text": output.clone()},
                        {"output_type": "display_data", "data": {"image/png": png, "text/html": output.clone()}},
                        {"output_type": "error", "ename": output.clone(), "evalue": markdown.clone()},
                    ]},
                    {"cell_type": output.clone(), "source": code.clone()},
                ]
            })
            .to_string();
            for content in [notebook, markdown.clone(), code.clone()] {
                let html = render(&file(&format!("f.{extension}"), &content));
                proptest::prop_assert!(only_safe_tags(&html).is_ok(), "{:?} in {html}", only_safe_tags(&html));
            }
        }
    }
}
