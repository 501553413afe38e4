//! The Greenhouse Assessment Partner API, served under `/ats/greenhouse/`: `list_tests`,
//! `send_test`, `test_status` and `response_error`, each authenticated with the integration's
//! key as the HTTP Basic user. When a test is done (graded or expired), assay sends an empty
//! `PATCH` to the `url` of its `send_test`, and Greenhouse fetches `test_status`.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::audit::Direction;
use super::interviews::{Interview, NewInterview, live_key};
use super::status::Status;
use super::{Integration, Kind, inbound};
use crate::service::Service;

/// `{"error": "..."}` with a status, recorded in the audit.
async fn refuse(service: &Service, integration: &Integration, call: &str, status: StatusCode, why: String) -> Response {
    service
        .db
        .audit(&integration.id, Direction::In, call, None, Some(status.as_u16()), &why)
        .await;
    (status, Json(json!({ "error": why }))).into_response()
}

/// `GET list_tests`: the assignments this integration offers.
pub async fn list_tests(State(service): State<Arc<Service>>, headers: HeaderMap) -> Response {
    let integration = match inbound::authenticate(&service, &headers, Kind::Greenhouse).await {
        Ok(integration) => integration,
        Err(response) => return response,
    };
    let tests: Vec<Value> = integration
        .offered(service.assignments.keys())
        .into_iter()
        .map(|(test, assignment)| {
            json!({
                "partner_test_id": test,
                "partner_test_name": service.assignments[&assignment].spec.title,
            })
        })
        .collect();
    service
        .db
        .audit(
            &integration.id,
            Direction::In,
            "list_tests",
            None,
            Some(200),
            &format!("ok: {} tests", tests.len()),
        )
        .await;
    Json(tests).into_response()
}

#[derive(Deserialize)]
struct SendTest {
    partner_test_id: Option<Value>,
    candidate: Option<Candidate>,
    url: Option<String>,
}

#[derive(Deserialize, serde::Serialize)]
struct Candidate {
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    resume_url: Option<String>,
    phone_number: Option<String>,
    greenhouse_profile_url: Option<String>,
}

/// `POST send_test`: an invite for the candidate (assay emails nothing; the link goes out in
/// the `invite.created` webhook and `assay ats interviews`), or the live one made before.
pub async fn send_test(State(service): State<Arc<Service>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let integration = match inbound::authenticate(&service, &headers, Kind::Greenhouse).await {
        Ok(integration) => integration,
        Err(response) => return response,
    };
    let call = "send_test";
    let bad = |why: String| refuse(&service, &integration, call, StatusCode::BAD_REQUEST, why);
    let request: SendTest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => return bad(format!("the body is not a send_test request: {error}")).await,
    };
    let Some(test_id) = request.partner_test_id.as_ref().and_then(inbound::id_text) else {
        return bad("partner_test_id: missing".into()).await;
    };
    let Some(assignment) = inbound::assignment_of(&service, &integration, &test_id) else {
        return bad(format!(
            "partner_test_id: no test {} here; list_tests names them",
            crate::text::quoted(&test_id, 100)
        ))
        .await;
    };
    let Some(candidate) = request.candidate else {
        return bad("candidate: missing".into()).await;
    };
    let Some(email) = inbound::email(candidate.email.as_deref()) else {
        return bad("candidate.email: missing".into()).await;
    };
    let Some(url) = request.url.filter(|u| !u.trim().is_empty()) else {
        return bad("url: missing (where to PATCH when the test is done)".into()).await;
    };
    if let Err(why) = callback_allowed(&url, integration.api_url.as_deref()) {
        return bad(format!("url: {why}")).await;
    }
    let name = inbound::display_name(candidate.first_name.as_deref(), candidate.last_name.as_deref());
    let new = NewInterview {
        integration: &integration,
        test_id: &test_id,
        invite: inbound::invite(
            &integration,
            &assignment,
            name,
            email.clone(),
            candidate.greenhouse_profile_url.as_deref().map(inbound::field),
        ),
        candidate_json: serde_json::to_string(&candidate).unwrap_or_default(),
        callback_url: Some(url),
        live_key: live_key(&integration.id, &test_id, &[&email.to_lowercase()]),
        link: &|invite_id| service.invite_url(invite_id),
    };
    match inbound::start(&service, &new, call).await {
        Ok(id) => Json(json!({ "partner_interview_id": id })).into_response(),
        Err(response) => response,
    }
}

#[derive(Deserialize)]
pub struct StatusQuery {
    partner_interview_id: Option<String>,
}

/// `GET test_status?partner_interview_id=`: where the test stands; `complete` once graded.
pub async fn test_status(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    query: Result<Query<StatusQuery>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let integration = match inbound::authenticate(&service, &headers, Kind::Greenhouse).await {
        Ok(integration) => integration,
        Err(response) => return response,
    };
    let call = "test_status";
    let Some(id) = query.ok().and_then(|q| q.0.partner_interview_id) else {
        return refuse(
            &service,
            &integration,
            call,
            StatusCode::BAD_REQUEST,
            "partner_interview_id: missing".into(),
        )
        .await;
    };
    let interview = match service.db.interview(&integration.id, &id).await {
        Ok(Some(interview)) => interview,
        Ok(None) => {
            let why = format!(
                "partner_interview_id: no test {} was sent here",
                crate::text::quoted(&id, 100)
            );
            return refuse(&service, &integration, call, StatusCode::NOT_FOUND, why).await;
        }
        Err(error) => return inbound::failed(&service, &integration, call, error).await,
    };
    match status_body(&service, &interview).await {
        Ok(body) => {
            let outcome = format!("ok: {}", body["partner_status"].as_str().unwrap_or_default());
            service
                .db
                .audit(
                    &integration.id,
                    Direction::In,
                    call,
                    Some(&interview.id),
                    Some(200),
                    &outcome,
                )
                .await;
            Json(body).into_response()
        }
        Err(error) => inbound::failed(&service, &integration, call, error).await,
    }
}

