//! Reading `assignment.toml`: parse into the raw model, then check it and build a `Spec`.

mod files;
mod hidden_tests;
mod metrics;
mod phases;
mod reproducibility;
mod round;
mod rubric;
mod sandbox;
mod scorers;

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use super::diagnostic::{KeyPath, Locator, SpecError};
use super::raw::{RawMetric, RawPatterns, RawPhase, RawSpec};
use super::*;
use super::{Direction, MetricSource, Visibility, test_names};
use crate::units::{parse_duration, parse_size};
use files::*;
use metrics::*;

pub const SPEC_FILE: &str = "assignment.toml";

/// The largest spec read: a real one is a few KiB.
pub const MAX_SPEC_BYTES: u64 = 1024 * 1024;

/// A spec with problems, every one of them, each with its file:line:column.
#[derive(Debug, thiserror::Error)]
#[error("the assignment spec is invalid:\n{}", self.0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
pub struct InvalidSpec(pub Vec<SpecError>);

/// `load` for a command about to grade: the problems as one error that lists them.
pub fn load_valid(dir: &Path) -> Result<Spec, InvalidSpec> {
    load(dir).map_err(InvalidSpec)
}

/// Loads and validates the spec of the assignment in `dir`, returning every problem found.
pub fn load(dir: &Path) -> Result<Spec, Vec<SpecError>> {
    let file = dir.join(SPEC_FILE);
    let whole_file = |message: String| {
        vec![SpecError {
            file: file.clone(),
            line: 1,
            column: 1,
            key: String::new(),
            message,
        }]
    };
    let source = read_spec(&file).map_err(whole_file)?;
    let real_dir =
        std::fs::canonicalize(dir).map_err(|e| whole_file(format!("cannot resolve the assignment folder: {e}")))?;
    let locator = Locator::new(&file, &source);
    let raw = parse(&source, &locator).map_err(|e| vec![e])?;
    let mut checker = Checker {
        dir,
        real_dir: &real_dir,
        locator: &locator,
        errors: Vec::new(),
        warnings: Vec::new(),
    };
    // The trusted test names change how a grade reads results, so they are part of its hash.
    let lock = test_names::read(dir).map_err(|message| {
        vec![SpecError {
            file: dir.join(test_names::LOCK_FILE),
            line: 1,
            column: 1,
            key: String::new(),
            message,
        }]
    })?;
    let mut hasher = Sha256::new();
    hasher.update(source.as_bytes());
    if let Some((text, _)) = &lock {
        hasher.update(text.as_bytes());
    }
    let mut spec = checker.spec(raw, hex::encode(hasher.finalize()));
    spec.test_names = lock.map(|(_, names)| names);
    checker.check_test_names(&spec);
    spec.warnings = checker.warnings;
    if checker.errors.is_empty() {
        Ok(spec)
    } else {
        Err(checker.errors)
    }
}

/// The spec's text: a regular file (not a FIFO or a device), at most `MAX_SPEC_BYTES`, UTF-8.
fn read_spec(file: &Path) -> Result<String, String> {
    use std::io::Read;
    let metadata = std::fs::metadata(file).map_err(|e| format!("cannot read the spec: {e}"))?;
    if !metadata.is_file() {
        return Err("the spec is not a regular file".to_string());
    }
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(MAX_SPEC_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("cannot read the spec: {e}"))?;
    if bytes.len() as u64 > MAX_SPEC_BYTES {
        return Err(format!(
            "the spec is larger than {}",
            crate::units::format_size(MAX_SPEC_BYTES)
        ));
    }
    String::from_utf8(bytes).map_err(|e| format!("the spec is not UTF-8 text: {e}"))
}

fn parse(source: &str, locator: &Locator) -> Result<RawSpec, SpecError> {
    let deserializer = match toml::Deserializer::parse(source) {
        Ok(deserializer) => deserializer,
        Err(e) => return Err(toml_error(&e, String::new(), locator)),
    };
    serde_path_to_error::deserialize(deserializer).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        let key = if key == "." { String::new() } else { key };
        toml_error(&inner, key, locator)
    })
}

fn toml_error(error: &toml::de::Error, key: String, locator: &Locator) -> SpecError {
    let offset = error.span().map(|s| s.start).unwrap_or(0);
    locator.error_at(offset, key, error.message().trim().to_string())
}

/// Builds a `Spec` from the raw model, collecting every problem instead of stopping at the first.
struct Checker<'a> {
    dir: &'a Path,
    /// The assignment folder with every link resolved: spec paths must stay inside it.
    real_dir: &'a Path,
    locator: &'a Locator<'a>,
    errors: Vec<SpecError>,
    warnings: Vec<SpecError>,
}

impl Checker<'_> {
    fn fail(&mut self, path: &KeyPath, message: impl Into<String>) {
        self.errors.push(self.locator.error(path, message));
    }

    fn warn(&mut self, path: &KeyPath, message: impl Into<String>) {
        self.warnings.push(self.locator.error(path, message));
    }

    fn spec(&mut self, raw: RawSpec, sha256: String) -> Spec {
        let root = KeyPath::root();
        let assignment = root.key("assignment");
        if !is_identifier(&raw.assignment.id) {
            self.fail(
                &assignment.key("id"),
                format!(
                    "{:?} is not a valid id: use lowercase letters, digits, '-' and '_'",
                    raw.assignment.id
                ),
            );
        }
        if raw.assignment.title.trim().is_empty() {
            self.fail(&assignment.key("title"), "the title must not be empty");
        }
        let sandbox = self.sandbox(&raw);
        let intake = self.intake(&raw);
        let labels = self.labels(&raw);
        let phases = self.phases(&raw.phases, &sandbox, &labels);
        let scorers = self.scorers(&raw, &phases, &sandbox);
        let metrics = raw
            .metrics
            .iter()
            .enumerate()
            .filter_map(|(i, m)| self.metric(m, &root.key("metric").index(i), &phases, &scorers))
            .collect();
        let mut test_groups = self.test_groups(&raw);
        let junit = phases.iter().any(|p| p.junit.is_some());
        if !test_groups.is_empty() && !junit {
            self.fail(
                &KeyPath::root().key("test_group").index(0),
                "test groups need a phase with junit = \"/out/junit.xml\"",
            );
        }
        if test_groups.is_empty() && junit {
            test_groups.push(TestGroup::implicit());
        }
        let reproducibility = self.reproducibility(&raw);
        let rubric = self.rubric(&raw);
        let review = self.review_settings(&raw);
        let similarity = self.similarity(&raw);
        let round = self.round(&raw);
        Spec {
            dir: self.dir.to_path_buf(),
            sha256,
            id: raw.assignment.id,
            title: raw.assignment.title,
            version: raw.assignment.version.unwrap_or_else(|| "1".to_string()),
            sandbox,
            intake,
            phases,
            metrics,
            scorers,
            test_groups,
            test_names: None,
            reproducibility,
            rubric,
            review,
            similarity,
            round,
            warnings: Vec::new(),
        }
    }
}

/// An assignment id, phase or scorer name: lowercase letters, digits, '-' and '_', at most 64.
pub fn is_identifier(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}
