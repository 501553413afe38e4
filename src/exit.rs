//! Exit codes, the surface scripts and CI rely on.

/// How a command ended, as the process exit code tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Everything graded and passed, or checked fine.
    Success = 0,
    /// Graded, but failed (or an expectation did not hold).
    Failed = 1,
    /// Usage or input error: a bad spec, a bad archive.
    Input = 2,
    /// The harness itself failed.
    Harness = 3,
}

impl Exit {
    /// The worse of two outcomes decides the exit of a command over many inputs.
    pub fn worst(self, other: Exit) -> Exit {
        if (other as u8) > (self as u8) { other } else { self }
    }
}

/// An error caused by what the user gave us (exit 2), as opposed to a harness failure (exit 3).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

/// Shorthand for returning an input error.
pub fn input_error(message: impl Into<String>) -> anyhow::Error {
    InputError(message.into()).into()
}

/// An error about what the user gave us, with every cause it has, as an input error.
pub fn input_error_from(error: impl std::error::Error + Send + Sync + 'static) -> anyhow::Error {
    input_error(format!("{:#}", anyhow::Error::new(error)))
}

/// The exit code for an error that ended a command.
pub fn exit_for_error(error: &anyhow::Error) -> Exit {
    if error.chain().any(|e| e.is::<InputError>()) {
        Exit::Input
    } else {
        Exit::Harness
    }
}
