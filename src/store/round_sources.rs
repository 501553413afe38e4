//! The source code similarity compares: each report folder's stored copy, and the starter and
//! corpus folders an assignment names in `[similarity]`.

use std::path::Path;

use crate::path_error::{AtPath, PathError};
use crate::similarity::tokens::Language;
use crate::similarity::{Document, MAX_FILE_BYTES, SourceFile, source_files};
use crate::spec::Spec;

use super::ReportDir;

/// Files read from one folder of the assignment, so a corpus cannot make a round unreadable.
const MAX_FOLDER_FILES: usize = 10_000;

/// The submission in `dir`'s stored copy, as a document named `name`; none when it has no
/// stored copy (an archive intake refused keeps none).
pub fn submission(name: &str, dir: &ReportDir) -> Result<Option<Document>, PathError> {
    let path = dir.stored_copy();
    if !path.is_file() {
        return Ok(None);
    }
    let files = super::stored_copy::read(&path, MAX_FILE_BYTES as u64)?
        .into_iter()
        .filter_map(|f| f.content.map(|content| (f.path, content)));
    Ok(Some(Document {
        name: name.to_string(),
        corpus: false,
        files: source_files(files),
    }))
}

/// The assignment's starter files (never counted) and its corpus of known solutions, one
/// document per entry of the corpus folder, named `corpus/ENTRY`.
pub fn assignment(spec: &Spec) -> Result<(Vec<SourceFile>, Vec<Document>), PathError> {
    let starter = match &spec.similarity.starter {
        Some(relative) => source_files(folder_files(&spec.dir.join(relative))?),
        None => Vec::new(),
    };
    let mut corpus = Vec::new();
    if let Some(relative) = &spec.similarity.corpus {
        let root = spec.dir.join(relative);
        let mut entries: Vec<_> = std::fs::read_dir(&root)
            .at("reading", &root)?
            .filter_map(|e| e.ok())
            .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            corpus.push(Document {
                name: format!("corpus/{}", entry.file_name().to_string_lossy()),
                corpus: true,
                files: source_files(folder_files(&entry.path())?),
            });
        }
    }
    Ok((starter, corpus))
}

/// Every regular file under `root` (or `root` itself when it is a file) with its path relative
/// to it; links are not followed.
fn folder_files(root: &Path) -> Result<Vec<(String, Vec<u8>)>, PathError> {
    let mut found = Vec::new();
    let metadata = std::fs::symlink_metadata(root).at("reading", root)?;
    if metadata.is_file() {
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if metadata.len() <= MAX_FILE_BYTES as u64 {
            found.push((name, std::fs::read(root).at("reading", root)?));
        }
        return Ok(found);
    }
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        for entry in std::fs::read_dir(&dir).at("reading", &dir)? {
            let entry = entry.at("reading", &dir)?;
            let kind = entry.file_type().at("reading", &entry.path())?;
            let name = format!("{prefix}{}", entry.file_name().to_string_lossy());
            if kind.is_dir() {
                stack.push((entry.path(), format!("{name}/")));
            } else if kind.is_file() && found.len() < MAX_FOLDER_FILES && Language::of(&name).is_some() {
                let path = entry.path();
                if std::fs::metadata(&path).at("reading", &path)?.len() <= MAX_FILE_BYTES as u64 {
                    found.push((name, std::fs::read(&path).at("reading", &path)?));
                }
            }
        }
    }
    Ok(found)
}
