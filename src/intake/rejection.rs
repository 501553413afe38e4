//! Why a submission was refused: the entry and the reason, shown to recruiters and reviewers.

/// How much of an entry's name a refusal quotes.
const MAX_ENTRY_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.shown())]
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

    /// A refusal because of one entry; a long name is cut (the archive's names are the
    /// candidate's, and reach every report).
    pub fn entry(entry: impl Into<String>, reason: impl Into<String>) -> Self {
        let entry: String = entry.into();
        let entry = match entry.char_indices().nth(MAX_ENTRY_CHARS) {
            Some((end, _)) => format!("{}… ({} more bytes)", &entry[..end], entry.len() - end),
            None => entry,
        };
        Rejection {
            entry: Some(entry),
            reason: reason.into(),
        }
    }
}

impl Rejection {
    fn shown(&self) -> String {
        match &self.entry {
            Some(entry) => format!("entry {entry:?}: {}", self.reason),
            None => self.reason.clone(),
        }
    }
}
