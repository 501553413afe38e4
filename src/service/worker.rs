//! The grading workers inside `assay serve`: each takes the oldest queued submission, grades it
//! as `assay grade` would, and records the end. A harness failure puts the submission back in
//! the queue after a wait that doubles, up to a limit, and never counts against the candidate.

use std::sync::Arc;
use std::sync::atomic::Ordering;
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

/// Runs one grading loop until the process ends.
pub async fn run(service: Arc<Service>) {
    loop {
        if service.stopping.load(Ordering::SeqCst) {
            return;
        }
        let claimed = service.db.claim_next(&service.worker_id, service.lease).await;
        match claimed {
            Ok(Some(submission)) => {
                service.load.fetch_add(1, Ordering::SeqCst);
                let renewing = tokio::spawn(renew(service.clone(), submission.id.clone(), submission.lease_token));
                let graded = grade(&service, &submission).await;
                renewing.abort();
                service.load.fetch_sub(1, Ordering::SeqCst);
                if service.stopping.load(Ordering::SeqCst) {
                    // Cut short by the stop: queued again by the next start or the lease's end.
                    return;
                }
                warm_up(&service, &submission.assignment);
                if let Err(error) = graded {
                    tracing::error!("grading submission {}: {error:#}", submission.id);
                    // Back in the queue; should that fail too, its lease runs out and it is put back.
                    let wait = retry_wait(submission.attempts);
                    if let Err(error) = service.db.requeue(&submission.id, submission.lease_token, wait).await {
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

/// Makes the assignment's first phase ahead for its next submission (when the server keeps
/// warm containers and has none for it), beside the next grade.
fn warm_up(service: &Arc<Service>, assignment: &str) {
    let Some(pool) = service.warm.clone() else {
        return;
    };
    let (service, assignment) = (service.clone(), assignment.to_string());
    tokio::spawn(async move {
        if let Some(served) = service.assignments.get(&assignment) {
            pool.fill(&served.spec, &served.image_id).await;
        }
    });
}

/// Puts back the grades whose lease ran out (their worker is gone or stopped), every third of
/// a lease, whether or not this process's own workers are busy.
pub async fn reap(service: Arc<Service>) {
    loop {
        match service.db.reap_expired().await {
            Ok(lost) if !lost.is_empty() => {
                tracing::warn!(
                    "{} grade(s) lost their worker and are queued again: {}",
                    lost.len(),
                    lost.join(", ")
                );
                service.work.notify_one();
            }
            Ok(_) => {}
            Err(error) => tracing::error!("putting back grades whose lease ran out: {error}"),
        }
        tokio::time::sleep(service.lease / 3).await;
    }
}

/// Renews a claim every third of its lease while the grade runs.
async fn renew(service: Arc<Service>, id: String, token: i64) {
    loop {
        tokio::time::sleep(service.lease / 3).await;
        match service.db.renew(&id, token, service.lease).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!("submission {id}: this worker's lease ran out; its result will not be recorded");
                return;
            }
            Err(error) => tracing::warn!("submission {id}: renewing the lease: {error}"),
        }
    }
}

/// Records this process's load every few seconds, for `assay workers`.
pub async fn beat(service: Arc<Service>) {
    loop {
        let load = service.load.load(Ordering::SeqCst);
        if let Err(error) = service.db.worker_beat(&service.worker_id, load).await {
            tracing::warn!("recording this worker's heartbeat: {error}");
        }
        tokio::time::sleep(crate::service::workers::BEAT).await;
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
        service
            .db
            .hand_back(&submission.id, submission.lease_token, Duration::from_secs(30))
            .await?;
        return Ok(());
    };
    if let Some(expected) = submission.image_id.as_deref().filter(|e| *e != assignment.image_id) {
        tracing::error!(
            "submission {}: the job names sandbox image {expected}, this engine holds {} under {}; \
             not grading it here (sync the image: assay image sync)",
            submission.id,
            assignment.image_id,
            assignment.spec.sandbox.image
        );
        service
            .db
            .refuse_image(&submission.id, submission.lease_token, Duration::from_secs(30))
            .await?;
        return Ok(());
    }
    // Each claim grades into a folder of its own: a worker that lost its lease and finishes
    // late writes beside the grade that stands, never over it.
    let claim = format!("claims/{}-{}", submission.id, submission.lease_token);
    let out = service.reports().join(&claim);
    let mut grader = Grader::new(
        &service.backend,
        &assignment.spec,
        assignment.image_id.clone(),
        service.engine.clone(),
        out.clone(),
    );
    grader.warm = service.warm.as_deref();
    let upload = service.data.join(&submission.upload);
    grader.name = crate::service::uploads::original_name(&submission.id, &upload);
    let started = std::time::Instant::now();
    let graded = grader.grade(&upload).await?;
    if service.stopping.load(Ordering::SeqCst) {
        // The stop removed this grade's containers: its verdict is not the candidate's.
        return Ok(());
    }
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
                .requeue(&submission.id, submission.lease_token, retry_wait(submission.attempts))
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
        report_dir: &format!(
            "reports/{claim}/{}",
            crate::store::ReportDir::folder_name(&report.submission.sha256)
        ),
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
    if !service
        .db
        .finish(&submission.id, submission.lease_token, &finished, &event)
        .await?
    {
        tracing::warn!(
            "submission {}: graded after this worker's lease ran out; another worker's grade stands",
            submission.id
        );
        return Ok(());
    }
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
