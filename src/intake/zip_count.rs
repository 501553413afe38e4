//! How many entries a zip's central directory lists, read from its end-of-central-directory
//! record (and the zip64 one when the count overflows 16 bits).

use std::io::{Read, Seek, SeekFrom};

const END_SIGNATURE: [u8; 4] = [0x50, 0x4b, 0x05, 0x06];
const ZIP64_LOCATOR_SIGNATURE: [u8; 4] = [0x50, 0x4b, 0x06, 0x07];
const ZIP64_END_SIGNATURE: [u8; 4] = [0x50, 0x4b, 0x06, 0x06];
/// The end record is 22 bytes plus a comment of at most 65,535.
const MAX_END_SEARCH: u64 = 22 + 65_535;

pub fn central_directory_entries(file: &mut (impl Read + Seek)) -> Result<u64, String> {
    let length = file.seek(SeekFrom::End(0)).map_err(|e| e.to_string())?;
    let window = length.min(MAX_END_SEARCH);
    let start = length - window;
    let mut tail = vec![0u8; window as usize];
    file.seek(SeekFrom::Start(start)).map_err(|e| e.to_string())?;
    file.read_exact(&mut tail).map_err(|e| e.to_string())?;
    let at = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| tail[i..i + 4] == END_SIGNATURE)
        .ok_or("no end-of-central-directory record")?;
    let record = &tail[at..];
    let total = u16::from_le_bytes([record[10], record[11]]);
    if total != u16::MAX {
        return Ok(u64::from(total));
    }
    // zip64: a locator 20 bytes before the end record points at the zip64 end record.
    let locator_at = (start + at as u64)
        .checked_sub(20)
        .ok_or("a zip64 count without its locator")?;
    let mut locator = [0u8; 20];
    file.seek(SeekFrom::Start(locator_at)).map_err(|e| e.to_string())?;
    file.read_exact(&mut locator).map_err(|e| e.to_string())?;
    if locator[..4] != ZIP64_LOCATOR_SIGNATURE {
        return Ok(u64::from(total));
    }
    let offset = u64::from_le_bytes(locator[8..16].try_into().unwrap_or_default());
    let mut end = [0u8; 40];
    file.seek(SeekFrom::Start(offset)).map_err(|e| e.to_string())?;
    file.read_exact(&mut end).map_err(|e| e.to_string())?;
    if end[..4] != ZIP64_END_SIGNATURE {
        return Err("a broken zip64 end-of-central-directory record".to_string());
    }
    Ok(u64::from_le_bytes(end[32..40].try_into().unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn counts_every_listed_entry() {
        let mut bytes = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut bytes);
            for name in ["a.txt", "b/c.txt", "d.txt"] {
                zip.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
                zip.write_all(b"x").unwrap();
            }
            zip.set_comment("a comment with PK in it").unwrap();
            zip.finish().unwrap();
        }
        assert_eq!(central_directory_entries(&mut bytes).unwrap(), 3);
        let mut junk = std::io::Cursor::new(vec![0u8; 100]);
        assert!(central_directory_entries(&mut junk).is_err());
    }
}
