//! Files out of phase containers. What comes out was written by candidate code: it is parsed
//! as a hostile archive and never unpacked onto the host as is.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Why declared outputs could not be copied out.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// What the candidate left cannot be used: the phase's output is invalid.
    #[error("{0}")]
    Invalid(String),
    /// The harness could not read or write: never the candidate's fault.
    #[error(transparent)]
    Harness(#[from] anyhow::Error),
}

impl From<std::io::Error> for OutputError {
    fn from(error: std::io::Error) -> Self {
        OutputError::Harness(error.into())
    }
}

/// Copies declared outputs out of a tar a container produced into `dest`, refusing links,
/// devices, folders and oversize files. Returns each output's host path, or why it is invalid.
pub fn extract_outputs(
    tar_path: &Path,
    declared: &[String],
    dest: &Path,
    max_bytes: u64,
) -> Result<Vec<(String, PathBuf)>, OutputError> {
    std::fs::create_dir_all(dest)?;
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    let mut archive = tar::Archive::new(File::open(tar_path)?);
    let entries = match archive.entries() {
        Ok(entries) => entries,
        Err(e) => return Err(OutputError::Invalid(format!("the outputs could not be read: {e}"))),
    };
    for entry in entries {
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(e) => return Err(OutputError::Invalid(format!("the outputs could not be read: {e}"))),
        };
        let name = String::from_utf8_lossy(&entry.path_bytes())
            .trim_end_matches('/')
            .to_string();
        let absolute = format!("/{name}");
        let Some(output) = declared.iter().find(|d| **d == absolute) else {
            continue;
        };
        if found.iter().any(|(o, _)| o == output) {
            return Err(OutputError::Invalid(format!(
                "{output} appears twice in the copied outputs"
            )));
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
            return Err(OutputError::Invalid(format!("{output} is {what}")));
        }
        let size = entry.header().size().unwrap_or(u64::MAX);
        if size > max_bytes {
            return Err(OutputError::Invalid(format!(
                "{output} is {size} bytes, more than the limit of {max_bytes}"
            )));
        }
        let host = dest.join(format!("{}", found.len()));
        let mut file = File::create(&host)?;
        let copied = std::io::copy(&mut (&mut entry).take(max_bytes + 1), &mut file)?;
        if copied > max_bytes {
            return Err(OutputError::Invalid(format!("{output} is more than {max_bytes} bytes")));
        }
        found.push((output.clone(), host));
    }
    if let Some(missing) = declared.iter().find(|d| !found.iter().any(|(o, _)| o == *d)) {
        return Err(OutputError::Invalid(format!("{missing} was not written")));
    }
    Ok(found)
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
        let found = extract_outputs(tar.path(), &["/out/p.csv".into()], dest.path(), 100).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(std::fs::read(&found[0].1).unwrap(), b"id,label\n");
    }

    /// The candidate's fault, never the harness's.
    fn invalid(error: OutputError) -> String {
        match error {
            OutputError::Invalid(why) => why,
            OutputError::Harness(e) => panic!("a harness error, not invalid output: {e}"),
        }
    }

    #[test]
    fn refuses_links_missing_and_oversize_outputs() {
        let dest = tempfile::tempdir().unwrap();
        let link = tar_with(&[("out/p.csv", tar::EntryType::Symlink, b"", Some("/etc/passwd"))]);
        let why = extract_outputs(link.path(), &["/out/p.csv".into()], dest.path(), 100)
            .err()
            .map(invalid)
            .expect("refused");
        assert!(why.contains("link to \"/etc/passwd\""), "{why}");
        let empty = tar_with(&[]);
        let why = extract_outputs(empty.path(), &["/out/p.csv".into()], dest.path(), 100)
            .err()
            .map(invalid)
            .expect("refused");
        assert!(why.contains("was not written"), "{why}");
        let big = tar_with(&[("out/p.csv", tar::EntryType::Regular, &[b'x'; 200], None)]);
        let why = extract_outputs(big.path(), &["/out/p.csv".into()], dest.path(), 100)
            .err()
            .map(invalid)
            .expect("refused");
        assert!(why.contains("more than the limit"), "{why}");
    }
}
