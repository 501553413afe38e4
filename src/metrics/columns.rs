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

/// The line of the file each row starts on (the header is line 1).
#[derive(Debug, Clone)]
pub enum Lines {
    /// Row `i` starts on line `i + 2`: a plain file, a row per line after the header. Not
    /// listed, so a million rows cost no memory.
    Consecutive(usize),
    /// Each row's line, as read.
    Listed(Vec<usize>),
}

impl Lines {
    pub fn len(&self) -> usize {
        match self {
            Lines::Consecutive(rows) => *rows,
            Lines::Listed(lines) => lines.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The line of row `i`.
    pub fn get(&self, i: usize) -> usize {
        match self {
            Lines::Consecutive(_) => i + 2,
            Lines::Listed(lines) => lines[i],
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }
}

/// Two ways of saying the same lines are equal.
impl PartialEq for Lines {
    fn eq(&self, other: &Lines) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<const N: usize> PartialEq<[usize; N]> for Lines {
    fn eq(&self, other: &[usize; N]) -> bool {
        self.len() == N && self.iter().eq(other.iter().copied())
    }
}

/// The wanted columns of a CSV file, column by column.
#[derive(Debug, PartialEq)]
pub(super) struct Table {
    pub(super) lines: Lines,
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

#[cfg(test)]
mod tests {
    use super::Lines;

    #[test]
    fn counted_and_listed_lines_are_the_same_lines() {
        let counted = Lines::Consecutive(3);
        assert_eq!(counted, Lines::Listed(vec![2, 3, 4]));
        assert_ne!(counted, Lines::Listed(vec![2, 3, 5]));
        assert_ne!(counted, Lines::Consecutive(2));
        assert_eq!(counted, [2, 3, 4]);
        assert_eq!((counted.len(), counted.get(2)), (3, 4));
        assert!(Lines::Consecutive(0).is_empty());
    }
}
