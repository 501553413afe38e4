//! Invites: `POST /api/v1/invites` makes a link for one candidate; `/invite/<token>` is a plain
//! page (no script) with the assignment's README and an upload form, then the candidate's
//! status and, once graded, their feedback.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Json;
use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};

use super::submissions::{Accepted, accept, optional, read_form, required};
use super::{ApiError, authorize};
use crate::service::Service;
use crate::service::auth::Need;
use crate::service::clock::random_id;
use crate::service::db::{Inserted, Status};
use crate::service::invites::{Invite, MAX_HOURS, link_token, verify};

const PAGE: &str = include_str!("../templates/invite.html");

/// Pages hold no script and load nothing; the form posts back to the same link.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'";

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewInvite {
    pub assignment: String,
    pub candidate: String,
    pub email: Option<String>,
    pub external_id: Option<String>,
    /// How long the link works, in hours (default 168, a week; at most 2160).
    pub expires_in_hours: Option<u64>,
    /// Or when it stops working, as an RFC 3339 time (at most 2160 hours ahead).
    pub expires_at: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InviteView {
    pub id: String,
    /// The candidate's link, relative to the server.
    pub url: String,
    pub expires_at: String,
}

/// Make an upload link for one candidate and one assignment.
#[utoipa::path(post, path = "/api/v1/invites", request_body = NewInvite, responses(
    (status = 201, body = InviteView),
    (status = 400, body = super::ErrorBody),
))]
pub async fn create(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<InviteView>), ApiError> {
    authorize(&service, &headers, Need::Submit).await?;
    let new: NewInvite =
        serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("not an invite: {e}")))?;
    if !service.assignments.contains_key(&new.assignment) {
        return Err(ApiError::bad_request(
            "assignment: this server grades no such assignment",
        ));
    }
    let now = SystemTime::now();
    let latest = now + Duration::from_secs(MAX_HOURS * 3600);
    let expires = match (&new.expires_at, new.expires_in_hours) {
        (Some(_), Some(_)) => return Err(ApiError::bad_request("give expires_at or expires_in_hours, not both")),
        (Some(at), None) => humantime::parse_rfc3339_weak(at)
            .ok()
            .filter(|at| *at > now && *at <= latest)
            .ok_or_else(|| ApiError::bad_request(format!("expires_at: an RFC 3339 time within {MAX_HOURS} hours")))?,
        (None, hours) => {
            let hours = hours.unwrap_or(168);
            if !(1..=MAX_HOURS).contains(&hours) {
                return Err(ApiError::bad_request(format!(
                    "expires_in_hours: from 1 to {MAX_HOURS}"
                )));
            }
            now + Duration::from_secs(hours * 3600)
        }
    };
    let candidate = required(Some(new.candidate), "candidate")?;
    let expires_at = humantime::format_rfc3339_micros(expires).to_string();
    let invite = Invite {
        id: random_id("i_").map_err(ApiError::internal)?,
        assignment: new.assignment,
        candidate,
        email: optional(new.email, "email")?,
        external_id: optional(new.external_id, "external_id")?,
        expires_at: expires_at.clone(),
        used_at: None,
        submission_id: None,
        opened_at: None,
        cancelled_at: None,
    };
    service.db.insert_invite(&invite).await?;
    Ok((
        StatusCode::CREATED,
        Json(InviteView {
            url: format!("/invite/{}", link_token(&service.invite_key, &invite.id)),
            id: invite.id,
            expires_at,
        }),
    ))
}

/// What a page shows.
#[derive(Serialize, Default)]
struct Page {
    state: &'static str,
    title: String,
    candidate: String,
    expires_at: String,
    max_upload: String,
    readme_html: String,
    message: String,
    tone: &'static str,
    feedback_html: String,
    used_at: String,
}

fn page(status: StatusCode, page: &Page) -> Response {
    match crate::report::template::render("invite.html", PAGE, page) {
        Ok(html) => (
            status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CONTENT_SECURITY_POLICY, PAGE_POLICY),
                (header::REFERRER_POLICY, "no-referrer"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            html,
        )
            .into_response(),
        Err(error) => ApiError::internal(error).into_response(),
    }
}

fn refusal(status: StatusCode, message: &str) -> Response {
    page(
        status,
        &Page {
            state: "refused",
            title: "Upload link".into(),
            message: message.into(),
            ..Page::default()
        },
    )
}

/// The invite a link names, or the page that says why there is none.
async fn invite_of(service: &Service, token: &str) -> Result<Invite, Response> {
    let Some(id) = verify(&service.invite_key, token) else {
        return Err(refusal(StatusCode::NOT_FOUND, "This link is not valid."));
    };
    match service.db.invite(&id).await {
        Ok(Some(invite)) => Ok(invite),
        Ok(None) => Err(refusal(StatusCode::NOT_FOUND, "This link is not valid.")),
        Err(error) => Err(ApiError::from(error).into_response()),
    }
}

