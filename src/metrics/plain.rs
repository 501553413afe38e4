//! The fast path for plain CSV files, which is what predictions and labels nearly always are:
//! ASCII, no quotes, no carriage returns, no blank lines, every row as wide as the header.
//! The rows after the header are cut into one range of whole lines per core; each range is
//! read on its own thread a block at a time into its own part, and the parts are joined in
//! order at the end. Anything else (and any file this path is unsure of)
//! returns `None` and goes to the full CSV reader, which also names every problem; so this
//! path only has to be right on files it accepts, and a property test checks that it gives
//! the full reader's table on every file it accepts.

use super::columns::{Cells, Column, Lines, Table, Wanted};
use super::scan::{MAX_FIELDS, MAX_RECORD_BYTES};

/// Parts smaller than this are not worth a thread.
const MIN_PART_BYTES: usize = 1 << 20;
/// The block read at a time: larger than any line may be, so a full block without a line
/// end holds an overlong line; and small, so its bytes are still in the cache when they are
/// parsed (8 MiB blocks took 10–16% more CPU on 5-class log loss).
const BLOCK_BYTES: usize = 2 << 20;
const _: () = assert!(BLOCK_BYTES as u64 > MAX_RECORD_BYTES);

/// What each field of a row is read as.
struct Layout {
    fields: Vec<Field>,
    numbers: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Field {
    Skipped,
    Key,
    /// The wanted column of this index.
    Wanted(usize),
}

/// Bytes at an offset, read by each part on its own: a file, or bytes in memory.
pub trait ReadAt: Sync {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> std::io::Result<usize>;
    fn len(&self) -> std::io::Result<u64>;
}

impl ReadAt for std::fs::File {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> std::io::Result<usize> {
        std::os::unix::fs::FileExt::read_at(self, buffer, offset)
    }

    fn len(&self) -> std::io::Result<u64> {
        Ok(self.metadata()?.len())
    }
}

impl ReadAt for [u8] {
    fn read_at(&self, buffer: &mut [u8], offset: u64) -> std::io::Result<usize> {
        let rest = self.get(offset as usize..).unwrap_or_default();
        let n = buffer.len().min(rest.len());
        buffer[..n].copy_from_slice(&rest[..n]);
        Ok(n)
    }

