//! Where things are kept: the OUT folder (one `ReportDir` per submission, the round's summary),
//! written atomically and under locks so concurrent graders lose and tear nothing.

mod atomic;
mod lock;
mod names;
mod report_dir;
pub mod round;

pub use atomic::{readable, write_atomically};
pub use lock::Lock;
pub use report_dir::ReportDir;

/// A report.json named by the user; an input error names the file when it is not one.
pub fn read_report(path: &std::path::Path) -> anyhow::Result<crate::model::Report> {
    use crate::exit::input_error;
    let text =
        std::fs::read_to_string(path).map_err(|e| input_error(format!("cannot read {}: {e}", path.display())))?;
    serde_json::from_str(&text).map_err(|e| input_error(format!("{} is not an assay report: {e}", path.display())))
}
