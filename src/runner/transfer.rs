//! Files out of phase containers. What comes out was written by candidate code: it is parsed
//! as a hostile archive and never unpacked onto the host as is.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Copies declared outputs out of a tar a container produced into `dest`, refusing links,
/// devices, folders and oversize files. Returns each output's host path, or why it is invalid.
pub fn extract_outputs(
    tar_path: &Path,
    declared: &[String],
    dest: &Path,
    max_bytes: u64,
) -> anyhow::Result<Result<Vec<(String, PathBuf)>, String>> {
    std::fs::create_dir_all(dest)?;
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    let mut archive = tar::Archive::new(File::open(tar_path)?);
    let entries = match archive.entries() {
        Ok(entries) => entries,
        Err(e) => return Ok(Err(format!("the outputs could not be read: {e}"))),
    };
    for entry in entries {
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(e) => return Ok(Err(format!("the outputs could not be read: {e}"))),
        };
        let name = String::from_utf8_lossy(&entry.path_bytes())
            .trim_end_matches('/')
            .to_string();
        let absolute = format!("/{name}");
        let Some(output) = declared.iter().find(|d| **d == absolute) else {
            continue;
        };
        if found.iter().any(|(o, _)| o == output) {
            return Ok(Err(format!("{output} appears twice in the copied outputs")));
        }
        let kind = entry.header().entry_type();
        if kind != tar::EntryType::Regular && kind != tar::EntryType::Continuous {
            let what = match kind {
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    let target = entry
                        .link_name_bytes()
                        .map(|t| String::from_utf8_lossy(&t).into_owned())
                        .unwrap_or_default();
                    format!("a link to {target:?}; links are never followed")
                }
                tar::EntryType::Directory => "a folder, not a file".to_string(),
                other => format!("a special file ({other:?})"),
            };
            return Ok(Err(format!("{output} is {what}")));
        }
        let size = entry.header().size().unwrap_or(u64::MAX);
        if size > max_bytes {
            return Ok(Err(format!(
                "{output} is {size} bytes, more than the limit of {max_bytes}"
            )));
        }
        let host = dest.join(format!("{}", found.len()));
        let mut file = File::create(&host)?;
        let copied = std::io::copy(&mut (&mut entry).take(max_bytes + 1), &mut file)?;
        if copied > max_bytes {
            return Ok(Err(format!("{output} is more than {max_bytes} bytes")));
        }
        found.push((output.clone(), host));
    }
    if let Some(missing) = declared.iter().find(|d| !found.iter().any(|(o, _)| o == *d)) {
        return Ok(Err(format!("{missing} was not written")));
    }
    Ok(Ok(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_with(entries: &[(&str, tar::EntryType, &[u8], Option<&str>)]) -> tempfile::NamedTempFile {
        let file = tempfile::NamedTempFile::new().unwrap();
        let mut builder = tar::Builder::new(File::create(file.path()).unwrap());
        for (name, kind, data, link) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_entry_type(*kind);
            header.set_size(data.len() as u64);
            header.set_mode(0o644);
            if let Some(link) = link {
                builder.append_link(&mut header, name, link).unwrap();
            } else {
                builder.append_data(&mut header, name, *data).unwrap();
            }
        }
        builder.finish().unwrap();
        file
    }

    #[test]
    fn copies_declared_regular_files() {
        let tar = tar_with(&[
            ("out/p.csv", tar::EntryType::Regular, b"id,label\n", None),
            ("out/other", tar::EntryType::Regular, b"x", None),
        ]);
        let dest = tempfile::tempdir().unwrap();
        let found = extract_outputs(tar.path(), &["/out/p.csv".into()], dest.path(), 100)
            .unwrap()
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(std::fs::read(&found[0].1).unwrap(), b"id,label\n");
    }

    #[test]
    fn refuses_links_missing_and_oversize_outputs() {
        let dest = tempfile::tempdir().unwrap();
        let link = tar_with(&[("out/p.csv", tar::EntryType::Symlink, b"", Some("/etc/passwd"))]);
        let why = extract_outputs(link.path(), &["/out/p.csv".into()], dest.path(), 100)
            .unwrap()
            .unwrap_err();
        assert!(why.contains("link to \"/etc/passwd\""), "{why}");
        let empty = tar_with(&[]);
        let why = extract_outputs(empty.path(), &["/out/p.csv".into()], dest.path(), 100)
            .unwrap()
            .unwrap_err();
        assert!(why.contains("was not written"), "{why}");
        let big = tar_with(&[("out/p.csv", tar::EntryType::Regular, &[b'x'; 200], None)]);
        let why = extract_outputs(big.path(), &["/out/p.csv".into()], dest.path(), 100)
            .unwrap()
            .unwrap_err();
        assert!(why.contains("more than the limit"), "{why}");
    }
}
