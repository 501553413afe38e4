//! A candidate's files for reviewers, read from the report's stored copy (the files as intake
//! accepted them) and turned into HTML that can do nothing: code highlighted on the server,
//! Markdown without raw HTML, notebooks as cells with images only as data URIs made here.

use std::path::Path;

use crate::path_error::PathError;
pub use crate::report::highlight::{highlight_css, highlighted};
use crate::report::view::xml_escape;

/// Files larger than this are listed but not shown.
pub const SHOWN_BYTES: u64 = 512 * 1024;

/// One file of the submission.
pub use crate::store::stored_copy::StoredFile as CandidateFile;

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
    let notebook = crate::notebook::parse(text.as_bytes()).ok()?;
    let (cells, shortened) = crate::notebook::claims::shown(&notebook);
    let mut html = crate::report::notebook::render(&cells);
    if shortened {
        html.push_str("<p class=\"muted\">Long cells, outputs or many pictures were shortened.</p>");
    }
    Some(html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

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
        let png =
            base64::engine::general_purpose::STANDARD.encode(crate::notebook::png::tests::picture(3, 3, |x, _| x == 1));
        let broken = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\nrest");
        let fake = base64::engine::general_purpose::STANDARD.encode(b"<svg onload=alert(1)>");
        let notebook = serde_json::json!({
            "metadata": {"authors": [{"name": "Jane Candidate"}]},
            "cells": [
                {"cell_type": "markdown", "source": ["# Title\n", "<script>x</script>"]},
                {"cell_type": "code", "source": "1 + 1", "outputs": [
                    {"output_type": "execute_result", "data": {"text/plain": ["2"]}},
                    {"output_type": "display_data", "data": {"image/png": png}},
                    {"output_type": "display_data", "data": {"image/png": fake}},
                    {"output_type": "display_data", "data": {"image/png": broken}},
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
