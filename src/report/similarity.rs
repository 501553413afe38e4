//! `similarity.html`: every flagged pair with its matching fragments side by side, and the
//! summary the round's index shows. Names and code are escaped by the template engine.

use serde::Serialize;

use super::RenderError;
use crate::similarity::{Comparison, Fragment, Side};
use crate::text::plain;

const PAGE: &str = include_str!("templates/similarity.html");
/// The pairs table and clusters, shared by the page and the round's index.
pub const SUMMARY: &str = include_str!("templates/similarity_summary.html");

/// What both templates show.
#[derive(Serialize)]
pub struct SimilarityView {
    submissions: usize,
    corpus: usize,
    threshold: String,
    pairs: Vec<PairView>,
    clusters: Vec<Vec<String>>,
    too_small: Vec<String>,
    /// Where the pairs' anchors are: "" on the page itself, `similarity.html` from the index.
    link_prefix: &'static str,
}

#[derive(Serialize)]
struct PairView {
    anchor: String,
    a: String,
    b: String,
    b_corpus: bool,
    score: String,
    share_a: String,
    share_b: String,
    shared: usize,
    fragments: Vec<Fragment>,
}

/// A share as people read it: `85%`.
pub fn percent(share: f64) -> String {
    format!("{:.0}%", share * 100.0)
}

/// A fragment with terminal escapes and bidirectional controls taken out of its paths and code.
pub fn plain_fragment(fragment: &Fragment) -> Fragment {
    let side = |side: &Side| Side {
        path: plain(&side.path),
        text: plain(&side.text),
        ..side.clone()
    };
    Fragment {
        a: side(&fragment.a),
        b: side(&fragment.b),
    }
}

/// The view of `comparison`; fragments only when `with_fragments` (the page, not the index).
pub fn view(comparison: &Comparison, link_prefix: &'static str, with_fragments: bool) -> SimilarityView {
    SimilarityView {
        submissions: comparison.submissions,
        corpus: comparison.corpus,
        threshold: percent(comparison.settings.threshold),
        pairs: comparison
            .pairs
            .iter()
            .enumerate()
            .map(|(i, pair)| PairView {
                anchor: format!("pair-{}", i + 1),
                a: plain(&pair.a),
                b: plain(&pair.b),
                b_corpus: pair.b_corpus,
                score: percent(pair.score),
                share_a: percent(pair.share_a),
                share_b: percent(pair.share_b),
                shared: pair.shared,
                fragments: if with_fragments {
                    pair.fragments.iter().map(plain_fragment).collect()
                } else {
                    Vec::new()
                },
            })
            .collect(),
        clusters: comparison
            .clusters
            .iter()
            .map(|c| c.iter().map(|n| plain(n)).collect())
            .collect(),
        too_small: comparison.too_small.iter().map(|n| plain(n)).collect(),
        link_prefix,
    }
}

/// `similarity.html`.
pub fn page(comparison: &Comparison) -> Result<String, RenderError> {
    super::template::render_with(
        &[("similarity_summary.html", SUMMARY)],
        "similarity.html",
        PAGE,
        &view(comparison, "", true),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::similarity::{Document, Settings, SourceFile, compare};

    #[test]
    fn names_and_code_are_escaped() {
        let code = "import os\n# </pre><script>alert(1)</script>\ndef walk(top):\n    found = []\n    for root, dirs, files in os.walk(top):\n        for name in files:\n            if name.endswith('.py'):\n                found.append(os.path.join(root, name))\n    return sorted(found)\n";
        let doc = |name: &str| Document {
            name: name.into(),
            corpus: false,
            files: vec![SourceFile {
                path: "<img src=x>.py".into(),
                text: code.replace("# </pre>", "x = '</pre><script>alert(1)</script>'\n#"),
            }],
        };
        let comparison = compare(&[doc("<b>ana</b>"), doc("bo\u{202e}")], &[], Settings::default());
        assert_eq!(comparison.pairs.len(), 1);
        let html = page(&comparison).unwrap();
        assert!(
            !html.contains("<script>") && !html.contains("<b>ana") && !html.contains("<img"),
            "{html}"
        );
        assert!(
            html.contains("&lt;script&gt;") && html.contains("&lt;b&gt;ana&lt;&#x2f;b&gt;"),
            "{html}"
        );
        assert!(!html.contains('\u{202e}'));
    }
}
