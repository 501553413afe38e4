//! Source code as HTML with highlighting classes (syntect, on the server), every character
//! escaped, and the one style sheet those classes need.

use std::sync::LazyLock;

use syntect::html::{ClassStyle, ClassedHTMLGenerator};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

use super::escape::xml_escape;

static SYNTAXES: LazyLock<SyntaxSet> = LazyLock::new(SyntaxSet::load_defaults_newlines);

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
