//! A first pass over a CSV file in fixed memory: it counts records and refuses a record or a
//! field too large to hold, before anything is parsed into memory. A candidate's output of
//! one 60 MiB line then costs 64 KiB, not gigabytes.

use std::io::Read;
use std::path::Path;

/// The largest record (a line, or lines joined by quotes) any table may hold.
pub const MAX_RECORD_BYTES: u64 = 1024 * 1024;
/// The most fields a record may hold.
pub const MAX_FIELDS: usize = 10_000;

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
