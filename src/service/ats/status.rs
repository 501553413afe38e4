//! Where an ATS interview stands, from its invite and the submission that came through it:
//! the one mapping both protocols report from.

use crate::service::db::Status as Grading;

/// An interview's status, as told to an ATS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The link was made; the candidate has not opened it.
    Invited,
    /// The candidate opened the link.
    Started,
    /// The candidate's work was received and is being graded (also while a harness failure
    /// is retried, or waits for an operator: that is never the candidate's result).
    Submitted,
    /// Graded, or refused as an invalid submission (reported with its reason).
    Graded,
    /// The ATS cancelled it.
    Cancelled,
    /// The link expired unused.
    Expired,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Invited => "invited",
            Status::Started => "started",
            Status::Submitted => "submitted",
            Status::Graded => "graded",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Status> {
        [
            Status::Invited,
            Status::Started,
            Status::Submitted,
            Status::Graded,
            Status::Cancelled,
            Status::Expired,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Nothing comes after it.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Graded | Status::Cancelled | Status::Expired)
    }
}

/// What decides the status.
pub struct Facts {
    pub cancelled: bool,
    pub opened: bool,
    /// The invite's expiry has passed.
    pub expired: bool,
    /// The grading status of the submission the invite took, if it took one.
    pub grading: Option<Grading>,
}

/// The interview's status. A cancellation wins over everything; an upload over expiry.
pub fn of(facts: &Facts) -> Status {
    if facts.cancelled {
        return Status::Cancelled;
    }
    match facts.grading {
        Some(Grading::Graded | Grading::InvalidSubmission) => Status::Graded,
        Some(Grading::Queued | Grading::Grading | Grading::HarnessError) => Status::Submitted,
        None if facts.expired => Status::Expired,
        None if facts.opened => Status::Started,
        None => Status::Invited,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(cancelled: bool, opened: bool, expired: bool, grading: Option<Grading>) -> Status {
        of(&Facts {
            cancelled,
            opened,
            expired,
            grading,
        })
    }

    #[test]
    fn each_status_comes_from_its_facts() {
        assert_eq!(facts(false, false, false, None), Status::Invited);
        assert_eq!(facts(false, true, false, None), Status::Started);
        assert_eq!(facts(false, true, false, Some(Grading::Queued)), Status::Submitted);
        assert_eq!(facts(false, true, false, Some(Grading::Grading)), Status::Submitted);
        assert_eq!(facts(false, true, false, Some(Grading::Graded)), Status::Graded);
        assert_eq!(
            facts(false, true, false, Some(Grading::InvalidSubmission)),
            Status::Graded
        );
        assert_eq!(facts(false, false, true, None), Status::Expired);
        assert_eq!(facts(false, true, true, None), Status::Expired);
        assert_eq!(facts(true, true, false, Some(Grading::Graded)), Status::Cancelled);
    }

    #[test]
    fn a_harness_failure_is_never_a_result() {
        assert_eq!(
            facts(false, true, false, Some(Grading::HarnessError)),
            Status::Submitted
        );
        assert!(!Status::Submitted.is_final());
    }

    #[test]
    fn an_upload_before_expiry_is_not_expired_after() {
        assert_eq!(facts(false, true, true, Some(Grading::Queued)), Status::Submitted);
        assert_eq!(facts(false, true, true, Some(Grading::Graded)), Status::Graded);
    }

    #[test]
    fn names_read_back() {
        for status in [
            Status::Invited,
            Status::Started,
            Status::Submitted,
            Status::Graded,
            Status::Cancelled,
            Status::Expired,
        ] {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
        assert_eq!(Status::parse("complete"), None);
    }
}
