//! An I/O error that says what was being done to which path, for the modules that read and
//! write files and have no other way to fail.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
#[error("{action} {}", path.display())]
pub struct PathError {
    pub action: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

/// `io_result.at("reading", path)`: the error, with what and where.
pub trait AtPath<T> {
    fn at(self, action: &'static str, path: &Path) -> Result<T, PathError>;
}

impl<T> AtPath<T> for std::io::Result<T> {
    fn at(self, action: &'static str, path: &Path) -> Result<T, PathError> {
        self.map_err(|source| PathError {
            action,
            path: path.to_path_buf(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_what_where_and_why() {
        let error = std::fs::read("/nonexistent/x")
            .at("reading", Path::new("/nonexistent/x"))
            .unwrap_err();
        assert_eq!(error.to_string(), "reading /nonexistent/x");
        let chain = format!("{:#}", anyhow::Error::from(error));
        assert!(chain.starts_with("reading /nonexistent/x: No such file"), "{chain}");
    }
}
