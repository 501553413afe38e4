//! `tests.lock`: the hidden test names the reference solution produced, recorded by `assay
//! check` and committed beside the spec. Only these names are trusted: a JUnit file is written
//! where candidate code ran, so any other name could be made up (even lines of the hidden tests).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

pub const LOCK_FILE: &str = "tests.lock";

/// Phase name → the test names its JUnit file holds for the reference solution, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestNames {
    #[serde(default)]
    pub phases: BTreeMap<String, PhaseTests>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseTests {
    pub names: Vec<String>,
}

impl TestNames {
    /// Whether `name` is a trusted test of `phase`.
    pub fn knows(&self, phase: &str, name: &str) -> bool {
        self.phases
            .get(phase)
            .is_some_and(|p| p.names.binary_search_by(|n| n.as_str().cmp(name)).is_ok())
    }

    pub fn of(&self, phase: &str) -> &[String] {
        self.phases.get(phase).map(|p| p.names.as_slice()).unwrap_or_default()
    }

    pub fn all(&self) -> impl Iterator<Item = &String> {
        self.phases.values().flat_map(|p| &p.names)
    }

    /// The file's text, as `assay check` writes it.
    pub fn render(&self) -> String {
        let body = toml::to_string_pretty(self).unwrap_or_default();
        format!(
            "# Hidden test names of the reference solution, written by `assay check`. Commit this file:\n# only these names are trusted and shown; a listed test missing from a grade counts as failed.\n{body}"
        )
    }
}

/// Reads `dir/tests.lock` (raw text and parsed), `Ok(None)` when there is none.
pub fn read(dir: &Path) -> Result<Option<(String, TestNames)>, String> {
    let path = dir.join(LOCK_FILE);
    let text = match std::fs::metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {LOCK_FILE}: {e}")),
        Ok(m) if !m.is_file() || m.len() > super::load::MAX_SPEC_BYTES * 16 => {
            return Err(format!("{LOCK_FILE} is not a regular file of at most 16 MiB"));
        }
        Ok(_) => std::fs::read_to_string(&path).map_err(|e| format!("cannot read {LOCK_FILE}: {e}"))?,
    };
    let mut names: TestNames = toml::from_str(&text).map_err(|e| format!("{LOCK_FILE}: {}", e.message()))?;
    for tests in names.phases.values_mut() {
        tests.names.sort();
        tests.names.dedup();
    }
    Ok(Some((text, names)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_looks_names_up() {
        let dir = tempfile::tempdir().unwrap();
        let mut names = TestNames::default();
        names.phases.insert(
            "tests".into(),
            PhaseTests {
                names: vec!["a::test_one".into(), "b::test \"two\"[x]".into()],
            },
        );
        std::fs::write(dir.path().join(LOCK_FILE), names.render()).unwrap();
        let (_, read_back) = read(dir.path()).unwrap().unwrap();
        assert_eq!(read_back, names);
        assert!(read_back.knows("tests", "b::test \"two\"[x]"));
        assert!(!read_back.knows("tests", "c"));
        assert!(!read_back.knows("other", "a::test_one"));
    }
}
