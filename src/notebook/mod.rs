//! Jupyter notebooks: read leniently (`parse`), their numbers (`numbers`) and pictures
//! (`png`), and the claims check of a notebook against its re-execution (`claims`). Pure: the
//! caller reads the files.

pub mod claims;
pub mod numbers;
pub mod parse;
pub mod png;

pub use claims::{CellOutcome, NotebookCheck, NotebookStatus, ShownCell, ShownKind, ShownOutput};
pub use parse::{Notebook, parse};

/// Checks a notebook phase from the bytes of the notebook handed in and of the executed one
/// (`None` when the phase wrote none; `why_missing` says why).
pub fn check_bytes(
    phase: &str,
    notebook: &str,
    submitted: Result<Vec<u8>, String>,
    executed: Result<Vec<u8>, String>,
    tolerance: f64,
) -> NotebookCheck {
    let submitted = match submitted.and_then(|bytes| parse(&bytes)) {
        Ok(submitted) => submitted,
        Err(why) => return claims::not_checked(phase, notebook, format!("{notebook}: {why}"), None),
    };
    match executed.and_then(|bytes| parse(&bytes)) {
        Ok(executed) => claims::check(phase, notebook, &submitted, &executed, tolerance),
        Err(why) => claims::not_checked(
            phase,
            notebook,
            format!("the notebook could not be run again: {why}"),
            Some(&submitted),
        ),
    }
}
