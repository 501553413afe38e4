//! Why OUT could not be read or written. `NotAReport` is about a file the user named (an input
//! error); the rest are the harness's.

use std::path::PathBuf;

use crate::path_error::PathError;
use crate::report::RenderError;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Io(#[from] PathError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("{} is not an assay report", path.display())]
    NotAReport {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
}
