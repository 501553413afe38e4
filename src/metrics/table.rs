//! Predictions joined to hidden labels on a key column, with every problem in the
//! predictions named by row (the first few shown, the rest counted).

use std::path::Path;

use rustc_hash::FxHashMap;

pub use super::columns::Wanted;
use super::columns::{Cells, Column, Lines, Table};

/// How many problems are spelled out before the rest are only counted.
const SHOWN: usize = 5;

/// Predictions matched to labels: row `i` is the `i`-th row of the labels file.
#[derive(Debug)]
pub struct Joined {
    truth: Table,
    predicted: Table,
    /// The predictions row of each labels row; empty when `aligned`.
    order: Vec<usize>,
    /// The predictions come in the labels' order: row `i` is the predictions' row `i`.
    aligned: bool,
    /// The line of each row in the predictions file, for messages.
    pub lines: Lines,
}

impl Joined {
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The hidden labels, in the labels' order.
    pub fn labels(&self) -> Vec<&str> {
        self.labels_iter().collect()
    }

    /// The hidden labels, in the labels' order.
    pub fn labels_iter(&self) -> impl Iterator<Item = &str> {
        self.truth.columns[0].text().iter()
    }

    /// Prediction column `c`, in the labels' order.
    pub fn column_iter(&self, c: usize) -> impl Iterator<Item = &str> {
        let column = self.predicted.columns[c].text();
        // In order when aligned (the usual case, read straight through), else by the join's order.
        let (straight, joined) = if self.aligned {
            (Some(column.iter()), None)
        } else {
            (None, Some(self.order.iter().map(|&row| column.get(row))))
        };
        straight.into_iter().flatten().chain(joined.into_iter().flatten())
    }

    /// Prediction column `c` (in the order the columns were asked for), in the labels' order.
    pub fn column(&self, c: usize) -> Vec<&str> {
        self.column_iter(c).collect()
    }

    /// Prediction column `c` as finite numbers, in the labels' order; `Err` names each row
    /// that is not one. Numbers already read are taken out, not copied: ask once per column.
    pub fn numbers(&mut self, c: usize, name: &str) -> Result<Vec<f64>, String> {
        match &mut self.predicted.columns[c] {
            Cells::Numbers(values) if self.aligned => Ok(std::mem::take(values)),
            Cells::Numbers(values) => Ok(self.order.iter().map(|&row| values[row]).collect()),
            Cells::Text(_) => numbers(&self.column(c), &self.lines, name),
        }
    }

    /// The hidden labels as finite numbers; like `numbers`, ask once.
    pub fn label_numbers(&mut self, name: &str) -> Result<Vec<f64>, String> {
        match &mut self.truth.columns[0] {
            Cells::Numbers(values) => Ok(std::mem::take(values)),
            Cells::Text(_) => numbers(&self.labels(), &self.lines, name),
        }
    }
}

/// Problems found in a predictions file, phrased for the candidate and the reviewer.
#[derive(Debug, Default)]
pub struct Problems {
    shown: Vec<String>,
    more: usize,
}

impl Problems {
    pub fn add(&mut self, problem: String) {
        if self.shown.len() < SHOWN {
            self.shown.push(problem);
        } else {
            self.more += 1;
        }
    }

    pub fn into_result<T>(self, value: T) -> Result<T, String> {
        if self.shown.is_empty() {
            return Ok(value);
        }
        let mut text = self.shown.join("; ");
        if self.more > 0 {
            text.push_str(&format!("; and {} more problem(s)", self.more));
        }
        Err(text)
    }
}

/// A column as it is read: raw bytes, checked as UTF-8 once at the end rather than value by
/// value (most of the time on large files went to per-value checks).
#[derive(Default)]
struct RawColumn {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    /// A value starts or ends with a non-ASCII byte, so it may need Unicode trimming.
    unicode_edges: bool,
}

impl RawColumn {
    fn with_capacity(bytes: usize) -> RawColumn {
        RawColumn {
            bytes: Vec::with_capacity(bytes),
            ..RawColumn::default()
        }
    }