    fn len(&self) -> std::io::Result<u64> {
        Ok(<[u8]>::len(self) as u64)
    }
}

/// The table of `key` and `columns` when `source` is a plain CSV file holding them all (and,
/// for columns wanted as numbers, only finite numbers in them). The rows after the header
/// are cut into one range of whole lines per core, each read on its own thread a block at a
/// time into its own part, and the parts joined in order once at the end.
pub fn read(source: &(impl ReadAt + ?Sized), key: &str, columns: &[&str], wanted: Wanted) -> Option<Table> {
    let length = source.len().ok()?;
    let first_line = read_until_line_end(source, 0, length)?;
    // A file of no more than a header without a line end: the full reader's.
    let header = first_line.strip_suffix(b"\n")?;
    if !is_plain(header) {
        return None;
    }
    let layout = read_header(header, key, columns, wanted)?;
    let mut ranges = vec![first_line.len() as u64];
    let body = length - ranges[0];
    let count = super::parallel::threads(body as usize, MIN_PART_BYTES);
    for i in 1..count as u64 {
        let target = (ranges[0] + body * i / count as u64).max(ranges[ranges.len() - 1]);
        let rest = read_until_line_end(source, target, length)?;
        ranges.push((target + rest.len() as u64).min(length));
    }
    ranges.push(length);
    let layout = &layout;
    let mut parts = std::thread::scope(|scope| {
        let others: Vec<_> = ranges[1..]
            .windows(2)
            .map(|range| scope.spawn(move || read_range(source, range[0], range[1], layout)))
            .collect();
        let mut parts = vec![read_range(source, ranges[0], ranges[1], layout)];
        parts.extend(others.into_iter().map(|t| t.join().ok().flatten()));
        parts.into_iter().collect::<Option<Vec<Part>>>()
    })?
    .into_iter();
    let mut table = parts.next()?;
    for part in parts {
        table.append(part);
    }
    table.into_table()
}

/// The bytes from `from` through the next line end (to `length` when none comes first);
/// `None` when a line is longer than a record may be, or the source cannot be read. Read a
/// little at a time: a line is short, and a range reads these bytes again.
fn read_until_line_end(source: &(impl ReadAt + ?Sized), from: u64, length: u64) -> Option<Vec<u8>> {
    let most = (length - from).min(MAX_RECORD_BYTES + 1) as usize;
    let (mut line, mut step) = (Vec::new(), 4096);
    while line.len() < most {
        let filled = line.len();
        line.resize((filled + step).min(most), 0);
        let n = source.read_at(&mut line[filled..], from + filled as u64).ok()?;
        line.truncate(filled + n);
        if let Some(end) = memchr::memchr(b'\n', &line[filled..]) {
            line.truncate(filled + end + 1);
            return Some(line);
        }
        if n == 0 {
            break;
        }
        step *= 2;
    }
    // Only the end of the file may end a line without a line end.
    (from + line.len() as u64 == length && line.len() as u64 <= MAX_RECORD_BYTES).then_some(line)
}

/// ASCII without quotes or carriage returns: what this path reads.
fn is_plain(bytes: &[u8]) -> bool {
    bytes.is_ascii() && memchr::memchr2(b'"', b'\r', bytes).is_none()
}

/// The rows of the whole lines from `from` to `to`, read a block at a time.
fn read_range(source: &(impl ReadAt + ?Sized), from: u64, to: u64, layout: &Layout) -> Option<Part> {
    let mut part = Part::with_room((to - from) as usize, layout);
    let mut buffer = vec![0u8; BLOCK_BYTES.min((to - from) as usize)];
    let (mut filled, mut offset) = (0, from);
    loop {
        while filled < buffer.len() && offset < to {
            let want = (buffer.len() - filled).min((to - offset) as usize);
            match source.read_at(&mut buffer[filled..filled + want], offset).ok()? {
                0 => return None,
                n => (filled, offset) = (filled + n, offset + n as u64),
            }
        }
        let end = offset == to;
        let complete = if end {
            filled
        } else {
            memchr::memrchr(b'\n', &buffer[..filled])? + 1
        };
        let chunk = &buffer[..complete];
        if !is_plain(chunk) {
            return None;
        }
        part.read_lines(chunk, layout)?;
        if end {
            return Some(part);
        }
        buffer.copy_within(complete..filled, 0);
        filled -= complete;
    }
}

fn read_header(line: &[u8], key: &str, columns: &[&str], wanted: Wanted) -> Option<Layout> {
    let header: Vec<&[u8]> = line.split(|&b| b == b',').collect();
    if line.len() as u64 > MAX_RECORD_BYTES || header.len() > MAX_FIELDS {
        return None;
    }
    let find = |name: &str| header.iter().position(|h| h.trim_ascii() == name.as_bytes());
    let mut fields = vec![Field::Skipped; header.len()];
    fields[find(key)?] = Field::Key;
    for (c, column) in columns.iter().enumerate() {
        let at = find(column)?;
        // A field read twice (the key as a column, a column asked for twice) is left to the
        // full reader: no prediction file needs it.
        if fields[at] != Field::Skipped {
            return None;
        }
        fields[at] = Field::Wanted(c);
    }
    Some(Layout {
        fields,
        numbers: wanted == Wanted::Numbers,
    })
}

/// The wanted fields of one range's rows: the keys, then the columns asked for.
struct Part {
    rows: usize,
    keys: Values,
    texts: Vec<Values>,
    numbers: Vec<Vec<f64>>,
}

/// One column's values end to end, as bytes (known to be ASCII).
#[derive(Default)]
struct Values {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Values {
    fn with_capacity(bytes: usize, rows: usize) -> Values {
        Values {
            bytes: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(rows),
        }
    }

    fn push(&mut self, value: &[u8]) {
        self.bytes.extend_from_slice(value);
        self.ends.push(self.bytes.len());
    }

    fn append(&mut self, other: &Values) {
        let offset = self.bytes.len();
        self.bytes.extend_from_slice(&other.bytes);
        self.ends.extend(other.ends.iter().map(|end| end + offset));
    }

    fn into_column(self) -> Option<Column> {
        Some(Column::from_parts(String::from_utf8(self.bytes).ok()?, self.ends))
    }
}

/// Blanks a field may start or end with (`trim_ascii`'s, less the line ends plain files
/// never hold inside a field).
fn is_blank(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\x0C')
}

/// The finite number starting at `at` (after blanks), and where it ends (after blanks): the
/// caller checks that a delimiter follows. `fast_float2` rounds as `str::parse` (the full
/// reader's rule) does, correctly; where it refuses, so does this path, and the full reader
/// decides.
fn number_at(piece: &[u8], at: usize) -> Option<(f64, usize)> {
    let blanks = |from: usize| from + piece[from..].iter().take_while(|&&b| is_blank(b)).count();
    let start = blanks(at);
    let (value, used) = fast_float2::parse_partial::<f64, _>(&piece[start..]).ok()?;
    value.is_finite().then(|| (value, blanks(start + used)))
}

impl Part {
    /// An empty part with room for the rows of `bytes` of lines, reserved, touched only as
    /// filled.
    fn with_room(bytes: usize, layout: &Layout) -> Part {
        // Room for about one row per this many bytes.
        let rows_guess = bytes / 8 + 1;
        let wanted = layout.fields.iter().filter(|f| matches!(f, Field::Wanted(_))).count();
        let mut part = Part {
            rows: 0,
            keys: Values::with_capacity(bytes, rows_guess),
            texts: Vec::new(),
            numbers: Vec::new(),
        };
        if layout.numbers {
            part.numbers = (0..wanted).map(|_| Vec::with_capacity(rows_guess)).collect();
        } else {
            part.texts = (0..wanted).map(|_| Values::with_capacity(bytes, rows_guess)).collect();
        }
        part
    }

