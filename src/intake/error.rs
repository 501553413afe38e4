//! Why intake stopped: the submission was refused (the candidate's doing, reported in a
//! graded report), or the harness failed (ours: grade again).

use super::Rejection;

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error(transparent)]
    Refused(#[from] Rejection),
    #[error("the harness failed while unpacking: {0:#}")]
    Harness(anyhow::Error),
}

impl From<std::io::Error> for IntakeError {
    fn from(error: std::io::Error) -> Self {
        IntakeError::Harness(error.into())
    }
}