    fn push(&mut self, value: &[u8]) {
        let value = value.trim_ascii();
        if value.first().is_some_and(|b| !b.is_ascii()) || value.last().is_some_and(|b| !b.is_ascii()) {
            self.unicode_edges = true;
        }
        self.bytes.extend_from_slice(value);
        self.ends.push(self.bytes.len());
    }

    /// The column as text; a value that is not UTF-8 is named by its line and left empty.
    fn finish(self, lines: &[usize], problems: &mut Problems) -> Column {
        let RawColumn {
            bytes,
            ends,
            unicode_edges,
        } = self;
        let bytes = match String::from_utf8(bytes) {
            Ok(text) if !unicode_edges && ends.iter().all(|&end| text.is_char_boundary(end)) => {
                return Column::from_parts(text, ends);
            }
            Ok(text) => text.into_bytes(),
            Err(e) => e.into_bytes(),
        };
        // The slow path: value by value.
        let mut column = Column::default();
        let mut start = 0;
        for (&end, &line) in ends.iter().zip(lines) {
            match std::str::from_utf8(&bytes[start..end]) {
                Ok(value) => column.push(value.trim()),
                Err(_) => {
                    problems.add(format!("line {line}: a value is not valid UTF-8"));
                    column.push("");
                }
            }
            start = end;
        }
        column
    }
}

/// Which file a table comes from, for messages: a problem in the labels is the author's.
#[derive(Clone, Copy)]
enum Side<'a> {
    Labels(&'a Path),
    Predictions,
}

impl std::fmt::Display for Side<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Side::Labels(path) => write!(f, "the hidden labels {}", path.display()),
            Side::Predictions => f.write_str("the predictions"),
        }
    }
}

/// How many characters of a value a message quotes.
const QUOTED: usize = 64;

fn quoted(value: &str) -> String {
    crate::text::quoted(value, QUOTED)
}

/// Reads `key` and `columns` from a CSV; `Err` names the file's problem. Rows are named by
/// the line of the file they start on.
fn read(path: &Path, side: Side, key: &str, columns: &[&str], wanted: Wanted) -> Result<Table, String> {
    let (table, mut problems) = match read_plain(path, key, columns, wanted) {
        Some(table) => (table, Problems::default()),
        None => read_csv(path, side, key, columns)?,
    };
    if let Side::Labels(_) = side {
        check_labels(&table, key, columns, &mut problems);
    }
    problems.into_result(table).map_err(|problems| match side {
        Side::Labels(_) => format!("{side}: {problems}"),
        Side::Predictions => problems,
    })
}

/// The table by the fast path for plain files (see `plain`), or `None` for the full reader.
fn read_plain(path: &Path, key: &str, columns: &[&str], wanted: Wanted) -> Option<Table> {
    let file = std::fs::File::open(path).ok()?;
    super::plain::read(&file, key, columns, wanted)
}