    /// Adds the rows of whole lines; `None` when one is not plain.
    fn read_lines(&mut self, lines: &[u8], layout: &Layout) -> Option<()> {
        let mut at = 0;
        while at < lines.len() {
            at = self.row(lines, at, layout)?;
        }
        Some(())
    }

    /// Takes the wanted fields of the row starting at `start`, and says where the next row
    /// starts; `None` when the row is not plain. Fields are read in order: a number is parsed
    /// where it starts and the parse finds its end, other fields end at the next comma.
    fn row(&mut self, piece: &[u8], start: usize, layout: &Layout) -> Option<usize> {
        let mut at = start;
        let last = layout.fields.len() - 1;
        for (i, &field) in layout.fields.iter().enumerate() {
            let end = match field {
                Field::Wanted(c) if layout.numbers => {
                    let (value, end) = number_at(piece, at)?;
                    self.numbers[c].push(value);
                    end
                }
                _ => {
                    let end = memchr::memchr2(b',', b'\n', &piece[at..]).map_or(piece.len(), |e| at + e);
                    let value = piece[at..end].trim_ascii();
                    match field {
                        Field::Key => self.keys.push(value),
                        Field::Wanted(c) => self.texts[c].push(value),
                        Field::Skipped => {}
                    }
                    end
                }
            };
            // Every field but the last ends at a comma, the last at the line's end; anything
            // else (a row of another width, a number followed by more) is the full reader's.
            let ends_rightly = match piece.get(end) {
                Some(b',') => i < last,
                Some(b'\n') | None => i == last,
                Some(_) => false,
            };
            if !ends_rightly {
                return None;
            }
            at = end + 1;
        }
        // `at` is past the line end (or one past the piece's end, for a last line without one).
        let line = at - 1 - start;
        // A blank line or an overlong one: the full reader's rules (and messages) apply.
        if line == 0 || line as u64 > MAX_RECORD_BYTES {
            return None;
        }
        self.rows += 1;
        Some(at.min(piece.len()))
    }

    /// Adds the rows of the part read next.
    fn append(&mut self, other: Part) {
        self.rows += other.rows;
        self.keys.append(&other.keys);
        for (into, from) in self.texts.iter_mut().zip(&other.texts) {
            into.append(from);
        }
        for (into, from) in self.numbers.iter_mut().zip(&other.numbers) {
            into.extend_from_slice(from);
        }
    }

