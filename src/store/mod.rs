//! Where things are kept: the OUT folder (one `ReportDir` per submission, the round's summary),
//! written atomically and under locks so concurrent graders lose and tear nothing.

mod atomic;
pub mod canaries;
mod error;
mod lock;
mod names;
mod report_dir;
pub mod round;
pub mod round_sources;
pub mod stored_copy;

pub use atomic::{readable, write_atomically};
pub use error::StoreError;
pub use lock::Lock;
pub use report_dir::ReportDir;

/// A report.json named by the user; `StoreError::NotAReport` when it is not one.
pub fn read_report(path: &std::path::Path) -> Result<crate::model::Report, StoreError> {
    use crate::path_error::AtPath;
    let text = std::fs::read_to_string(path).at("cannot read", path)?;
    serde_json::from_str(&text).map_err(|source| StoreError::NotAReport {
        path: path.to_path_buf(),
        source,
    })
}