/// The full CSV reader: any file, and every problem named by its line.
fn read_csv(path: &Path, side: Side, key: &str, columns: &[&str]) -> Result<(Table, Problems), String> {
    // Read through a guard: a line too long to hold stops the parse (see `scan`).
    let file = std::fs::File::open(path).map_err(|e| format!("{side} cannot be read: {e}"))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .buffer_capacity(1 << 20)
        .from_reader(super::scan::LineGuard::new(file));
    let headers = reader
        .byte_headers()
        .map_err(|e| format!("{side} have no header row: {e}"))?
        .clone();
    let header_names: Vec<String> = headers
        .iter()
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let find = |name: &str| {
        header_names.iter().position(|h| h == name).ok_or_else(|| {
            let found: Vec<String> = header_names.iter().take(20).map(|h| quoted(h)).collect();
            let more = header_names.len().saturating_sub(20);
            let more = if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            };
            format!(
                "{side} have no column {} (found: {}{more})",
                quoted(name),
                found.join(", ")
            )
        })
    };
    let key_at = find(key)?;
    let at: Vec<usize> = columns.iter().map(|c| find(c)).collect::<Result<_, _>>()?;
    let mut lines = Vec::new();
    // Room for the whole file in each column, reserved but not touched: growing by doubling
    // would hold two copies of a large column at once.
    let size = std::fs::metadata(path).map(|m| m.len() as usize).unwrap_or(0);
    let mut keys = RawColumn::with_capacity(size);
    let mut raw: Vec<RawColumn> = (0..columns.len()).map(|_| RawColumn::with_capacity(size)).collect();
    let mut problems = Problems::default();
    let mut record = csv::ByteRecord::new();
    loop {
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
                lines.push(line);
                keys.push(record.get(key_at).unwrap_or_default());
                for (column, &i) in raw.iter_mut().zip(&at) {
                    column.push(record.get(i).unwrap_or_default());
                }
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                let why = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("line {line}: {len} field(s) where the header has {expected_len}")
                    }
                    // The guard's refusal names its own line.
                    csv::ErrorKind::Io(io) => io.to_string(),
                    _ => format!("line {line}: {}", crate::text::quoted(&e.to_string(), 200)),
                };
                problems.add(why);
                // A reader error that is not about one record (I/O) would repeat forever.
                if !matches!(
                    e.kind(),
                    csv::ErrorKind::UnequalLengths { .. } | csv::ErrorKind::Utf8 { .. }
                ) {
                    break;
                }
            }
        }
    }
    let table = Table {
        keys: keys.finish(&lines, &mut problems),
        columns: raw
            .into_iter()
            .map(|c| Cells::Text(c.finish(&lines, &mut problems)))
            .collect(),
        lines: Lines::Listed(lines),
    };
    Ok((table, problems))
}

/// The labels are the author's: every row needs an id, once, and a value in every column.
fn check_labels(table: &Table, key: &str, columns: &[&str], problems: &mut Problems) {
    if table.lines.is_empty() {
        problems.add("hold no rows".to_string());
        return;
    }
    for (c, column) in table.columns.iter().enumerate() {
        for (i, line) in table.lines.iter().enumerate() {
            if column.is_missing(i) {
                problems.add(format!("line {line}: no value in {}", quoted(columns[c])));
            }
        }
    }
    if ids_are_distinct_and_present(&table.keys) {
        return;
    }
    let mut first_line: FxHashMap<&str, usize> = FxHashMap::default();
    for (i, line) in table.lines.iter().enumerate() {
        let id = table.keys.get(i);
        if id.is_empty() {
            problems.add(format!("line {line}: empty {}", quoted(key)));
        } else if let Some(first) = first_line.insert(id, line) {
            problems.add(format!(
                "line {line}: duplicate id {} (first at line {first})",
                quoted(id)
            ));
        }
    }
}

/// True when every id is there and none repeats. The ids' hashes are radix sorted and
/// compared with their neighbours: the sort streams through memory, where inserting a
/// million into a hash set probed it at random (10% of an accuracy's CPU). Two ids of one
/// hash (a repeat, almost always) send the caller to the exact check. Each core then takes
/// its share of the hashes, so the shares are sorted side by side.
fn ids_are_distinct_and_present(keys: &Column) -> bool {
    use std::hash::BuildHasher;
    let rows = keys.len();
    let shares = super::parallel::threads(rows, super::parallel::MIN_ROWS_PER_THREAD) as u64;
    // Every id's hash, each core hashing a share of the rows. An empty id stops the check.
    let mut hashes = vec![0u64; rows];
    let empty = std::sync::atomic::AtomicBool::new(false);
    super::parallel::fill(&mut hashes, |first, share| {
        let hasher = rustc_hash::FxBuildHasher;
        for (j, hash) in share.iter_mut().enumerate() {
            let id = keys.get(first + j);
            if id.is_empty() {
                empty.store(true, std::sync::atomic::Ordering::Relaxed);
                return;
            }
            // 48 bits: the sort then skips two of its eight passes; a million ids share one
            // such hash about once in 560 checks (n² / 2⁴⁹), which only sends the caller to
            // the exact check.
            *hash = hasher.hash_one(id) >> 16;
        }
    });
    if empty.into_inner() {
        return false;
    }
    let share = |which: u64| {
        // The top bits pick the share.
        let mut mine: Vec<u64> = hashes
            .iter()
            .copied()
            .filter(|hash| (hash >> 40) % shares == which)
            .collect();
        radsort::sort(&mut mine);
        mine.windows(2).all(|pair| pair[0] != pair[1])
    };
    if shares == 1 {
        return share(0);
    }
    std::thread::scope(|scope| {
        let others: Vec<_> = (1..shares).map(|which| scope.spawn(move || share(which))).collect();
        let first = share(0);
        others.into_iter().all(|t| t.join().unwrap_or(false)) && first
    })
}