    /// The rows read, as a table; rows are named by line (the header is line 1).
    fn into_table(self) -> Option<Table> {
        let columns = if self.texts.is_empty() {
            self.numbers.into_iter().map(Cells::Numbers).collect()
        } else {
            self.texts
                .into_iter()
                .map(|values| values.into_column().map(Cells::Text))
                .collect::<Option<_>>()?
        };
        Some(Table {
            lines: Lines::Consecutive(self.rows),
            keys: self.keys.into_column()?,
            columns,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(column: &Column) -> Vec<&str> {
        (0..column.len()).map(|i| column.get(i)).collect()
    }

    #[test]
    fn reads_wanted_columns_in_any_order() {
        let table = read(
            &b"p,label,id\n0.5, b ,x\n0.25,a,y\n"[..],
            "id",
            &["label", "p"],
            Wanted::Text,
        )
        .unwrap();
        assert_eq!(values(&table.keys), ["x", "y"]);
        assert_eq!(values(table.columns[0].text()), ["b", "a"]);
        assert_eq!(values(table.columns[1].text()), ["0.5", "0.25"]);
        assert_eq!(table.lines, [2, 3]);
        // No final newline, no rows.
        assert_eq!(
            read(&b"id,label\na,1"[..], "id", &["label"], Wanted::Text)
                .unwrap()
                .lines,
            [2]
        );
        assert_eq!(
            read(&b"id,label\n"[..], "id", &["label"], Wanted::Text).unwrap().lines,
            []
        );
    }

    #[test]
    fn a_line_is_read_through_its_end_however_long() {
        let line = |text: &[u8], from: u64| read_until_line_end(text, from, text.len() as u64);
        let long = [vec![b'a'; 900_000], b"\nrest".to_vec()].concat();
        assert_eq!(line(&long, 0).unwrap().len(), 900_001);
        assert_eq!(line(&long, 899_999).unwrap(), b"a\n");
        // The file's last line may end without a line end; no other may, nor run past a record.
        assert_eq!(line(&long, 900_001).unwrap(), b"rest");
        assert_eq!(line(b"", 0).unwrap(), b"");
        let overlong = vec![b'a'; MAX_RECORD_BYTES as usize + 2];
        assert!(line(&overlong, 0).is_none());
        assert!(line(&overlong, 1).is_none());
        assert_eq!(line(&overlong, 2).unwrap().len() as u64, MAX_RECORD_BYTES);
    }

    /// The number of a whole field, as a row of one field reads it.
    fn number(text: &[u8]) -> Option<f64> {
        let layout = Layout {
            fields: vec![Field::Wanted(0)],
            numbers: true,
        };
        let mut part = Part::with_room(0, &layout);
        part.read_lines(&[text, b"\n"].concat(), &layout)?;
        Some(part.numbers[0][0])
    }

    #[test]
    fn numbers_are_parsed_as_the_full_reader_parses_them() {
        let table = read(&b"id,p\na, 0.5\nb,-1e3\nc,7\n"[..], "id", &["p"], Wanted::Numbers).unwrap();
        assert_eq!(table.columns, [Cells::Numbers(vec![0.5, -1000.0, 7.0])]);
        for bad in ["nan", "inf", "", "1,5", "0x10", "1e999"] {
            let text = format!("id,p\na,{bad}\n");
            assert!(read(text.as_bytes(), "id", &["p"], Wanted::Numbers).is_none(), "{bad}");
        }
        for wide in ["id,p\na,1,b,2\n", "id,p\na,1 2\n", "id,p\na,1\tb\n"] {
            assert!(
                read(wide.as_bytes(), "id", &["p"], Wanted::Numbers).is_none(),
                "{wide:?}"
            );
        }
    }

    #[test]
    fn leaves_anything_unusual_to_the_full_reader() {
        for text in [
            "id,label\n\"a\",1\n",
            "id,label\r\na,1\r\n",
            "id,label\na,1\n\nb,2\n",
            "id,label\na,1,2\n",
            // Twice the header's width: one line, not two rows.
            "id,label\na,1,b,2\n",
            "id,label\na\n",
            "id,label\na,\u{e9}\n",
            "id,other\na,1\n",
            "id,label",
        ] {
            assert!(
                read(text.as_bytes(), "id", &["label"], Wanted::Text).is_none(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn parts_are_joined_in_order() {
        // About 19 MiB: three blocks, each cut into parts.
        let rows = 1_500_000;
        let mut text = String::from("id,label\n");
        for i in 0..rows {
            text.push_str(&format!("r{i},{}\n", i % 7));
        }
        let table = read(text.as_bytes(), "id", &["label"], Wanted::Text).unwrap();
        assert_eq!(table.keys.len(), rows);
        for i in 0..rows {
            assert_eq!(table.keys.get(i), format!("r{i}"));
            assert_eq!(table.columns[0].text().get(i), (i % 7).to_string());
            assert_eq!(table.lines.get(i), i + 2);
        }
        let numbers = read(text.as_bytes(), "id", &["label"], Wanted::Numbers).unwrap();
        let Cells::Numbers(values) = &numbers.columns[0] else {
            panic!("not numbers")
        };
        assert!(values.iter().enumerate().all(|(i, &v)| v == (i % 7) as f64));
        // Without a line end at the end, and with a long line where the ranges are cut.
        text.push_str(&format!("r{rows},{}", "7".repeat(1 << 19)));
        let middle = text.len() / 2;
        text.insert_str(
            text[middle..].find('\n').unwrap() + middle + 1,
            &format!("long,{}\n", "1".repeat(900_000)),
        );
        let table = read(text.as_bytes(), "id", &["label"], Wanted::Text).unwrap();
        assert_eq!(table.keys.len(), rows + 2);
        assert_eq!(table.columns[0].text().get(rows + 1).len(), 1 << 19);
        assert!((0..rows + 2).filter(|&i| table.keys.get(i) == "long").count() == 1);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20000))]

        /// Where the fast number reader takes a value, `str::parse` (the full reader's rule)
        /// gives the same number; where it refuses one, `str::parse` gives none or the full
        /// reader is asked anyway.
        #[test]
        fn numbers_read_as_str_parse_reads_them(text in "[0-9.eE+-]{1,8}|[0-9]{1,25}\\.[0-9]{1,25}|[a-zA-Z0-9.+-]{1,10}") {
            let ours = number(text.as_bytes());
            let theirs = text.parse::<f64>().ok().filter(|n| n.is_finite());
            if let Some(value) = ours {
                proptest::prop_assert_eq!(Some(value.to_bits()), theirs.map(f64::to_bits), "{}", text);
            }
        }
    }
}
