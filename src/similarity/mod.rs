//! Similarity across a round: which submissions share code that renaming, reformatting,
//! recommenting and reordering do not hide. Each source file becomes normalised tokens
//! (`tokens`), then winnowed fingerprints (`winnow`); two submissions are as similar as the
//! share of the smaller one's fingerprints the other also holds. What the assignment gave
//! everyone (its starter files) never counts. Pure: callers hand in file contents.

mod compare;
mod fragments;
pub mod isolated;
pub mod tokens;
pub mod winnow;

pub use compare::{Comparison, Pair, compare};
pub use fragments::{Fragment, Side};
pub use isolated::compare_in_child;

/// A source file of a submission, the starter or the corpus.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct SourceFile {
    /// Its path inside the submission, `/`-separated.
    pub path: String,
    pub text: String,
}

/// One body of work compared: a candidate's submission, or a known public solution.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Document {
    pub name: String,
    /// A known solution from the corpus: compared with submissions, not with other entries.
    pub corpus: bool,
    pub files: Vec<SourceFile>,
}

/// When a pair is flagged.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct Settings {
    /// Share of the smaller submission's fingerprints found in the other, 0 to 1.
    pub threshold: f64,
    /// Fingerprints two submissions must share before their share means anything.
    pub min_shared: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            threshold: DEFAULT_THRESHOLD,
            min_shared: 8,
        }
    }
}

/// The share above which a pair is flagged, unless the spec sets another.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

/// Files larger than this are not compared (generated or data, not written by hand).
pub const MAX_FILE_BYTES: usize = 512 * 1024;

/// Source code compared of one submission, in path order; the rest of a larger one is not.
pub const MAX_DOCUMENT_BYTES: usize = 2 * 1024 * 1024;

/// The files of `files` that are source code assay compares, by path, up to
/// `MAX_DOCUMENT_BYTES` in all.
pub fn source_files(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> Vec<SourceFile> {
    let mut found: Vec<SourceFile> = files
        .into_iter()
        .filter(|(path, bytes)| bytes.len() <= MAX_FILE_BYTES && tokens::Language::of(path).is_some())
        .filter_map(|(path, bytes)| String::from_utf8(bytes).ok().map(|text| SourceFile { path, text }))
        .collect();
    found.sort_by(|a, b| a.path.cmp(&b.path));
    let mut total = 0;
    found.retain(|f| {
        total += f.text.len();
        total <= MAX_DOCUMENT_BYTES
    });
    found
}
