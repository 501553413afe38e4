//! Ashby's assessments, served under `/ats/ashby/`: `assessment.list`, `assessment.start` and
//! `assessment.cancel`, authenticated with the integration's key as the HTTP Basic user. As an
//! assessment moves on (started, submitted, graded, expired), assay calls Ashby's
//! `assessment.update` with the customer's Ashby API key.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::audit::Direction;
use super::interviews::{Cancelled, NewInterview, live_key};
use super::outcome::Outcome;
use super::status::Status;
use super::{Integration, Kind, inbound};
use crate::service::Service;

/// `{"success": false, "message": ...}` with a status, recorded in the audit; Ashby shows
/// the message of a 422 to its user.
async fn refuse(service: &Service, integration: &Integration, call: &str, status: StatusCode, why: String) -> Response {
    service
        .db
        .audit(&integration.id, Direction::In, call, None, Some(status.as_u16()), &why)
        .await;
    (
        status,
        Json(json!({ "success": false, "message": why, "errors": [why] })),
    )
        .into_response()
}

/// `POST assessment.list`: the assignments this integration offers.
pub async fn list(State(service): State<Arc<Service>>, headers: HeaderMap) -> Response {
    let integration = match inbound::authenticate(&service, &headers, Kind::Ashby).await {
        Ok(integration) => integration,
        Err(response) => return response,
    };
    let results: Vec<Value> = integration
        .offered(service.assignments.keys())
        .into_iter()
        .map(|(test, assignment)| {
            let spec = &service.assignments[&assignment].spec;
            json!({
                "assessment_type_id": test,
                "name": spec.title,
                "description": format!("Take-home assignment {} graded by assay", spec.id),
            })
        })
        .collect();
    service
        .db
        .audit(
            &integration.id,
            Direction::In,
            "assessment.list",
            None,
            Some(200),
            &format!("ok: {} assessments", results.len()),
        )
        .await;
    Json(json!({ "success": true, "results": results })).into_response()
}

#[derive(Deserialize)]
struct Start {
    assessment_type_id: Option<Value>,
    candidate: Option<Candidate>,
    application: Option<Value>,
    job: Option<Value>,
}

#[derive(Deserialize, serde::Serialize)]
struct Candidate {
    ashby_id: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    ashby_profile_url: Option<String>,
}

