//! Telling each ATS how its interviews stand. The status is worked out afresh from the invite
//! and the submission every time, so nothing is lost to a restart: what the ATS was last told
//! is recorded only once it answered 2xx. A failed call is tried again with the webhooks'
//! backoff (doubling, with jitter) up to `webhooks::MAX_ATTEMPTS`; every attempt is audited.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::audit::Direction;
use super::interviews::Interview;
use super::status::Status;
use super::{ASHBY_API, Integration, Kind, ashby, basic_auth, greenhouse, sealed};
use crate::service::Service;
use crate::service::db::DbError;
use crate::service::webhooks::{MAX_ATTEMPTS, backoff, random_unit};

/// How long one process holds an interview it is calling about.
const LEASE: Duration = Duration::from_secs(60);

/// Longest part of an ATS's answer kept in the audit.
const MAX_ANSWER_CHARS: usize = 300;

/// Whether an ATS of this kind hears of `status`.
fn tells(kind: Kind, status: Status) -> bool {
    match kind {
        Kind::Greenhouse => greenhouse::tells(status),
        Kind::Ashby => ashby::tells(status),
    }
}

/// Runs until the process ends; `base` is the first retry's wait.
pub async fn run(service: Arc<Service>, base: Duration) {
    let client = match crate::service::webhooks::outbound_client() {
        Ok(client) => client,
        Err(error) => {
            tracing::error!("ATS updates are off: no HTTP client ({error})");
            return;
        }
    };
    loop {
        if let Err(error) = pass(&service, &client, base).await {
            tracing::error!("telling the ATSs: {error}");
        }
        // Woken by a change here, or every second for changes elsewhere and for expiry.
        let _ = tokio::time::timeout(Duration::from_secs(1), service.ats_wake.notified()).await;
    }
}

/// Interviews looked at per query.
const PAGE: i64 = 500;

/// One look at every interview that is due, a page at a time.
async fn pass(service: &Service, client: &reqwest::Client, base: Duration) -> Result<(), DbError> {
    let mut after = String::new();
    loop {
        let due = service.db.interviews_due(&after, PAGE).await?;
        let Some(last) = due.last() else { return Ok(()) };
        after = last.id.clone();
        let full = due.len() as i64 == PAGE;
        look_at(service, client, base, due).await?;
        if !full {
            return Ok(());
        }
    }
}

/// Tells each ATS what it has not heard of these interviews.
async fn look_at(
    service: &Service,
    client: &reqwest::Client,
    base: Duration,
    due: Vec<Interview>,
) -> Result<(), DbError> {
    let integrations = service.db.integrations().await?;
    for interview in due {
        let status = interview.status();
        if Status::parse(&interview.reported) == Some(status) {
            continue;
        }
        if !tells(interview.kind, status) {
            // Nothing to say about this step (Greenhouse hears only of the end).
            service.db.reported(&interview.id, status).await?;
            continue;
        }
        let Some(integration) = integrations.iter().find(|i| i.id == interview.integration_id) else {
            continue;
        };
        let lease = humantime::format_rfc3339_micros(SystemTime::now() + LEASE).to_string();
        if !service.db.claim_interview(&interview, &lease).await? {
            continue;
        }
        let attempt = tell(service, client, integration, &interview, status).await;
        let (call, status_code, outcome) = match &attempt {
            Ok((call, code)) => (*call, Some(*code), format!("ok: told {}", status.as_str())),
            Err((call, code, why)) => (*call, *code, why.clone()),
        };
        service
            .db
            .audit(
                &integration.id,
                Direction::Out,
                call,
                Some(&interview.id),
                status_code,
                &outcome,
            )
            .await;
        match attempt {
            Ok(_) => service.db.reported(&interview.id, status).await?,
            Err(_) => {
                let attempts = interview.attempts + 1;
                let retry_at = (attempts < MAX_ATTEMPTS).then(|| {
                    let wait = backoff(base, interview.attempts, random_unit());
                    humantime::format_rfc3339_micros(SystemTime::now() + wait).to_string()
                });
                if retry_at.is_none() {
                    tracing::error!(
                        "ATS {}: gave up telling interview {} it is {} after {attempts} attempts",
                        integration.name,
                        interview.id,
                        status.as_str()
                    );
                    service
                        .db
                        .audit(
                            &integration.id,
                            Direction::Out,
                            call,
                            Some(&interview.id),
                            None,
                            "gave up",
                        )
                        .await;
                }
                service.db.report_failed(&interview.id, attempts, retry_at).await?;
            }
        }
    }
    Ok(())
}

type Told = Result<(&'static str, u16), (&'static str, Option<u16>, String)>;

/// One call to the ATS.
async fn tell(
    service: &Service,
    client: &reqwest::Client,
    integration: &Integration,
    interview: &Interview,
    status: Status,
) -> Told {
    let call = match interview.kind {
        Kind::Greenhouse => "completed",
        Kind::Ashby => "assessment.update",
    };
    let secret = match service.db.outbound_sealed(&integration.id).await {
        Ok(sealed) => sealed::open(&service.ats_key, &sealed).map_err(|why| (call, None, why))?,
        Err(error) => return Err((call, None, error.to_string())),
    };
    let request = match interview.kind {
        Kind::Greenhouse => {
            let Some(url) = &interview.callback_url else {
                return Err((call, None, "no url to PATCH was given with send_test".into()));
            };
            // Checked when it was given; checked again in case the integration changed.
            greenhouse::callback_allowed(url, integration.api_url.as_deref()).map_err(|why| (call, None, why))?;
            client.patch(url)
        }
        Kind::Ashby => {
            let body = ashby_body(service, interview, status)
                .await
                .map_err(|why| (call, None, why))?;
            let base = integration
                .api_url
                .as_deref()
                .unwrap_or(ASHBY_API)
                .trim_end_matches('/');
            client.post(format!("{base}/assessment.update")).json(&body)
        }
    };
    let sent = request
        .header(reqwest::header::AUTHORIZATION, basic_auth::header(&secret))
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => Ok((call, response.status().as_u16())),
        Ok(response) => {
            let code = response.status().as_u16();
            let answer = response.text().await.unwrap_or_default();
            Err((
                call,
                Some(code),
                format!(
                    "the ATS answered {code}: {}",
                    crate::text::quoted(&answer, MAX_ANSWER_CHARS)
                ),
            ))
        }
        Err(error) => Err((call, None, format!("the ATS could not be reached: {error}"))),
    }
}

async fn ashby_body(service: &Service, interview: &Interview, status: Status) -> Result<serde_json::Value, String> {
    let (submission, outcome) = super::outcome::of_interview(service, interview)
        .await
        .map_err(|e| e.to_string())?;
    let profile = submission.as_ref().map(|s| service.profile_url(&s.id));

    Ok(ashby::update_body(
        &interview.id,
        status,
        outcome.as_ref(),
        profile.as_deref(),
        &interview.invite.expires_at,
        ashby::unix_ms(),
    ))
}
