//! What an ATS is shown of a finished grade: the score as a percentage, the verdict, why an
//! invalid submission was refused, reproducibility and each metric. Both protocols read it.

use super::interviews::Interview;
use crate::service::Service;
use crate::service::db::{DbError, Status as Grading, Submission};

/// A grade as an ATS sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub verdict: String,
    /// Refused as an invalid submission: no score, and the reason instead.
    pub invalid: bool,
    pub summary: String,
    pub score: Option<f64>,
    pub max_score: Option<f64>,
    /// The score out of 100, to two places.
    pub percent: Option<f64>,
    pub reproducibility: Option<String>,
    /// (name, value) of each metric the report computed.
    pub metrics: Vec<(String, Option<f64>)>,
    pub submitted_at: String,
    pub graded_at: String,
}

/// The outcome of a finished grade; None before it is finished, or when the harness failed.
pub fn of(submission: &Submission, report: Option<&crate::model::Report>) -> Option<Outcome> {
    if !matches!(submission.status, Grading::Graded | Grading::InvalidSubmission) {
        return None;
    }
    let invalid = submission.status == Grading::InvalidSubmission;
    let percent = match (submission.score, submission.max_score) {
        (Some(score), Some(max)) if max > 0.0 && !invalid => Some((score / max * 10_000.0).round() / 100.0),
        _ => None,
    };
    Some(Outcome {
        verdict: submission.verdict.clone().unwrap_or_default(),
        invalid,
        summary: crate::text::plain(submission.summary.as_deref().unwrap_or_default()),
        score: submission.score.filter(|_| !invalid),
        max_score: submission.max_score.filter(|_| !invalid),
        percent,
        reproducibility: submission.reproducibility.clone(),
        metrics: report
            .map(|r| r.metrics.iter().map(|m| (m.name.clone(), m.value)).collect())
            .unwrap_or_default(),
        submitted_at: submission.created_at.clone(),
        graded_at: submission.updated_at.clone(),
    })
}

/// The submission that came through an interview's invite, and its outcome once graded.
pub async fn of_interview(
    service: &Service,
    interview: &Interview,
) -> Result<(Option<Submission>, Option<Outcome>), DbError> {
    let submission = match &interview.invite.submission_id {
        Some(id) => service.db.get(id).await?,
        None => None,
    };
    let report = submission
        .as_ref()
        .and_then(|s| service.report_dir(s))
        .and_then(|dir| dir.read_report());
    let outcome = submission.as_ref().and_then(|s| of(s, report.as_ref()));
    Ok((submission, outcome))
}

#[cfg(test)]
pub mod tests {
    use super::*;

    pub fn submission(status: Grading, score: Option<(f64, f64)>) -> Submission {
        Submission {
            id: "s_1".into(),
            seq: 1,
            assignment: "digits".into(),
            candidate: "Ada".into(),
            email: None,
            external_id: None,
            upload: "uploads/s_1-work.zip".into(),
            upload_bytes: 10,
            status,
            attempts: 1,
            verdict: Some(
                if status == Grading::InvalidSubmission {
                    "invalid_submission"
                } else {
                    "passed"
                }
                .into(),
            ),
            score: score.map(|s| s.0),
            max_score: score.map(|s| s.1),
            sha256: Some("sha256:00".into()),
            summary: Some("no predictions.csv\u{202e} was written".into()),
            created_at: "2026-11-23T10:00:00Z".into(),
            updated_at: "2026-11-23T10:05:00Z".into(),
            reproducibility: Some("reproducible".into()),
            test_groups: None,
            lease_token: 1,
            lost_attempts: 0,
            report_dir: None,
            image_id: None,
        }
    }

    #[test]
    fn a_graded_submission_has_a_percentage() {
        let outcome = of(&submission(Grading::Graded, Some((7.5, 9.0))), None).unwrap();
        assert_eq!(outcome.percent, Some(83.33));
        assert_eq!(outcome.score, Some(7.5));
        assert!(!outcome.invalid);
    }

    #[test]
    fn an_invalid_submission_has_its_reason_and_no_score() {
        let outcome = of(&submission(Grading::InvalidSubmission, Some((0.0, 10.0))), None).unwrap();
        assert!(outcome.invalid);
        assert_eq!(outcome.percent, None);
        assert_eq!(outcome.score, None);
        assert_eq!(
            outcome.summary, "no predictions.csv was written",
            "bidi controls dropped"
        );
    }

    #[test]
    fn nothing_before_the_end_and_never_a_harness_error() {
        for status in [Grading::Queued, Grading::Grading, Grading::HarnessError] {
            assert_eq!(of(&submission(status, None), None), None);
        }
    }
}