/// `POST assessment.start`: an invite for the candidate, or the live one made before for the
/// same candidate, application and assessment.
pub async fn start(State(service): State<Arc<Service>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let integration = match inbound::authenticate(&service, &headers, Kind::Ashby).await {
        Ok(integration) => integration,
        Err(response) => return response,
    };
    let call = "assessment.start";
    let bad = |why: String| refuse(&service, &integration, call, StatusCode::UNPROCESSABLE_ENTITY, why);
    let request: Start = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(error) => return bad(format!("the body is not an assessment.start request: {error}")).await,
    };
    let Some(test_id) = request.assessment_type_id.as_ref().and_then(inbound::id_text) else {
        return bad("assessment_type_id: missing".into()).await;
    };
    let Some(assignment) = inbound::assignment_of(&service, &integration, &test_id) else {
        return bad(format!(
            "assessment_type_id: no assessment {} here; assessment.list names them",
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
    let application = request
        .application
        .as_ref()
        .and_then(|a| a.get("ashby_id"))
        .and_then(inbound::id_text)
        .unwrap_or_default();
    let person = candidate.ashby_id.clone().unwrap_or_else(|| email.to_lowercase());
    let name = inbound::display_name(candidate.first_name.as_deref(), candidate.last_name.as_deref());
    let whole = json!({ "candidate": candidate, "application": request.application, "job": request.job });
    let new = NewInterview {
        integration: &integration,
        test_id: &test_id,
        invite: inbound::invite(
            &integration,
            &assignment,
            name,
            email,
            candidate.ashby_id.as_deref().map(inbound::field),
        ),
        candidate_json: whole.to_string(),
        callback_url: None,
        live_key: live_key(&integration.id, &test_id, &[&person, &application]),
        link: &|invite_id| service.invite_url(invite_id),
    };
    let id = match inbound::start(&service, &new, call).await {
        Ok(id) => id,
        Err(response) => return response,
    };
    Json(json!({
        "success": true,
        "results": {
            "assessment_id": id,
            "update_request": {
                "assessment_id": id,
                "timestamp": unix_ms(),
                "assessment_status": field("status", "Status", "string", json!("Invited")),
                "metadata": [],
            },
        },
    }))
    .into_response()
}

#[derive(Deserialize)]
struct Cancel {
    assessment_id: Option<Value>,
}

/// `POST assessment.cancel`: the candidate's link takes no upload after, and Ashby is told
/// nothing more of it.
pub async fn cancel(State(service): State<Arc<Service>>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let integration = match inbound::authenticate(&service, &headers, Kind::Ashby).await {
        Ok(integration) => integration,
        Err(response) => return response,
    };
    let call = "assessment.cancel";
    let id = match serde_json::from_slice::<Cancel>(&body) {
        Ok(Cancel {
            assessment_id: Some(id),
        }) => inbound::id_text(&id),
        _ => None,
    };
    let Some(id) = id else {
        return refuse(
            &service,
            &integration,
            call,
            StatusCode::UNPROCESSABLE_ENTITY,
            "assessment_id: missing".into(),
        )
        .await;
    };
    match service.db.cancel_interview(&integration.id, &id).await {
        Ok(Cancelled::NoSuchInterview) => {
            let why = format!(
                "assessment_id: no assessment {} was started here",
                crate::text::quoted(&id, 100)
            );
            refuse(&service, &integration, call, StatusCode::NOT_FOUND, why).await
        }
        Ok(done) => {
            let outcome = if done == Cancelled::Now {
                "ok: cancelled"
            } else {
                "ok: cancelled before"
            };
            service
                .db
                .audit(&integration.id, Direction::In, call, Some(&id), Some(200), outcome)
                .await;
            Json(json!({ "success": true, "results": { "assessment_id": id } })).into_response()
        }
        Err(error) => inbound::failed(&service, &integration, call, error).await,
    }
}

/// Ashby hears of every step but the first (it made it) and a cancel (it asked for it).
pub fn tells(status: Status) -> bool {
    matches!(
        status,
        Status::Started | Status::Submitted | Status::Graded | Status::Expired
    )
}

fn field(identifier: &str, label: &str, kind: &str, value: Value) -> Value {
    json!({ "identifier": identifier, "label": label, "type": kind, "value": value })
}

/// Now, in milliseconds since the Unix epoch, as Ashby's timestamps are.
pub fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::SystemTime::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or_default()
}

/// The `assessment.update` body that tells Ashby `status`.
pub fn update_body(
    assessment_id: &str,
    status: Status,
    outcome: Option<&Outcome>,
    profile_url: Option<&str>,
    expires_at: &str,
    timestamp_ms: u64,
) -> Value {
    let mut body = json!({ "assessment_id": assessment_id, "timestamp": timestamp_ms });
    let mut metadata = Vec::new();
    match (status, outcome) {
        (Status::Expired, _) => {
            body["cancelled_reason"] = field(
                "cancelled_reason",
                "Cancelled",
                "string",
                json!(format!("expired: the candidate's link was not used by {expires_at}")),
            );
        }
        (Status::Graded, Some(outcome)) => {
            body["assessment_status"] = field("status", "Status", "string", json!("Completed"));
            body["assessment_result"] = match outcome.percent {
                Some(percent) if !outcome.invalid => field("score", "Score", "numeric_score", json!(percent)),
                _ => field("result", "Result", "string", json!("Invalid submission")),
            };
            if let Some(url) = profile_url {
                body["assessment_profile_url"] = field("profile", "Report", "url", json!(url));
            }
            metadata.push(field("verdict", "Verdict", "string", json!(outcome.verdict)));
            metadata.push(field(
                "passed",
                "Passed",
                "boolean_success",
                json!(outcome.verdict == "passed"),
            ));
            if outcome.invalid {
                metadata.push(field("reason", "Reason", "string", json!(outcome.summary)));
            }
            if let (Some(score), Some(max)) = (outcome.score, outcome.max_score) {
                metadata.push(field("points", "Points", "string", json!(format!("{score} / {max}"))));
            }
            if let Some(reproducibility) = &outcome.reproducibility {
                metadata.push(field(
                    "reproducibility",
                    "Reproducibility",
                    "string",
                    json!(reproducibility),
                ));
            }
            for (name, value) in &outcome.metrics {
                metadata.push(field(&format!("metric.{name}"), name, "numeric_score", json!(value)));
            }
        }
        (status, _) => {
            let shown = match status {
                Status::Started => "Started",
                Status::Submitted => "Submitted",
                _ => "Invited",
            };
            body["assessment_status"] = field("status", "Status", "string", json!(shown));
        }
    }
    body["metadata"] = Value::Array(metadata);
    body
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::ats::outcome::{self, tests::submission};
    use crate::service::db::Status as Grading;

    #[test]
    fn a_grade_is_a_result_with_a_profile_and_typed_metadata() {
        let graded = outcome::of(&submission(Grading::Graded, Some((8.0, 10.0))), None).unwrap();
        let body = update_body(
            "ab_1",
            Status::Graded,
            Some(&graded),
            Some("https://assay/review/submissions/s_1"),
            "",
            5,
        );
        assert_eq!(body["assessment_id"], "ab_1");
        assert_eq!(body["timestamp"], 5);
        assert_eq!(body["assessment_result"]["type"], "numeric_score");
        assert_eq!(body["assessment_result"]["value"], 80.0);
        assert_eq!(body["assessment_profile_url"]["type"], "url");
        let metadata = body["metadata"].as_array().unwrap();
        assert!(
            metadata
                .iter()
                .all(|m| m["identifier"].is_string() && m["label"].is_string() && m["type"].is_string())
        );
        assert!(
            metadata
                .iter()
                .any(|m| m["identifier"] == "passed" && m["value"] == true)
        );
    }

    #[test]
    fn an_invalid_submission_is_a_result_with_its_reason() {
        let invalid = outcome::of(&submission(Grading::InvalidSubmission, None), None).unwrap();
        let body = update_body("ab_1", Status::Graded, Some(&invalid), None, "", 5);
        assert_eq!(body["assessment_result"]["value"], "Invalid submission");
        assert!(
            body["metadata"]
                .as_array()
                .unwrap()
                .iter()
                .any(|m| m["identifier"] == "reason")
        );
    }

    #[test]
    fn an_expired_link_is_a_cancellation_and_steps_are_statuses() {
        let body = update_body("ab_1", Status::Expired, None, None, "2026-11-30T00:00:00Z", 5);
        assert!(
            body["cancelled_reason"]["value"]
                .as_str()
                .unwrap()
                .starts_with("expired")
        );
        assert!(body.get("assessment_result").is_none());
        let body = update_body("ab_1", Status::Started, None, None, "", 5);
        assert_eq!(body["assessment_status"]["value"], "Started");
        assert!(tells(Status::Submitted) && !tells(Status::Cancelled) && !tells(Status::Invited));
    }
}
