//! Spec errors that name the file, line, column and key path, found in the TOML source.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One step of a key path: a table key or an array index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// A path to a value in the spec, such as `phase[1].timeout`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyPath(pub Vec<Segment>);

impl KeyPath {
    pub fn root() -> Self {
        KeyPath(Vec::new())
    }

    pub fn key(&self, key: &str) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Key(key.to_string()));
        next
    }

    pub fn index(&self, index: usize) -> Self {
        let mut next = self.clone();
        next.0.push(Segment::Index(index));
        next
    }
}

impl fmt::Display for KeyPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Index(index) => write!(f, "[{index}]")?,
                Segment::Key(key) => {
                    if i > 0 {
                        f.write_str(".")?;
                    }
                    let bare =
                        !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                    if bare {
                        f.write_str(key)?;
                    } else {
                        write!(f, "{key:?}")?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// A problem in one spec file, at a line and column, about one key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    pub file: PathBuf,
    pub line: usize,
    pub column: usize,
    pub key: String,
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.key.is_empty() {
            write!(f, "{}: ", self.key)?;
        }
        f.write_str(&self.message)
    }
}

/// Turns key paths into positions in one spec's source text.
pub struct Locator<'a> {
    file: &'a Path,
    source: &'a str,
    document: Option<toml_edit::Document<&'a str>>,
    /// Byte offset where each line starts, so placing an error costs a binary search, not a
    /// scan of the file (a spec with 40,000 errors must still be reported at once).
    line_starts: Vec<usize>,
}

impl<'a> Locator<'a> {
    pub fn new(file: &'a Path, source: &'a str) -> Self {
        let line_starts = std::iter::once(0)
            .chain(source.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Locator {
            file,
            source,
            document: toml_edit::Document::parse(source).ok(),
            line_starts,
        }
    }

    /// An error about `path`, placed at the deepest part of the path the source contains.
    pub fn error(&self, path: &KeyPath, message: impl Into<String>) -> SpecError {
        let offset = self.find(path).map(|span| span.start).unwrap_or(0);
        self.error_at(offset, path.to_string(), message)
    }

    pub fn error_at(&self, offset: usize, key: String, message: impl Into<String>) -> SpecError {
        let offset = offset.min(self.source.len());
        let line = self.line_starts.partition_point(|&start| start <= offset);
        let start = self.line_starts[line - 1];
        let column = self
            .source
            .get(start..offset)
            .map_or(1, |text| text.chars().count() + 1);
        SpecError {
            file: self.file.to_path_buf(),
            line,
            column,
            key,
            message: message.into(),
        }
    }

    fn find(&self, path: &KeyPath) -> Option<Range<usize>> {
        let mut node = Node::Item(self.document.as_ref()?.as_item());
        let mut best = None;
        for segment in &path.0 {
            let Some((span, next)) = node.child(segment) else {
                break;
            };
            best = span.or(best);
            node = next;
        }
        best
    }
}

/// A place in the parsed document that a key path can step through.
enum Node<'d> {
    Item(&'d toml_edit::Item),
    Table(&'d toml_edit::Table),
    Value(&'d toml_edit::Value),
}

impl<'d> Node<'d> {
    fn child(&self, segment: &Segment) -> Option<(Option<Range<usize>>, Node<'d>)> {
        match segment {
            Segment::Key(key) => {
                let table: &'d dyn toml_edit::TableLike = match self {
                    Node::Item(item) => item.as_table_like()?,
                    Node::Table(table) => *table,
                    Node::Value(value) => value.as_inline_table()?,
                };
                let (key, value) = table.get_key_value(key)?;
                Some((key.span().or_else(|| value.span()), Node::Item(value)))
            }
            Segment::Index(index) => {
                let array = match self {
                    Node::Item(toml_edit::Item::ArrayOfTables(tables)) => {
                        let table = tables.get(*index)?;
                        return Some((table.span(), Node::Table(table)));
                    }
                    Node::Item(toml_edit::Item::Value(toml_edit::Value::Array(array))) => array,
                    Node::Value(toml_edit::Value::Array(array)) => array,
                    _ => return None,
                };
                let value = array.get(*index)?;
                Some((value.span(), Node::Value(value)))
            }
        }
    }
}
