//! The grading workers inside `assay serve`: each takes the oldest queued submission, grades it
//! as `assay grade` would, and records the end. A harness failure puts the submission back in
//! the queue after a wait that doubles, up to a limit, and never counts against the candidate.

use std::sync::Arc;
use std::time::Duration;

use super::Service;
use super::db::{Finished, Status, Submission};
use crate::grade::Grader;
use crate::model::RunVerdict;

/// Grades of one submission the harness may fail before it is reported as a harness error.
pub const MAX_ATTEMPTS: i64 = 3;

/// The wait before grading again after the harness failed `attempts` times: 2 s, then double
/// each time (at most 5 minutes), so a passing fault (the engine restarting) can clear.
pub fn retry_wait(attempts: i64) -> Duration {
    let doublings = attempts.clamp(1, 9) as u32 - 1;
    Duration::from_secs(2 * 2u64.pow(doublings)).min(Duration::from_secs(300))
}

/// Runs one worker until the process ends.
pub async fn run(service: Arc<Service>) {
    loop {
        let claimed = service.db.claim_next().await;
        match claimed {
            Ok(Some(submission)) => {
                if let Err(error) = grade(&service, &submission).await {
                    tracing::error!("grading submission {}: {error:#}", submission.id);
                    // Back in the queue; should that fail too, the next start requeues it.
                    let wait = retry_wait(submission.attempts);
                    if let Err(error) = service.db.requeue(&submission.id, wait).await {
                        tracing::error!("requeueing submission {}: {error}", submission.id);
                    }
                }
            }
            Ok(None) => {
                // Woken by an upload, or every second in case another process queued work.
                let _ = tokio::time::timeout(Duration::from_secs(1), service.work.notified()).await;
            }
            Err(error) => {
                tracing::error!("taking a submission from the queue: {error}");
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    }
}

async fn grade(service: &Service, submission: &Submission) -> anyhow::Result<()> {
    let Some(assignment) = service.assignments.get(&submission.assignment) else {
        // The server was restarted without this assignment: wait for one that has it.
        tracing::warn!(
            "submission {}: assignment {} is not served here",
            submission.id,
            submission.assignment
        );
        service.db.requeue(&submission.id, Duration::from_secs(30)).await?;
        return Ok(());
    };
    let mut grader = Grader::new(
        &service.backend,
        &assignment.spec,
        assignment.image_id.clone(),
        service.engine.clone(),
        service.reports(),
    );
    let upload = service.data.join(&submission.upload);
    grader.name = crate::service::uploads::original_name(&submission.id, &upload);
    let started = std::time::Instant::now();
    let graded = grader.grade(&upload).await?;
    let report = &graded.report;
    let status = match report.verdict {
        RunVerdict::Passed | RunVerdict::Failed => Status::Graded,
        RunVerdict::InvalidSubmission => Status::InvalidSubmission,
        RunVerdict::HarnessError if submission.attempts < MAX_ATTEMPTS => {
            tracing::warn!(
                "submission {}: the harness failed (attempt {}); grading it again",
                submission.id,
                submission.attempts
            );
            service
                .db
                .requeue(&submission.id, retry_wait(submission.attempts))
                .await?;
            return Ok(());
        }
        RunVerdict::HarnessError => Status::HarnessError,
    };
    let finished = Finished {
        status,
        verdict: report.verdict.as_str(),
        score: report.score.map(|s| (s.total, s.max)),
        sha256: &report.submission.sha256,
        summary: &report.summary,
        reproducibility: report.reproducibility.status.as_str(),
        test_groups: serde_json::json!(
            report
                .test_groups
                .iter()
                .map(|g| serde_json::json!({"name": g.name, "passed": g.passed}))
                .collect::<Vec<_>>()
        )
        .to_string(),
    };
    let event = super::outbox::Event {
        name: "grading.finished",
        data: serde_json::json!({
            "id": submission.id,
            "assignment": submission.assignment,
            "candidate": submission.candidate,
            "external_id": submission.external_id,
            "status": status,
            "verdict": report.verdict,
            "score": report.score.map(|s| s.total),
            "max_score": report.score.map(|s| s.max),
            "summary": report.summary,
            "reproducibility": report.reproducibility.status,
            "metrics": report.metrics.iter().map(|m| serde_json::json!({
                "name": m.name, "value": m.value, "passed": m.passed,
            })).collect::<Vec<_>>(),
            "report_url": format!("{}/api/v1/submissions/{}/report.json", service.public_url, submission.id),
            "review_url": service.profile_url(&submission.id),
        }),
    };
    service.db.finish(&submission.id, &finished, &event).await?;
    service.notify_changes();
    service.metrics.graded(report.verdict, started.elapsed().as_secs_f64());
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn harness_retries_wait_longer_each_time() {
        use std::time::Duration;
        assert_eq!(super::retry_wait(1), Duration::from_secs(2));
        assert_eq!(super::retry_wait(2), Duration::from_secs(4));
        assert_eq!(super::retry_wait(3), Duration::from_secs(8));
        assert_eq!(super::retry_wait(40), Duration::from_secs(300));
    }
}