/// The hidden labels, read once, for metrics that need the classes before the join.
pub struct Labels {
    table: Table,
}

impl Labels {
    /// The label column, in file order.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        let labels = self.table.columns[0].text();
        (0..self.table.lines.len()).map(|i| labels.get(i))
    }
}

pub fn read_labels(labels: &Path, key: &str, column: &str) -> Result<Labels, String> {
    Ok(Labels {
        table: read(labels, Side::Labels(labels), key, &[column], Wanted::Text)?,
    })
}

/// Joins the predictions' `columns` to the labels' `label_column` on `key`. `Err` is the
/// predictions' fault (invalid output); a problem in the labels is the author's and says so.
pub fn join(
    predictions: &Path,
    labels: &Path,
    key: &str,
    label_column: &str,
    columns: &[&str],
    wanted: Wanted,
) -> Result<Joined, String> {
    // The two files are parsed side by side: parsing is most of the time on large files.
    let (truth, predicted) = std::thread::scope(|scope| {
        let truth = scope.spawn(|| read(labels, Side::Labels(labels), key, &[label_column], wanted));
        let predicted = read(predictions, Side::Predictions, key, columns, wanted);
        (
            truth
                .join()
                .unwrap_or_else(|_| Err("reading the hidden labels failed".to_string())),
            predicted,
        )
    });
    let truth = truth.map_err(|e| format!("assignment error: {e}"))?;
    join_tables(truth, predicted?, key, columns)
}

/// Like `join`, with labels already read.
pub fn join_labels(
    predictions: &Path,
    labels: Labels,
    key: &str,
    columns: &[&str],
    wanted: Wanted,
) -> Result<Joined, String> {
    let predicted = read(predictions, Side::Predictions, key, columns, wanted)?;
    join_tables(labels.table, predicted, key, columns)
}

/// The most columns read ahead: past it, the predictions are read once the classes are known.
const AHEAD_MAX_COLUMNS: usize = 64;

/// Probability columns read before the classes are known (see `read_ahead`).
pub struct ReadAhead {
    names: Vec<String>,
    table: Option<Table>,
}

