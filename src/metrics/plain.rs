//! The fast path for plain CSV files, which is what predictions and labels nearly always are:
//! ASCII, no quotes, no carriage returns, no blank lines, every row as wide as the header.
//! The file is read a block at a time into one reused buffer; each block's whole lines are
//! split into as many parts as there are cores, each part's rows cut with memchr, and the
//! parts joined in order at the end. Anything else (and any file this path is unsure of)
//! returns `None` and goes to the full CSV reader, which also names every problem; so this
//! path only has to be right on files it accepts, and a property test checks that it gives
//! the full reader's table on every file it accepts.

use std::io::Read;

use super::columns::{Cells, Column, Table, Wanted};
use super::scan::{MAX_FIELDS, MAX_RECORD_BYTES};

/// Parts smaller than this are not worth a thread.
const MIN_PART_BYTES: usize = 1 << 20;
/// The block read at a time: larger than any line may be, so a full block without a line
/// end holds an overlong line.
const BLOCK_BYTES: usize = 8 << 20;
const _: () = assert!(BLOCK_BYTES as u64 > MAX_RECORD_BYTES);

/// Where the wanted fields are in each row.
struct Layout {
    width: usize,
    /// The key's field, then each wanted column's.
    at: Vec<usize>,
    numbers: bool,
}

/// The table of `key` and `columns` when `source` is a plain CSV file holding them all (and,
/// for columns wanted as numbers, only finite numbers in them).
pub fn read(mut source: impl Read, key: &str, columns: &[&str], wanted: Wanted) -> Option<Table> {
    let mut buffer = vec![0u8; BLOCK_BYTES];
    let (mut filled, mut eof) = (0, false);
    let mut layout: Option<Layout> = None;
    let mut table = Part::empty(columns.len(), wanted == Wanted::Numbers);
    loop {
        while filled < buffer.len() && !eof {
            match source.read(&mut buffer[filled..]).ok()? {
                0 => eof = true,
                n => filled += n,
            }
        }
        let complete = if eof {
            filled
        } else {
            memchr::memrchr(b'\n', &buffer[..filled])? + 1
        };
        let mut chunk = &buffer[..complete];
        if !chunk.is_ascii() || memchr::memchr2(b'"', b'\r', chunk).is_some() {
            return None;
        }
        let layout = match &layout {
            Some(layout) => layout,
            None => {
                let end = memchr::memchr(b'\n', chunk)?;
                let header = read_header(&chunk[..end], key, columns, wanted)?;
                chunk = &chunk[end + 1..];
                layout.insert(header)
            }
        };
        for part in read_parts(chunk, layout)? {
            table.append(part);
        }
        if eof {
            break;
        }
        buffer.copy_within(complete..filled, 0);
        filled -= complete;
    }
    table.into_table()
}

fn read_header(line: &[u8], key: &str, columns: &[&str], wanted: Wanted) -> Option<Layout> {
    let header: Vec<&[u8]> = line.split(|&b| b == b',').collect();
    if line.len() as u64 > MAX_RECORD_BYTES || header.len() > MAX_FIELDS {
        return None;
    }
    let find = |name: &str| header.iter().position(|h| h.trim_ascii() == name.as_bytes());
    let mut at = vec![find(key)?];
    for column in columns {
        at.push(find(column)?);
    }
    Some(Layout {
        width: header.len(),
        at,
        numbers: wanted == Wanted::Numbers,
    })
}

/// The rows of whole lines, read in parts side by side.
fn read_parts(lines: &[u8], layout: &Layout) -> Option<Vec<Part>> {
    let pieces = split(lines, part_count(lines.len()));
    if pieces.len() == 1 {
        return Some(vec![Part::read(pieces[0], layout)?]);
    }
    std::thread::scope(|scope| {
        let others: Vec<_> = pieces[1..]
            .iter()
            .map(|&piece| scope.spawn(move || Part::read(piece, layout)))
            .collect();
        let mut parts = vec![Part::read(pieces[0], layout)];
        parts.extend(others.into_iter().map(|t| t.join().ok().flatten()));
        parts.into_iter().collect()
    })
}

fn part_count(bytes: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    cores.min(bytes / MIN_PART_BYTES).max(1)
}

/// `body` cut into `n` pieces of whole lines (a piece may be empty).
fn split(body: &[u8], n: usize) -> Vec<&[u8]> {
    let mut parts = Vec::with_capacity(n);
    let mut start = 0;
    for i in 1..n {
        let target = (body.len() * i / n).max(start);
        let end = match memchr::memchr(b'\n', &body[target..]) {
            Some(at) => target + at + 1,
            None => body.len(),
        };
        parts.push(&body[start..end]);
        start = end;
    }
    parts.push(&body[start..]);
    parts
}

/// The wanted fields of one piece's rows: the keys, then the columns asked for.
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

