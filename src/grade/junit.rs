//! Hidden test results read from the JUnit XML a phase wrote. The file was written in a
//! container that ran candidate code, so every result is marked as candidate-influenced.

use std::path::Path;

use quick_junit::{NonSuccessKind, Report, TestCaseStatus};
use serde::{Deserialize, Serialize};

use crate::model::TestStatus;

/// One test case as the report records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TestCase {
    /// `classname::name`, or `name` when there is no class.
    pub name: String,
    pub status: TestStatus,
    pub seconds: Option<f64>,
    pub message: Option<String>,
}

/// Largest JUnit file read; a bigger one is invalid output.
pub const MAX_BYTES: u64 = 16 * 1024 * 1024;
/// Most test cases a file may hold; more is invalid output, so reports stay small.
pub const MAX_CASES: usize = 5_000;
/// A test name or message is cut to this many characters in every report.
const MAX_NAME_CHARS: usize = 200;
const MAX_MESSAGE_CHARS: usize = 1_000;

/// `text` cut to `max` characters, saying how much was cut.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{}… ({} more bytes)", &text[..end], text.len() - end),
        None => text.to_string(),
    }
}

/// Reads every test case; `Err` says why the file is not usable JUnit XML.
pub fn read(path: &Path) -> Result<Vec<TestCase>, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("the JUnit file cannot be read: {e}"))?
        .len();
    if size > MAX_BYTES {
        return Err(format!("the JUnit file is {size} bytes, more than {MAX_BYTES}"));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("the JUnit file cannot be read: {e}"))?;
    let text = with_offsets(&String::from_utf8_lossy(&bytes));
    let report =
        Report::deserialize_from_str(&text).map_err(|e| format!("the JUnit file is not valid JUnit XML: {e}"))?;
    let count: usize = report.test_suites.iter().map(|s| s.test_cases.len()).sum();
    if count > MAX_CASES {
        return Err(format!(
            "the JUnit file holds {count} test cases, more than {MAX_CASES}"
        ));
    }
    let mut cases = Vec::new();
    for suite in &report.test_suites {
        for case in &suite.test_cases {
            let name = match &case.classname {
                Some(class) if !class.as_str().is_empty() => {
                    format!("{}::{}", class.as_str(), case.name.as_str())
                }
                _ => case.name.as_str().to_string(),
            };
            let (status, message) = match &case.status {
                TestCaseStatus::Success { .. } => (TestStatus::Passed, None),
                TestCaseStatus::NonSuccess { kind, message, .. } => {
                    let status = match kind {
                        NonSuccessKind::Failure => TestStatus::Failed,
                        NonSuccessKind::Error => TestStatus::Error,
                    };
                    (status, message.as_ref().map(|m| m.as_str().to_string()))
                }
                TestCaseStatus::Skipped { message, .. } => {
                    (TestStatus::Skipped, message.as_ref().map(|m| m.as_str().to_string()))
                }
            };
            cases.push(TestCase {
                name: cut(&name, MAX_NAME_CHARS),
                status,
                seconds: case.time.map(|t| t.as_secs_f64()),
                message: message.map(|m| cut(&m, MAX_MESSAGE_CHARS)),
            });
        }
    }
    Ok(cases)
}

/// pytest writes `timestamp` attributes without a UTC offset, which quick-junit's reader
/// refuses; such a value (digits, '-', ':', 'T', '.') gets a `Z`. Timestamps are not used.
fn with_offsets(xml: &str) -> String {
    const ATTRIBUTE: &str = "timestamp=\"";
    let mut out = String::with_capacity(xml.len() + 16);
    let mut rest = xml;
    while let Some(at) = rest.find(ATTRIBUTE) {
        let (before, after) = rest.split_at(at + ATTRIBUTE.len());
        out.push_str(before);
        let end = after.find('"').unwrap_or(after.len());
        let value = &after[..end];
        out.push_str(value);
        let naive = value.contains('T') && value.chars().all(|c| c.is_ascii_digit() || "-:T.".contains(c));
        if naive {
            out.push('Z');
        }
        rest = &after[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pytest_junit() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/junit/pytest.xml");
        let cases = read(&path).unwrap();
        let status: Vec<(&str, TestStatus)> = cases.iter().map(|c| (c.name.as_str(), c.status)).collect();
        assert_eq!(
            status,
            [
                ("test_x::test_ok", TestStatus::Passed),
                ("test_x::test_bad", TestStatus::Failed),
                ("test_x::test_skip", TestStatus::Skipped),
                ("test_x::test_err_fixture", TestStatus::Error),
            ]
        );
        assert!(cases[1].message.as_deref().unwrap().contains("AssertionError: boom"));
    }

    #[test]
    fn refuses_what_is_not_junit() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("j.xml");
        std::fs::write(&path, "<testsuites><testsuite").unwrap();
        assert!(read(&path).unwrap_err().contains("not valid JUnit XML"));
    }

    #[test]
    fn naive_timestamps_get_an_offset() {
        assert_eq!(
            with_offsets(
                r#"<a timestamp="2026-11-22T01:04:08.157135" b="x"><c timestamp="2026-11-22T01:04:08+02:00"/>"#
            ),
            r#"<a timestamp="2026-11-22T01:04:08.157135Z" b="x"><c timestamp="2026-11-22T01:04:08+02:00"/>"#
        );
    }
}
