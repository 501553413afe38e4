//! Reading a CSV file in bounded memory: `LineGuard` stops a parse at the first line too long
//! to hold, and `scan` counts records in fixed memory. A candidate's output of one 60 MiB
//! line then costs a megabyte, not gigabytes.

use std::io::Read;
use std::path::Path;

/// The largest record (a line, or lines joined by quotes) any table may hold.
pub const MAX_RECORD_BYTES: u64 = 1024 * 1024;
/// The most fields a record may hold.
pub const MAX_FIELDS: usize = 10_000;

/// A reader that fails once a line runs past `MAX_RECORD_BYTES`, so a parser reading through
/// it never holds more than that of one line. It looks for newlines with memchr: parsing a
/// file through it costs next to nothing more.
pub struct LineGuard<R> {
    inner: R,
    /// Bytes since the last newline.
    run: u64,
    /// The line being read, for the message.
    line: u64,
}

impl<R> LineGuard<R> {
    pub fn new(inner: R) -> Self {
        LineGuard { inner, run: 0, line: 1 }
    }
}

impl<R: Read> Read for LineGuard<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buffer)?;
        let mut rest = &buffer[..n];
        while let Some(at) = memchr::memchr(b'\n', rest) {
            if self.run + at as u64 > MAX_RECORD_BYTES {
                break;
            }
            self.run = 0;
            self.line += 1;
            rest = &rest[at + 1..];
        }
        self.run += rest.len() as u64;
        if self.run > MAX_RECORD_BYTES {
            return Err(std::io::Error::other(format!(
                "line {} is longer than {} (the limit)",
                self.line,
                crate::units::format_size(MAX_RECORD_BYTES)
            )));
        }
        Ok(n)
    }
}

/// Data records (the header not counted), or why the file cannot be read as a table.
pub fn scan(path: &Path) -> Result<u64, String> {
    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot be read: {e}"))?;
    let mut reader = csv_core::Reader::new();
    let mut input = vec![0u8; 64 * 1024];
    let mut output = vec![0u8; 64 * 1024];
    let mut ends = vec![0usize; 1024];
    let (mut records, mut record_bytes, mut fields) = (0u64, 0u64, 0usize);
    let mut line = 1u64;
    // The line the current record starts on, for messages.
    let mut record_line = 1u64;
    let (mut filled, mut start) = (0usize, 0usize);
    let mut eof = false;
    loop {
        if start == filled && !eof {
            filled = file.read(&mut input).map_err(|e| format!("cannot be read: {e}"))?;
            start = 0;
            eof = filled == 0;
        }
        let chunk = &input[start..filled];
        let (result, read, written, ended) = reader.read_record(chunk, &mut output, &mut ends);
        line += chunk[..read].iter().filter(|&&b| b == b'\n').count() as u64;
        start += read;
        record_bytes += written as u64;
        fields += ended;
        if record_bytes > MAX_RECORD_BYTES {
            return Err(format!(
                "the record on line {record_line} is longer than {} (the limit)",
                crate::units::format_size(MAX_RECORD_BYTES)
            ));
        }
        if fields > MAX_FIELDS {
            return Err(format!(
                "the record on line {record_line} has more than {MAX_FIELDS} fields (the limit)"
            ));
        }
        match result {
            csv_core::ReadRecordResult::InputEmpty => {}
            // Only the counts matter: the buffers are reused.
            csv_core::ReadRecordResult::OutputFull | csv_core::ReadRecordResult::OutputEndsFull => {}
            csv_core::ReadRecordResult::Record => {
                records += 1;
                record_bytes = 0;
                fields = 0;
                record_line = line;
            }
            csv_core::ReadRecordResult::End => return Ok(records.saturating_sub(1)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(bytes: &[u8]) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), bytes).unwrap();
        file
    }

    #[test]
    fn the_guard_stops_at_the_first_overlong_line() {
        let mut long = b"id,label\na,1\nb,".to_vec();
        long.extend(vec![b'x'; 2 * 1024 * 1024]);
        let mut guard = LineGuard::new(std::io::Cursor::new(long));
        let mut sink = Vec::new();
        let why = std::io::copy(&mut guard, &mut sink).unwrap_err().to_string();
        assert!(why.contains("line 3 is longer than 1.0 MiB"), "{why}");
        assert!(sink.len() < 2 * 1024 * 1024, "{}", sink.len());
        let short = b"id,label\n".repeat(500_000);
        let mut guard = LineGuard::new(std::io::Cursor::new(short.clone()));
        let mut sink = Vec::new();
        std::io::copy(&mut guard, &mut sink).unwrap();
        assert_eq!(sink, short);
    }

    #[test]
    fn counts_records_and_refuses_oversized_ones() {
        assert_eq!(scan(file(b"id,label\na,1\n\"b\nb\",2\nc,3").path()).unwrap(), 3);
        assert_eq!(scan(file(b"").path()).unwrap(), 0);
        let mut long = b"id,label\na,".to_vec();
        long.extend(vec![1u8; 3 * 1024 * 1024]);
        let why = scan(file(&long).path()).unwrap_err();
        assert!(why.contains("line 2 is longer than 1.0 MiB"), "{why}");
        let many = format!("{}\n", vec!["x"; 20_000].join(","));
        let why = scan(file(many.as_bytes()).path()).unwrap_err();
        assert!(why.contains("more than 10000 fields"), "{why}");
        // A quoted field of many short lines is one record, and bounded too.
        let mut quoted = b"id,label\na,\"".to_vec();
        quoted.extend(b"x\n".repeat(1024 * 1024));
        quoted.extend(b"\"\n");
        assert!(scan(file(&quoted).path()).unwrap_err().contains("longer than"));
    }
}
