//! What every call from an ATS shares: the key check, the test it names, and the candidate's
//! fields made safe to keep and show.

use std::time::SystemTime;

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::audit::Direction;
use super::interviews::{NewInterview, Started};
use super::{Integration, Kind, basic_auth};
use crate::service::Service;
use crate::service::db::DbError;
use crate::service::invites::Invite;

/// Longest candidate name kept on the invite (the ATS's whole record is kept beside it).
const MAX_NAME_CHARS: usize = 200;
/// Longest email or external id kept on the invite.
const MAX_FIELD_CHARS: usize = 500;

/// The integration of `kind` whose key the request names, or a 401.
pub async fn authenticate(service: &Service, headers: &HeaderMap, kind: Kind) -> Result<Integration, Response> {
    let found = match basic_auth::key(headers) {
        Some(key) => {
            service
                .db
                .integration_by_key(kind, &crate::sha256::of_bytes(key.as_bytes()))
                .await
        }
        None => Ok(None),
    };
    match found {
        Ok(Some(integration)) => Ok(integration),
        Ok(None) => {
            // No integration to audit it under: the log keeps it.
            tracing::warn!("a call to the {} endpoints without a valid key: 401", kind.as_str());
            let mut response = (
                StatusCode::UNAUTHORIZED,
                Json(json!({ "error": "a valid key is needed, as the HTTP Basic user" })),
            )
                .into_response();
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"assay\""),
            );
            Err(response)
        }
        Err(error) => Err(internal(error)),
    }
}

/// Starts the interview (or finds the live one), audits the call and wakes the deliveries;
/// gives the interview's id, or the answer to send when the server failed.
pub async fn start(service: &Service, new: &NewInterview<'_>, call: &str) -> Result<String, Response> {
    let integration = new.integration;
    let started = match service.db.start_interview(new).await {
        Ok(started) => started,
        Err(error) => return Err(failed(service, integration, call, error).await),
    };
    let outcome = match &started {
        Started::New { invite_id, .. } => format!("ok: invite {invite_id} made"),
        Started::Existing { .. } => "ok: this candidate has this test already; the same interview".into(),
    };
    let id = started.interview_id().to_string();
    service
        .db
        .audit(&integration.id, Direction::In, call, Some(&id), Some(200), &outcome)
        .await;
    service.notify_changes();
    Ok(id)
}

/// Our failure, not the ATS's: logged and audited in full, answered 500 in general.
pub async fn failed(service: &Service, integration: &Integration, call: &str, error: DbError) -> Response {
    service
        .db
        .audit(
            &integration.id,
            Direction::In,
            call,
            None,
            Some(500),
            &format!("the server failed: {error}"),
        )
        .await;
    internal(error)
}

/// A 500 that says nothing of ours; the error is logged.
fn internal(error: DbError) -> Response {
    tracing::error!("ATS call: {error}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(json!({ "error": "the server failed; try again" })),
    )
        .into_response()
}

/// An id an ATS may send as a string or a number.
pub fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_string()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// The served assignment behind one of the integration's test ids.
pub fn assignment_of(service: &Service, integration: &Integration, test_id: &str) -> Option<String> {
    integration
        .offered(service.assignments.keys())
        .into_iter()
        .find(|(test, _)| test == test_id)
        .map(|(_, assignment)| assignment)
}

/// Text from an ATS as assay keeps it on the invite: plain (no control or bidi characters),
/// trimmed, cut at `max` characters with an ellipsis.
fn cut(text: &str, max: usize) -> String {
    let plain = crate::text::plain(text).replace(['\n', '\t'], " ");
    let plain = plain.trim();
    match plain.char_indices().nth(max) {
        None => plain.to_string(),
        Some((end, _)) => format!("{}…", &plain[..end]),
    }
}

/// The candidate's email, when there is one.
pub fn email(email: Option<&str>) -> Option<String> {
    email.map(|e| cut(e, MAX_FIELD_CHARS)).filter(|e| !e.is_empty())
}

/// A field kept on the invite (an external id).
pub fn field(text: &str) -> String {
    cut(text, MAX_FIELD_CHARS)
}

/// The name shown for the candidate: first and last, or "Candidate" when both are empty.
pub fn display_name(first: Option<&str>, last: Option<&str>) -> String {
    let whole = format!("{} {}", first.unwrap_or_default(), last.unwrap_or_default());
    let name = cut(&whole, MAX_NAME_CHARS);
    if name.is_empty() { "Candidate".into() } else { name }
}

/// A new invite for this integration's candidate (its id is given when it is recorded).
pub fn invite(
    integration: &Integration,
    assignment: &str,
    candidate: String,
    email: String,
    external_id: Option<String>,
) -> Invite {
    let expires = SystemTime::now() + integration.link_lifetime;
    Invite {
        id: String::new(),
        assignment: assignment.to_string(),
        candidate,
        email: Some(email),
        external_id: external_id.filter(|e| !e.is_empty()),
        expires_at: humantime::format_rfc3339_micros(expires).to_string(),
        used_at: None,
        submission_id: None,
        opened_at: None,
        cancelled_at: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hostile_names_are_kept_plain_and_short() {
        let name = display_name(Some("<b>Ada</b>\u{202e}"), Some("Love\u{1b}[31mlace"));
        assert_eq!(name, "<b>Ada</b> Lovelace", "markup stays text, escaped where shown");
        let long = display_name(Some(&"x".repeat(10_000)), None);
        assert_eq!(long.chars().count(), MAX_NAME_CHARS + 1);
        assert!(long.ends_with('…'));
        assert_eq!(display_name(Some(" "), None), "Candidate");
        assert_eq!(email(Some("  ")), None);
    }

    #[test]
    fn ids_come_as_strings_or_numbers() {
        assert_eq!(id_text(&json!("12345")).as_deref(), Some("12345"));
        assert_eq!(id_text(&json!(12345)).as_deref(), Some("12345"));
        assert_eq!(id_text(&json!(null)), None);
        assert_eq!(id_text(&json!(" ")), None);
        assert_eq!(id_text(&json!({"a": 1})), None);
    }

    proptest! {
        #[test]
        fn any_name_is_kept_bounded_and_plain(first in any::<String>(), last in any::<String>()) {
            let name = display_name(Some(&first), Some(&last));
            prop_assert!(name.chars().count() <= MAX_NAME_CHARS + 1);
            let hidden = name.chars().any(|c| c.is_control() || ('\u{202a}'..='\u{202e}').contains(&c));
            prop_assert!(!hidden, "{:?}", name);
        }
    }
}
