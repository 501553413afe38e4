//! The columns a table is read into, shared by the full CSV reader (`table`) and the fast
//! path for plain files (`plain`).

/// Text values stored end to end, so a million rows cost two allocations, not a million.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Column {
    text: String,
    ends: Vec<usize>,
}

impl Column {
    pub(super) fn from_parts(text: String, ends: Vec<usize>) -> Column {
        Column { text, ends }
    }

    pub(super) fn len(&self) -> usize {
        self.ends.len()
    }

    pub(super) fn push(&mut self, value: &str) {
        self.text.push_str(value);
        self.ends.push(self.text.len());
    }

    /// The values in order: cheaper than `get` of each.
    pub(super) fn iter(&self) -> impl Iterator<Item = &str> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts.zip(&self.ends).map(|(start, &end)| &self.text[start..end])
    }

    pub(super) fn get(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        &self.text[start..self.ends[i]]
    }
}

/// The wanted columns of a CSV file, column by column.
#[derive(Debug, PartialEq)]
pub(super) struct Table {
    pub(super) lines: Vec<usize>,
    pub(super) keys: Column,
    pub(super) columns: Vec<Cells>,
}

/// A wanted column as read: text, or finite numbers when it was asked for as numbers and
/// the plain-file path read it (the full reader keeps text, parsed later with messages).
#[derive(Debug, PartialEq)]
pub(super) enum Cells {
    Text(Column),
    Numbers(Vec<f64>),
}

/// What a column read as numbers offers where text is asked for: nothing. Only metrics on
/// classes read text, and they never ask for numbers.
static NO_TEXT: Column = Column {
    text: String::new(),
    ends: Vec::new(),
};

impl Cells {
    pub(super) fn text(&self) -> &Column {
        match self {
            Cells::Text(column) => column,
            Cells::Numbers(_) => &NO_TEXT,
        }
    }

    pub(super) fn is_missing(&self, i: usize) -> bool {
        match self {
            Cells::Text(column) => is_missing(column.get(i)),
            // Only finite numbers are read as numbers.
            Cells::Numbers(_) => false,
        }
    }
}

/// How the wanted columns (not the key) are asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    Text,
    Numbers,
}

/// An empty cell or NaN is no value, in the labels and in the predictions alike.
fn is_missing(value: &str) -> bool {
    value.is_empty() || value.eq_ignore_ascii_case("nan")
}