/// Reads, as numbers, every column of the predictions whose name starts with `prefix`, so
/// the probability metrics can read them while the labels are read. Anything short of a
/// clean read leaves `join_ahead` to read the file again, as `join_labels` would.
pub fn read_ahead(predictions: &Path, key: &str, prefix: &str) -> ReadAhead {
    let mut names: Vec<String> = Vec::new();
    if let Ok(mut reader) = std::fs::File::open(predictions).map(|f| csv::Reader::from_reader(LineGuardedFile::new(f)))
        && let Ok(headers) = reader.byte_headers()
    {
        for header in headers {
            let name = String::from_utf8_lossy(header).trim().to_string();
            if name.starts_with(prefix) && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    if names.is_empty() || names.len() > AHEAD_MAX_COLUMNS {
        return ReadAhead { names, table: None };
    }
    let wanted: Vec<&str> = names.iter().map(String::as_str).collect();
    let table = read(predictions, Side::Predictions, key, &wanted, Wanted::Numbers).ok();
    ReadAhead { names, table }
}

type LineGuardedFile = super::scan::LineGuard<std::fs::File>;

/// `join_labels` of numbers, taking the columns from `ahead` when it read them all cleanly.
pub fn join_ahead(
    predictions: &Path,
    labels: Labels,
    key: &str,
    columns: &[&str],
    ahead: ReadAhead,
) -> Result<Joined, String> {
    let at: Option<Vec<usize>> = columns
        .iter()
        .map(|c| ahead.names.iter().position(|n| n == c))
        .collect();
    let (Some(at), Some(mut table)) = (at, ahead.table) else {
        return join_labels(predictions, labels, key, columns, Wanted::Numbers);
    };
    let mut taken: Vec<Option<Cells>> = std::mem::take(&mut table.columns).into_iter().map(Some).collect();
    let mut selected = Vec::with_capacity(at.len());
    for i in at {
        // A column asked for twice is read twice by `join_labels`; here it is copied.
        selected.push(match taken[i].take() {
            Some(cells) => cells,
            None => return join_labels(predictions, labels, key, columns, Wanted::Numbers),
        });
    }
    table.columns = selected;
    join_tables(labels.table, table, key, columns)
}

fn join_tables(truth: Table, mut predicted: Table, key: &str, columns: &[&str]) -> Result<Joined, String> {
    let mut problems = Problems::default();
    let rows = predicted.lines.len();
    // Ids stored end to end are the same ids in the same order when the bytes and the ends
    // are: two comparisons of whole buffers, not a million of short strings.
    let aligned = predicted.keys == truth.keys;
    if aligned {
        // The usual case: the ids come in the labels' order, so no lookup is needed. They are
        // the labels' ids, which were checked: none is empty or repeated. What is left is a
        // missing value, which a column read as numbers never has.
        if predicted.columns.iter().any(|c| matches!(c, Cells::Text(_))) {
            for index in 0..rows {
                if let Some(c) = predicted.columns.iter().position(|c| c.is_missing(index)) {
                    problems.add(format!(
                        "line {}: no value in {} for id {}",
                        predicted.lines.get(index),
                        quoted(columns[c]),
                        quoted(predicted.keys.get(index))
                    ));
                }
            }
        }
        // The predictions' line numbers are the join's: moved, not copied.
        let lines = std::mem::replace(&mut predicted.lines, Lines::Listed(Vec::new()));
        return problems.into_result(Joined {
            truth,
            predicted,
            order: Vec::new(),
            aligned: true,
            lines,
        });
    }
    let mut by_id: FxHashMap<&str, usize> = FxHashMap::default();
    by_id.reserve(rows);
    for index in 0..rows {
        let (line, id) = (predicted.lines.get(index), predicted.keys.get(index));
        if id.is_empty() {
            problems.add(format!("line {line}: empty {}", quoted(key)));
            continue;
        }
        if let Some(c) = predicted.columns.iter().position(|c| c.is_missing(index)) {
            problems.add(format!(
                "line {line}: no value in {} for id {}",
                quoted(columns[c]),
                quoted(id)
            ));
        }
        if let Some(first) = by_id.insert(id, index) {
            problems.add(format!(
                "line {line}: duplicate id {} (first at line {})",
                quoted(id),
                predicted.lines.get(first)
            ));
        }
    }
    let mut matched = vec![false; rows];
    let mut order = Vec::with_capacity(truth.lines.len());
    let mut lines = Vec::with_capacity(truth.lines.len());
    for i in 0..truth.lines.len() {
        let id = truth.keys.get(i);
        match by_id.get(id) {
            Some(&index) => {
                matched[index] = true;
                order.push(index);
                lines.push(predicted.lines.get(index));
            }
            None => problems.add(format!("id {} has no prediction", quoted(id))),
        }
    }
    for (index, was_matched) in matched.iter().enumerate() {
        let id = predicted.keys.get(index);
        if !was_matched && !id.is_empty() && by_id.get(id) == Some(&index) {
            problems.add(format!(
                "line {}: id {} is not in the test set",
                predicted.lines.get(index),
                quoted(id)
            ));
        }
    }
    drop(by_id);
    problems.into_result(Joined {
        truth,
        predicted,
        order,
        aligned: false,
        lines: Lines::Listed(lines),
    })
}

/// Parses a column as finite numbers; `Err` names each row that is not one.
pub fn numbers(values: &[&str], lines: &Lines, column: &str) -> Result<Vec<f64>, String> {
    let mut problems = Problems::default();
    let mut out = Vec::with_capacity(values.len());
    for (value, line) in values.iter().zip(lines.iter()) {
        match value.parse::<f64>() {
            Ok(number) if number.is_finite() => out.push(number),
            _ => {
                problems.add(format!(
                    "line {line}: {} in {} is not a finite number",
                    quoted(value),
                    quoted(column)
                ));
                out.push(0.0);
            }
        }
    }
    problems.into_result(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Joins the "label" column of both files on "id", as text.
    fn join_text(predictions: &Path, labels: &Path) -> Result<Joined, String> {
        join(predictions, labels, "id", "label", &["label"], Wanted::Text)
    }

    fn csv(text: &str) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        file
    }

    #[test]
    fn joins_on_the_key_in_label_order() {
        let labels = csv("id,label\na,1\nb,2\n");
        let predictions = csv("label,id\n2,b\n1,a\n");
        let joined = join_text(predictions.path(), labels.path()).unwrap();
        assert_eq!(joined.labels(), ["1", "2"]);
        assert_eq!(joined.column(0), ["1", "2"]);
        assert_eq!(joined.lines, [3, 2]);
    }

    #[test]
    fn ids_in_the_labels_order_join_by_position() {
        let labels = csv("id,label\na,1\nb,2\n");
        let predictions = csv("id,label\na,2\nb,nan\n");
        let why = join_text(predictions.path(), labels.path()).unwrap_err();
        assert_eq!(why, "line 3: no value in \"label\" for id \"b\"");
        let predictions = csv("id,label\na,2\nb,1\n");
        let joined = join_text(predictions.path(), labels.path()).unwrap();
        assert_eq!(joined.column(0), ["2", "1"]);
        assert_eq!(joined.lines, [2, 3]);
    }

    #[test]
    fn names_each_problem_by_row() {
        let labels = csv("id,label\na,1\nb,2\nc,3\n");
        let predictions = csv("id,label\na,1\na,2\nz,3\nb,nan\n");
        let why = join_text(predictions.path(), labels.path()).unwrap_err();
        assert!(why.contains("line 3: duplicate id \"a\" (first at line 2)"), "{why}");
        assert!(why.contains("line 4: id \"z\" is not in the test set"), "{why}");
        assert!(why.contains("line 5: no value in \"label\" for id \"b\""), "{why}");
        assert!(why.contains("id \"c\" has no prediction"), "{why}");
        let missing = csv("id,prediction\na,1\n");
        let why = join_text(missing.path(), labels.path()).unwrap_err();
        assert!(why.contains("no column \"label\""), "{why}");
    }

    #[test]
    fn counts_problems_past_the_first_few() {
        let labels = csv("id,label\nx0,1\n");
        let predictions = csv(&(0..20).fold("id,label\n".to_string(), |s, i| s + &format!("x{i},1\n")));
        let why = join_text(predictions.path(), labels.path()).unwrap_err();
        assert!(why.ends_with("and 14 more problem(s)"), "{why}");
    }

    #[test]
    fn values_are_trimmed_and_invalid_utf8_is_named() {
        let labels = csv("id,label\na,x\nb,y\nc,z\n");
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), b"id,label\n a ,\xc2\xa0x\xc2\xa0\nb, y\nc,\xff\n").unwrap();
        let why = join_text(file.path(), labels.path()).unwrap_err();
        assert_eq!(why, "line 4: a value is not valid UTF-8");
        std::fs::write(file.path(), "id,label\n a ,\u{a0}x\u{a0}\nb, y\nc,z\n").unwrap();
        let joined = join_text(file.path(), labels.path()).unwrap();
        assert_eq!(joined.column(0), ["x", "y", "z"]);
    }

    #[test]
    fn label_problems_name_the_labels_file_and_its_lines() {
        let labels = csv("id,label\na,1\n\"b\nb\",2\na,3\nc,\nd,NaN\n");
        let predictions = csv("id,label\na,1\n");
        let why = join_text(predictions.path(), labels.path()).unwrap_err();
        let name = labels.path().display().to_string();
        assert!(
            why.starts_with(&format!("assignment error: the hidden labels {name}: ")),
            "{why}"
        );
        // The quoted id spans lines 3 and 4, so the next row starts on line 5.
        assert!(why.contains("line 5: duplicate id \"a\" (first at line 2)"), "{why}");
        assert!(why.contains("line 6: no value in \"label\""), "{why}");
        assert!(why.contains("line 7: no value in \"label\""), "{why}");
        let empty = csv("id,label\n");
        let why = join_text(predictions.path(), empty.path()).unwrap_err();
        assert!(why.ends_with("hold no rows"), "{why}");
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let labels = csv("id,label\na,1\n");
        let long = "x".repeat(100_000);
        let predictions = csv(&format!("id,label\n{long},1\n"));
        let why = join_text(predictions.path(), labels.path()).unwrap_err();
        assert!(why.len() < 400, "{} bytes", why.len());
        assert!(why.contains("more bytes"), "{why}");
    }

    #[test]
    fn non_numbers_are_named() {
        let why = numbers(&["1.5", "abc", "inf"], &Lines::Listed(vec![2, 3, 4]), "score").unwrap_err();
        assert!(
            why.contains("line 3: \"abc\" in \"score\" is not a finite number"),
            "{why}"
        );
        assert!(why.contains("line 4: \"inf\""), "{why}");
    }

    /// What the full reader makes of `bytes`: the table when it names no problem.
    fn full_reader(bytes: &[u8], columns: &[&str]) -> Option<Table> {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        let (table, problems) = read_csv(file.path(), Side::Predictions, "id", columns).ok()?;
        problems.into_result(table).ok()
    }

    /// A CSV file of rows of `id`, `label` and `p`, most of them plain, some with a stray
    /// quote, carriage return, blank line, non-ASCII letter or comma. In half the files the
    /// label and `p` are numbers with blanks around them, for the path that reads numbers.
    fn csv_files() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        let field = "[ \t\x0Ba-cinfIN0-9.eE+-]{0,5}";
        let number = "[ \t]{0,2}[+-]?([0-9]{1,3}(\\.[0-9]{0,3})?|\\.[0-9]{1,3})([eE][+-]?[0-9]{1,2})?[ \t]{0,2}";
        let row = (
            field,
            (field, number),
            (field, number),
            proptest::option::weighted(0.05, "[\"\r\n,\u{e9}]"),
            0..12usize,
        );
        (proptest::bool::ANY, proptest::collection::vec(row, 0..40)).prop_map(|(numeric, rows)| {
            let mut text = String::from("id,label,p\n");
            for (id, label, p, noise, at) in rows {
                let pick = |(text, number): (String, String)| if numeric { number } else { text };
                let mut line = format!("{id},{},{}\n", pick(label), pick(p));
                if let Some(noise) = noise {
                    let at = line.char_indices().nth(at).map_or(line.len(), |(i, _)| i);
                    line.insert_str(at, &noise);
                }
                text.push_str(&line);
            }
            text.into_bytes()
        })
    }

    use proptest::strategy::Strategy;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

        /// The plain-file path gives the full reader's table on every file it accepts, and
        /// numbers as `numbers` parses the full reader's text.
        #[test]
        fn the_plain_path_agrees_with_the_full_reader(bytes in csv_files()) {
            let columns = ["label", "p"];
            if let Some(plain) = super::super::plain::read(&bytes[..], "id", &columns, Wanted::Text) {
                proptest::prop_assert_eq!(Some(plain), full_reader(&bytes, &columns));
            }
            if let Some(plain) = super::super::plain::read(&bytes[..], "id", &columns, Wanted::Numbers) {
                let full = full_reader(&bytes, &columns).unwrap();
                proptest::prop_assert_eq!(&plain.keys, &full.keys);
                proptest::prop_assert_eq!(&plain.lines, &full.lines);
                for (ours, theirs) in plain.columns.iter().zip(&full.columns) {
                    let text: Vec<&str> = (0..full.lines.len()).map(|i| theirs.text().get(i)).collect();
                    let parsed = numbers(&text, &full.lines, "p").unwrap();
                    proptest::prop_assert_eq!(ours, &Cells::Numbers(parsed));
                }
            }
        }
    }

    #[test]
    fn the_plain_path_takes_most_generated_files() {
        use proptest::strategy::ValueTree;
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let (mut taken, mut as_numbers) = (0, 0);
        for _ in 0..500 {
            let bytes = csv_files().new_tree(&mut runner).unwrap().current();
            let read = |wanted| super::super::plain::read(&bytes[..], "id", &["label", "p"], wanted).is_some();
            taken += usize::from(read(Wanted::Text));
            as_numbers += usize::from(read(Wanted::Numbers));
        }
        // The property above is only as good as the files it is checked on.
        assert!(taken > 100, "{taken} of 500");
        assert!(as_numbers > 50, "{as_numbers} of 500 as numbers");
    }

    #[test]
    fn repeated_and_empty_ids_are_found_in_any_share() {
        let column = |ids: &[String]| {
            let mut column = Column::default();
            ids.iter().for_each(|id| column.push(id));
            column
        };
        let mut ids: Vec<String> = (0..300_000).map(|i| format!("r{i}")).collect();
        assert!(ids_are_distinct_and_present(&column(&ids)));
        for repeat in [0, 77_777, 299_999] {
            let mut with_repeat = ids.clone();
            with_repeat.push(format!("r{repeat}"));
            assert!(!ids_are_distinct_and_present(&column(&with_repeat)), "r{repeat}");
        }
        ids[150_000] = String::new();
        assert!(!ids_are_distinct_and_present(&column(&ids)));
    }

    #[test]
    fn columns_read_ahead_join_as_columns_read_after() {
        let labels_file = csv("id,label\na,0\nb,1\nc,1\n");
        let labels = || read_labels(labels_file.path(), "id", "label").unwrap();
        let wanted = ["p_1"];
        for text in [
            // Plain; an extra column of the prefix that is no number; ids out of order.
            "id,p_0,p_1\na,0.9,0.1\nb,0.2,0.8\nc,0.3,0.7\n",
            "id,p_x,p_1\na,zz,0.1\nb,zz,0.8\nc,zz,0.7\n",
            "id,p_1\nc,0.7\na,0.1\nb,0.8\n",
            // Problems: a needed value missing, no number; a non-ASCII value in another column
            // (the full reader's path); no column. A bad byte follows below.
            "id,p_1\na,0.1\nb,\nc,0.7\n",
            "id,p_1\na,0.1\nb,x\nc,0.7\n",
            "id,p_0,p_1\na,\u{ff},0.1\nb,0.2,0.8\nc,0.3,0.7\n",
            "id,p_0\na,0.1\nb,0.8\nc,0.7\n",
        ] {
            let predictions = csv(text);
            let after = join_labels(predictions.path(), labels(), "id", &wanted, Wanted::Numbers)
                .and_then(|mut joined| joined.numbers(0, "p_1"));
            let ahead = read_ahead(predictions.path(), "id", "p_");
            let ahead = join_ahead(predictions.path(), labels(), "id", &wanted, ahead)
                .and_then(|mut joined| joined.numbers(0, "p_1"));
            assert_eq!(ahead, after, "{text:?}");
        }
        let bad_byte = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(bad_byte.path(), b"id,p_0,p_1\na,\xff,0.1\nb,0.2,0.8\nc,0.3,0.7\n").unwrap();
        let ahead = read_ahead(bad_byte.path(), "id", "p_");
        assert!(
            ahead.table.is_none(),
            "an unneeded column's bad byte is not this read's to report"
        );
        let joined = join_ahead(bad_byte.path(), labels(), "id", &wanted, ahead);
        assert_eq!(joined.unwrap().numbers(0, "p_1").unwrap(), [0.1, 0.8, 0.7]);
    }
}
