//! Why a submission was refused: the entry and the reason, shown to recruiters and reviewers.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The archive entry or file at fault, when one is.
    pub entry: Option<String>,
    pub reason: String,
}

impl Rejection {
    pub fn new(reason: impl Into<String>) -> Self {
        Rejection {
            entry: None,
            reason: reason.into(),
        }
    }

    pub fn entry(entry: impl Into<String>, reason: impl Into<String>) -> Self {
        Rejection {
            entry: Some(entry.into()),
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.entry {
            Some(entry) => write!(f, "entry {entry:?}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

/// Unpacking stops either because the submission is refused or because the harness failed.
#[derive(Debug)]
pub enum UnpackError {
    Rejected(Rejection),
    Harness(anyhow::Error),
}

impl From<Rejection> for UnpackError {
    fn from(rejection: Rejection) -> Self {
        UnpackError::Rejected(rejection)
    }
}

impl From<std::io::Error> for UnpackError {
    fn from(error: std::io::Error) -> Self {
        UnpackError::Harness(error.into())
    }
}