/// A finite number, read straight from the bytes. `fast_float2` rounds as `str::parse` (the
/// full reader's rule) does, correctly; where it refuses, so does this path, and the full
/// reader decides.
fn number(value: &[u8]) -> Option<f64> {
    fast_float2::parse::<f64, _>(value).ok().filter(|n| n.is_finite())
}

impl Part {
    fn read(piece: &[u8], layout: &Layout) -> Option<Part> {
        let (width, numbers) = (layout.width, layout.numbers);
        // Room for about one row per this many bytes, reserved, touched only as filled.
        let rows_guess = piece.len() / 8 + 1;
        let wanted = layout.at.len() - 1;
        let mut part = Part {
            rows: 0,
            keys: Values::with_capacity(piece.len(), rows_guess),
            texts: Vec::new(),
            numbers: Vec::new(),
        };
        if numbers {
            part.numbers = (0..wanted).map(|_| Vec::with_capacity(rows_guess)).collect();
        } else {
            part.texts = (0..wanted)
                .map(|_| Values::with_capacity(piece.len(), rows_guess))
                .collect();
        }
        // Field bounds of the row being read, as offsets into the piece. One pass finds both
        // the commas and the line ends.
        let mut fields: Vec<(usize, usize)> = vec![(0, 0); width];
        let (mut count, mut start, mut line_start) = (0, 0, 0);
        for at_byte in memchr::memchr2_iter(b',', b'\n', piece) {
            *fields.get_mut(count)? = (start, at_byte);
            count += 1;
            start = at_byte + 1;
            if piece[at_byte] == b'\n' {
                part.row(piece, &fields[..count], line_start, at_byte, layout)?;
                (count, line_start) = (0, start);
            }
        }
        if start < piece.len() || count > 0 {
            // The last line, without a line end.
            *fields.get_mut(count)? = (start, piece.len());
            part.row(piece, &fields[..count + 1], line_start, piece.len(), layout)?;
        }
        Some(part)
    }

    /// Takes one row's wanted fields; `None` when the row is not plain.
    fn row(&mut self, piece: &[u8], fields: &[(usize, usize)], from: usize, to: usize, layout: &Layout) -> Option<()> {
        // A blank line, an overlong one or one of another width: the full reader's rules (and
        // messages) apply.
        if from == to || (to - from) as u64 > MAX_RECORD_BYTES || fields.len() != layout.width {
            return None;
        }
        let field = |i: usize| {
            let (from, to) = fields[layout.at[i]];
            piece[from..to].trim_ascii()
        };
        self.keys.push(field(0));
        if layout.numbers {
            for (c, column) in self.numbers.iter_mut().enumerate() {
                column.push(number(field(c + 1))?);
            }
        } else {
            for (c, column) in self.texts.iter_mut().enumerate() {
                column.push(field(c + 1));
            }
        }
        self.rows += 1;
        Some(())
    }

    fn empty(columns: usize, numbers: bool) -> Part {
        Part {
            rows: 0,
            keys: Values::default(),
            texts: if numbers {
                Vec::new()
            } else {
                (0..columns).map(|_| Values::default()).collect()
            },
            numbers: if numbers {
                (0..columns).map(|_| Vec::new()).collect()
            } else {
                Vec::new()
            },
        }
    }

    /// Adds the rows of the part read next. The columns grow as the file is read (a large
    /// vector grows in place), and each block's parts are freed for the next block's to use.
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
            lines: (2..self.rows + 2).collect(),
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
            Vec::<usize>::new()
        );
    }

    #[test]
    fn numbers_are_parsed_as_the_full_reader_parses_them() {
        let table = read(&b"id,p\na, 0.5\nb,-1e3\nc,7\n"[..], "id", &["p"], Wanted::Numbers).unwrap();
        assert_eq!(table.columns, [Cells::Numbers(vec![0.5, -1000.0, 7.0])]);
        for bad in ["nan", "inf", "", "1,5", "0x10", "1e999"] {
            let text = format!("id,p\na,{bad}\n");
            assert!(read(text.as_bytes(), "id", &["p"], Wanted::Numbers).is_none(), "{bad}");
        }
    }

    #[test]
    fn leaves_anything_unusual_to_the_full_reader() {
        for text in [
            "id,label\n\"a\",1\n",
            "id,label\r\na,1\r\n",
            "id,label\na,1\n\nb,2\n",
            "id,label\na,1,2\n",
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
            assert_eq!(table.lines[i], i + 2);
        }
        let numbers = read(text.as_bytes(), "id", &["label"], Wanted::Numbers).unwrap();
        let Cells::Numbers(values) = &numbers.columns[0] else {
            panic!("not numbers")
        };
        assert!(values.iter().enumerate().all(|(i, &v)| v == (i % 7) as f64));
        let pieces = split(text.as_bytes(), 3);
        assert_eq!(pieces.concat(), text.as_bytes());
        assert!(pieces.iter().all(|p| p.is_empty() || p.ends_with(b"\n")));
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