/// The `test_status` answer for an interview.
async fn status_body(service: &Service, interview: &Interview) -> Result<Value, crate::service::db::DbError> {
    let status = interview.status();
    let mut metadata = serde_json::Map::new();
    metadata.insert("Status".into(), json!(status.as_str()));
    let (submission, outcome) = super::outcome::of_interview(service, interview).await?;
    let outcome = outcome.filter(|_| status == Status::Graded);
    if let Some(submission) = &submission {
        metadata.insert("Submitted At".into(), json!(submission.created_at));
    } else if !status.is_final() {
        metadata.insert("Link Expires At".into(), json!(interview.invite.expires_at));
    }
    if let Some(outcome) = &outcome {
        metadata.insert("Verdict".into(), json!(outcome.verdict));
        metadata.insert("Graded At".into(), json!(outcome.graded_at));
        if outcome.invalid {
            metadata.insert("Reason".into(), json!(outcome.summary));
        }
        if let (Some(score), Some(max)) = (outcome.score, outcome.max_score) {
            metadata.insert("Score".into(), json!(format!("{score} / {max}")));
        }
        if let Some(reproducibility) = &outcome.reproducibility {
            metadata.insert("Reproducibility".into(), json!(reproducibility));
        }
        for (name, value) in &outcome.metrics {
            metadata.insert(format!("Metric: {name}"), json!(value));
        }
    }
    let complete = outcome.is_some();
    Ok(json!({
        "partner_status": if complete { "complete" } else { status.as_str() },
        "partner_profile_url": submission.as_ref().filter(|_| complete).map(|s| service.profile_url(&s.id)),
        "partner_score": outcome.as_ref().and_then(|o| o.percent),
        "metadata": metadata,
    }))
}

/// `POST response_error`: Greenhouse found one of our answers malformed. Recorded in the
/// audit (cut, made plain) and logged; answered 200.
pub async fn response_error(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let integration = match inbound::authenticate(&service, &headers, Kind::Greenhouse).await {
        Ok(integration) => integration,
        Err(response) => return response,
    };
    let call = "response_error";
    let report: Value = match serde_json::from_slice(&body) {
        Ok(report @ Value::Object(_)) => report,
        _ => {
            return refuse(
                &service,
                &integration,
                call,
                StatusCode::BAD_REQUEST,
                "the body is not a JSON object".into(),
            )
            .await;
        }
    };
    let api_call = report["api_call"].as_str().unwrap_or("?");
    let errors: Vec<String> = match &report["errors"] {
        Value::Array(errors) => errors
            .iter()
            .map(|e| e.as_str().map_or_else(|| e.to_string(), str::to_string))
            .collect(),
        other => vec![other.to_string()],
    };
    let interview = report.get("partner_interview_id").and_then(inbound::id_text);
    let outcome = format!(
        "Greenhouse found our {} answer malformed: {}",
        crate::text::quoted(api_call, 60),
        crate::text::quoted(&errors.join("; "), 1000)
    );
    tracing::warn!("ATS {}: {}", integration.name, crate::text::terminal_safe(&outcome));
    service
        .db
        .audit(
            &integration.id,
            Direction::In,
            call,
            interview.as_deref(),
            Some(200),
            &outcome,
        )
        .await;
    Json(json!({ "status": 200 })).into_response()
}

/// Greenhouse hears only of the end: the PATCH says "done, come and look".
pub fn tells(status: Status) -> bool {
    matches!(status, Status::Graded | Status::Expired)
}

/// Whether assay may send a PATCH (carrying the key) to `url`: to the integration's own
/// origin when it has one, else over HTTPS to Greenhouse only.
pub fn callback_allowed(url: &str, origin: Option<&str>) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a URL ({e})"))?;
    if let Some(origin) = origin {
        let origin = reqwest::Url::parse(origin).map_err(|e| format!("the integration's origin is not a URL ({e})"))?;
        return if parsed.origin() == origin.origin() {
            Ok(())
        } else {
            Err(format!(
                "callbacks go to {} only",
                origin.origin().ascii_serialization()
            ))
        };
    }
    let host = parsed.host_str().unwrap_or_default();
    if parsed.scheme() == "https" && (host == "greenhouse.io" || host.ends_with(".greenhouse.io")) {
        Ok(())
    } else {
        Err("callbacks go to https://*.greenhouse.io only".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_go_to_greenhouse_or_the_integrations_own_origin() {
        let ok = "https://app.greenhouse.io/integrations/testing_partners/take_home_tests/12345";
        assert_eq!(callback_allowed(ok, None), Ok(()));
        assert_eq!(callback_allowed("https://app.eu.greenhouse.io/x", None), Ok(()));
        for bad in [
            "http://app.greenhouse.io/x",
            "https://greenhouse.io.evil.example/x",
            "https://evilgreenhouse.io/x",
            "https://169.254.169.254/latest",
            "not a url",
        ] {
            assert!(callback_allowed(bad, None).is_err(), "{bad}");
        }
        let origin = Some("http://127.0.0.1:4000");
        assert_eq!(callback_allowed("http://127.0.0.1:4000/tests/1", origin), Ok(()));
        assert!(callback_allowed("http://127.0.0.1:4001/tests/1", origin).is_err());
        assert!(callback_allowed(ok, origin).is_err());
    }

    #[test]
    fn only_the_end_is_told() {
        assert!(tells(Status::Graded) && tells(Status::Expired));
        for status in [Status::Invited, Status::Started, Status::Submitted, Status::Cancelled] {
            assert!(!tells(status));
        }
    }
}