/// The candidate's page: the upload form, or what became of the upload.
pub async fn show(State(service): State<Arc<Service>>, Path(token): Path<String>) -> Response {
    let invite = match invite_of(&service, &token).await {
        Ok(invite) => invite,
        Err(response) => return response,
    };
    if invite.used_at.is_some() {
        return submitted(&service, &invite).await;
    }
    if invite.cancelled_at.is_some() {
        return refusal(StatusCode::GONE, "This link was withdrawn.");
    }
    if invite.expired() {
        return refusal(
            StatusCode::GONE,
            &format!("This link expired on {}; ask for a new one.", invite.expires_at),
        );
    }
    let Some(assignment) = service.assignments.get(&invite.assignment) else {
        return refusal(StatusCode::NOT_FOUND, "This assignment is not open any more.");
    };
    match service.db.mark_opened(&invite.id).await {
        // The first look: an ATS may want to hear the candidate started.
        Ok(true) => service.ats_wake.notify_one(),
        Ok(false) => {}
        Err(error) => tracing::error!("noting that invite {} was opened: {error}", invite.id),
    }
    let readme = std::fs::read_to_string(assignment.spec.dir.join("README.md")).unwrap_or_default();
    page(
        StatusCode::OK,
        &Page {
            state: "upload",
            title: assignment.spec.title.clone(),
            candidate: invite.candidate.clone(),
            expires_at: invite.expires_at.clone(),
            max_upload: crate::units::format_size(service.max_upload),
            readme_html: crate::report::safe_markdown::to_html(&readme),
            ..Page::default()
        },
    )
}

async fn submitted(service: &Service, invite: &Invite) -> Response {
    let submission = match &invite.submission_id {
        Some(id) => match service.db.get(id).await {
            Ok(submission) => submission,
            Err(error) => return ApiError::from(error).into_response(),
        },
        None => None,
    };
    let Some(submission) = submission else {
        return refusal(StatusCode::GONE, "This link was used.");
    };
    let (message, tone) = match submission.status {
        Status::Queued | Status::Grading => ("Your work was received and is being graded.", ""),
        Status::Graded => ("Your work was received and graded.", "good"),
        Status::InvalidSubmission => ("Your work was received, but could not be accepted as sent.", "bad"),
        Status::HarnessError => ("Your work was received; grading failed on our side, not yours.", ""),
    };
    let feedback = match service.report_dir(&submission) {
        Some(dir) if submission.status.is_final() => {
            std::fs::read_to_string(dir.path().join("feedback.md")).unwrap_or_default()
        }
        _ => String::new(),
    };
    page(
        StatusCode::OK,
        &Page {
            state: "submitted",
            title: service
                .assignments
                .get(&invite.assignment)
                .map(|a| a.spec.title.clone())
                .unwrap_or_else(|| invite.assignment.clone()),
            message: message.into(),
            tone,
            feedback_html: crate::report::safe_markdown::to_html(&feedback),
            used_at: invite.used_at.clone().unwrap_or_default(),
            ..Page::default()
        },
    )
}

/// The candidate's upload through their link; then back to the page, which shows the status.
pub async fn upload(State(service): State<Arc<Service>>, Path(token): Path<String>, request: Request) -> Response {
    let refused = match invite_of(&service, &token).await {
        Err(response) => response,
        Ok(invite) if invite.used_at.is_some() => {
            refusal(StatusCode::CONFLICT, "This link was used already; it takes one upload.")
        }
        Ok(invite) if invite.cancelled_at.is_some() => refusal(StatusCode::GONE, "This link was withdrawn."),
        Ok(invite) if invite.expired() => refusal(StatusCode::GONE, "This link has expired; ask for a new one."),
        Ok(invite) => return upload_to(service, token, invite, request).await,
    };
    // The browser is still sending the file: read it to the end (up to the upload cap) so it
    // gets this page, not a connection cut off mid-send.
    let mut body = request.into_body().into_data_stream();
    let drain = async {
        let mut read = 0u64;
        while read <= service.max_upload {
            match futures_util::StreamExt::next(&mut body).await {
                Some(Ok(chunk)) => read += chunk.len() as u64,
                _ => break,
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(60), drain).await;
    refused
}

/// The upload through a link that takes one.
async fn upload_to(service: Arc<Service>, token: String, invite: Invite, request: Request) -> Response {
    let form = match Multipart::from_request(request, &service).await {
        Ok(form) => form,
        Err(_) => return refusal(StatusCode::BAD_REQUEST, "Send your work with the form on this page."),
    };
    let (fields, upload) = match read_form(form, &service.uploads(), service.max_upload).await {
        Ok(read) => read,
        Err(error) => return refusal(error.status(), error.message()),
    };
    let accepted = Accepted {
        assignment: invite.assignment.clone(),
        candidate: invite.candidate.clone(),
        email: invite.email.clone(),
        external_id: invite.external_id.clone(),
        filename: fields.filename().map(str::to_string),
    };
    match accept(&service, accepted, upload, None, Some(&invite.id)).await {
        Ok(Inserted::New(_)) => Redirect::to(&format!("/invite/{token}")).into_response(),
        Ok(Inserted::InviteSpent) => refusal(StatusCode::CONFLICT, "This link was used already; it takes one upload."),
        Ok(Inserted::Repeat(_)) => Redirect::to(&format!("/invite/{token}")).into_response(),
        Err(error) => refusal(error.status(), error.message()),
    }
}
