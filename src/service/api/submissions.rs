//! `/api/v1/submissions`: upload (multipart or a raw archive body), status, list, and the
//! report files once graded. An upload is on disk and in the database before its `202`.

use std::sync::Arc;

use axum::Json;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};

use super::{ApiError, authorize};
use crate::service::Service;
use crate::service::auth::Need;
use crate::service::db::{Inserted, ListFilter, NewSubmission, Status, Submission};
use crate::service::uploads::{Upload, UploadError, safe_name};

/// Longest candidate name, email, external id or idempotency key accepted.
const MAX_FIELD_CHARS: usize = 200;

/// A submission as the API shows it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct SubmissionView {
    pub id: String,
    pub status: Status,
    /// Queued submissions ahead of this one (only while queued).
    pub position: Option<i64>,
    pub assignment: String,
    pub candidate: String,
    pub email: Option<String>,
    pub external_id: Option<String>,
    /// passed, failed, invalid_submission or harness_error, once graded.
    pub verdict: Option<String>,
    pub score: Option<f64>,
    pub max_score: Option<f64>,
    pub summary: Option<String>,
    /// Grades started (a harness failure is retried).
    pub attempts: i64,
    pub created_at: String,
    pub updated_at: String,
    pub status_url: String,
    /// report.json, once there is one; report.html, feedback.md and junit.xml sit beside it.
    pub report_url: Option<String>,
}

/// The multipart form of an upload (a raw body takes the same fields as query parameters,
/// plus `filename`).
#[derive(Deserialize, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The assignment's id.
    pub assignment: String,
    /// The candidate's name.
    pub candidate: String,
    pub email: Option<String>,
    /// The applicant tracking system's id for this candidate.
    pub external_id: Option<String>,
    /// The archive: zip or tar.gz.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SubmissionList {
    pub items: Vec<SubmissionView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

async fn view(service: &Service, submission: &Submission) -> Result<SubmissionView, ApiError> {
    let position = match submission.status {
        Status::Queued => Some(service.db.queue_position(submission.seq).await?),
        _ => None,
    };
    let status_url = format!("/api/v1/submissions/{}", submission.id);
    let report_url =
        (submission.status.is_final() && submission.sha256.is_some()).then(|| format!("{status_url}/report.json"));
    Ok(SubmissionView {
        id: submission.id.clone(),
        status: submission.status,
        position,
        assignment: submission.assignment.clone(),
        candidate: submission.candidate.clone(),
        email: submission.email.clone(),
        external_id: submission.external_id.clone(),
        verdict: submission.verdict.clone(),
        score: submission.score,
        max_score: submission.max_score,
        summary: submission.summary.clone(),
        attempts: submission.attempts,
        created_at: submission.created_at.clone(),
        updated_at: submission.updated_at.clone(),
        status_url,
        report_url,
    })
}

/// The fields of an upload besides the file, as given.
#[derive(Default, Deserialize)]
pub struct Fields {
    assignment: Option<String>,
    candidate: Option<String>,
    email: Option<String>,
    external_id: Option<String>,
    filename: Option<String>,
}

impl Fields {
    /// The file's name as the uploader gave it.
    pub fn filename(&self) -> Option<&str> {
        self.filename.as_deref()
    }
}

/// Upload a submission: multipart (`assignment`, `candidate`, optional `email` and
/// `external_id`, and `file`), or the archive as the body with the fields as query parameters.
/// An `Idempotency-Key` header makes a repeat return the first submission.
#[utoipa::path(post, path = "/api/v1/submissions",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "Accepted and queued", body = SubmissionView),
        (status = 200, description = "The first submission with this Idempotency-Key", body = SubmissionView),
        (status = 400, body = super::ErrorBody),
        (status = 401, body = super::ErrorBody),
        (status = 403, body = super::ErrorBody),
        (status = 413, body = super::ErrorBody),
    ))]
pub async fn upload(
    State(service): State<Arc<Service>>,
    Query(query): Query<Fields>,
    request: Request,
) -> Result<Response, ApiError> {
    authorize(&service, request.headers(), Need::Submit).await?;
    let key = idempotency_key(request.headers())?;
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let uploads = service.uploads();
    let (fields, upload) = if multipart {
        let form = Multipart::from_request(request, &service)
            .await
            .map_err(|e| ApiError::bad_request(format!("not a multipart form: {e}")))?;
        read_form(form, &uploads, service.max_upload).await?
    } else {
        let mut upload = Upload::start(&uploads, service.max_upload).map_err(upload_error)?;
        read_body(request.into_body(), &mut upload).await?;
        (query, upload)
    };
    let accepted = Accepted {
        assignment: required(fields.assignment, "assignment")?,
        candidate: required(fields.candidate, "candidate")?,
        email: optional(fields.email, "email")?,
        external_id: optional(fields.external_id, "external_id")?,
        filename: fields.filename,
    };
    let (submission, added) = match accept(&service, accepted, upload, key.as_deref(), None).await? {
        Inserted::New(submission) => (submission, true),
        Inserted::Repeat(submission) => (submission, false),
        Inserted::InviteSpent => return Err(ApiError::internal("an upload without an invite spent one")),
    };
    let status = if added { StatusCode::ACCEPTED } else { StatusCode::OK };
    let view = view(&service, &submission).await?;
    let location = view.status_url.clone();
    Ok((status, [(header::LOCATION, location)], Json(view)).into_response())
}

/// An upload's fields, checked.
pub struct Accepted {
    pub assignment: String,
    pub candidate: String,
    pub email: Option<String>,
    pub external_id: Option<String>,
    pub filename: Option<String>,
}

/// Keeps an upload (synced) and records it as queued, with its webhook event, in one
/// transaction; an invite, when given, is used up in the same transaction.
pub async fn accept(
    service: &Service,
    fields: Accepted,
    upload: Upload,
    key: Option<&str>,
    invite: Option<&str>,
) -> Result<Inserted, ApiError> {
    if !service.assignments.contains_key(&fields.assignment) {
        return Err(ApiError::bad_request(format!(
            "assignment: this server grades no assignment {}",
            crate::text::terminal_safe(&crate::text::quoted(&fields.assignment, 64))
        )));
    }
    if upload.bytes() == 0 {
        return Err(ApiError::bad_request("file: the upload is empty"));
    }
    let uploads = service.uploads();
    let id = crate::service::clock::random_id("s_").map_err(ApiError::internal)?;
    let name = safe_name(fields.filename.as_deref().unwrap_or("submission"));
    let bytes = upload.bytes() as i64;
    // Syncing waits on the disk: the runtime moves other requests off this thread meanwhile.
    let kept = tokio::task::block_in_place(|| upload.keep(&uploads, &id, &name)).map_err(upload_error)?;
    let relative = kept
        .strip_prefix(&service.data)
        .unwrap_or(&kept)
        .to_string_lossy()
        .into_owned();
    let new = NewSubmission {
        id: &id,
        assignment: &fields.assignment,
        candidate: &fields.candidate,
        email: fields.email.as_deref(),
        external_id: fields.external_id.as_deref(),
        idempotency_key: key,
        upload: &relative,
        upload_bytes: bytes,
        invite,
        image_id: service.assignments.get(&fields.assignment).map(|a| a.image_id.as_str()),
    };
    let event = crate::service::outbox::Event {
        name: "submission.received",
        data: serde_json::json!({
            "id": id,
            "assignment": fields.assignment,
            "candidate": fields.candidate,
            "external_id": fields.external_id,
            "status": Status::Queued,
            "status_url": format!("/api/v1/submissions/{id}"),
        }),
    };
    let inserted = service.record_upload(&new, &event).await?;
    if matches!(inserted, Inserted::New(_)) {
        service.work.notify_one();
        service.notify_changes();
    } else {
        // A repeat or a spent invite: nothing was recorded, so the copy goes.
        let _ = std::fs::remove_file(&kept);
    }
    Ok(inserted)
}

/// Reads the form; the file goes to disk as it arrives, the other fields are short text.
pub async fn read_form(
    mut form: Multipart,
    uploads: &std::path::Path,
    limit: u64,
) -> Result<(Fields, Upload), ApiError> {
    let mut fields = Fields::default();
    let mut upload = None;
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        let name = field.name().unwrap_or("").to_string();
        if name == "file" {
            if upload.is_some() {
                return Err(ApiError::bad_request("file: give one file"));
            }
            fields.filename = field.file_name().map(str::to_string);
            let mut kept = Upload::start(uploads, limit).map_err(upload_error)?;
            while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
                if let Err(error) = tokio::task::block_in_place(|| kept.write(&chunk)) {
                    // Read what is left (the body limit bounds it), so the client gets our
                    // answer instead of a connection closed mid-upload.
                    while let Ok(Some(_)) = field.chunk().await {}
                    while let Ok(Some(mut rest)) = form.next_field().await {
                        while let Ok(Some(_)) = rest.chunk().await {}
                    }
                    return Err(upload_error(error));
                }
            }
            upload = Some(kept);
            continue;
        }
        let slot = match name.as_str() {
            "assignment" => &mut fields.assignment,
            "candidate" => &mut fields.candidate,
            "email" => &mut fields.email,
            "external_id" => &mut fields.external_id,
            _ => {
                return Err(ApiError::bad_request(format!(
                    "unknown field {:?}",
                    crate::text::quoted(&name, 40)
                )));
            }
        };
        let mut text = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            text.extend_from_slice(&chunk);
            if text.len() > MAX_FIELD_CHARS * 4 {
                return Err(ApiError::bad_request(format!(
                    "{name}: longer than {MAX_FIELD_CHARS} characters"
                )));
            }
        }
        let text = String::from_utf8(text).map_err(|_| ApiError::bad_request(format!("{name}: not UTF-8")))?;
        *slot = Some(text);
    }
    let upload = upload.ok_or_else(|| ApiError::bad_request("file: missing (a multipart field named file)"))?;
    Ok((fields, upload))
}

async fn read_body(body: Body, upload: &mut Upload) -> Result<(), ApiError> {
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| {
            if is_length_limit(&e) {
                ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "the upload is larger than the limit")
            } else {
                ApiError::bad_request(format!("the upload was cut off: {e}"))
            }
        })?;
        if let Err(error) = tokio::task::block_in_place(|| upload.write(&chunk)) {
            // As for a form: read the rest, so the answer reaches the client.
            while let Some(Ok(_)) = stream.next().await {}
            return Err(upload_error(error));
        }
    }
    Ok(())
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.to_string().contains("length limit") {
            return true;
        }
        source = e.source();
    }
    false
}

fn multipart_error(error: axum::extract::multipart::MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "the upload is larger than the limit")
    } else {
        ApiError::bad_request(format!("the form could not be read: {}", error.body_text()))
    }
}

pub fn upload_error(error: UploadError) -> ApiError {
    match error {
        UploadError::TooLarge { .. } => ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, error.to_string()),
        UploadError::Io(_) => ApiError::internal(anyhow::Error::new(error)),
    }
}

pub fn required(value: Option<String>, name: &str) -> Result<String, ApiError> {
    optional(value, name)?.ok_or_else(|| ApiError::bad_request(format!("{name}: missing")))
}

/// A short text field: trimmed, at most `MAX_FIELD_CHARS`, none when empty.
pub fn optional(value: Option<String>, name: &str) -> Result<Option<String>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    let value = value.trim().to_string();
    if value.chars().count() > MAX_FIELD_CHARS {
        return Err(ApiError::bad_request(format!(
            "{name}: longer than {MAX_FIELD_CHARS} characters"
        )));
    }
    Ok((!value.is_empty()).then_some(value))
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::bad_request("Idempotency-Key: not visible ASCII"))?;
    optional(Some(value.to_string()), "Idempotency-Key")
}

/// One submission's status.
#[utoipa::path(get, path = "/api/v1/submissions/{id}", params(("id" = String, Path)), responses(
    (status = 200, body = SubmissionView),
    (status = 404, body = super::ErrorBody),
))]
pub async fn get(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<SubmissionView>, ApiError> {
    authorize(&service, &headers, Need::Status).await?;
    let submission = service
        .db
        .get(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such submission"))?;
    Ok(Json(view(&service, &submission).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ListQuery {
    /// Only this assignment's submissions.
    assignment: Option<String>,
    /// Only submissions with this status.
    status: Option<String>,
    /// Only submissions uploaded at or after this RFC 3339 time.
    since: Option<String>,
    /// Where the previous page ended (its `next_cursor`).
    cursor: Option<String>,
    /// At most this many (default 50, at most 500).
    limit: Option<i64>,
}

/// Submissions in upload order, a page at a time.
#[utoipa::path(get, path = "/api/v1/submissions", params(ListQuery), responses(
    (status = 200, body = SubmissionList),
    (status = 400, body = super::ErrorBody),
))]
pub async fn list(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Json<SubmissionList>, ApiError> {
    authorize(&service, &headers, Need::Read).await?;
    let status = query
        .status
        .as_deref()
        .map(str::parse::<Status>)
        .transpose()
        .map_err(|e| ApiError::bad_request(format!("status: {}", crate::text::terminal_safe(&e))))?;
    let after = query
        .cursor
        .as_deref()
        .map(str::parse::<i64>)
        .transpose()
        .map_err(|_| ApiError::bad_request("cursor: not one this server gave"))?;
    if let Some(since) = &query.since {
        humantime::parse_rfc3339_weak(since).map_err(|_| ApiError::bad_request("since: not an RFC 3339 time"))?;
    }
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let filter = ListFilter {
        assignment: query.assignment.as_deref(),
        status,
        since: query.since.as_deref(),
        after,
        limit,
    };
    let found = service.db.list(&filter).await?;
    let next_cursor = (found.len() as i64 == limit)
        .then(|| found.last().map(|s| s.seq.to_string()))
        .flatten();
    let mut items = Vec::with_capacity(found.len());
    for submission in &found {
        items.push(view(&service, submission).await?);
    }
    Ok(Json(SubmissionList { items, next_cursor }))
}

/// A report file of a graded submission: report.json, report.html, feedback.md or junit.xml.
#[utoipa::path(get, path = "/api/v1/submissions/{id}/{file}", params(("id" = String, Path), ("file" = String, Path)), responses(
    (status = 200, description = "The file"),
    (status = 404, body = super::ErrorBody),
))]
pub async fn file(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    authorize(&service, &headers, Need::Read).await?;
    let content_type = match file.as_str() {
        "report.json" => "application/json",
        "report.html" => "text/html; charset=utf-8",
        "feedback.md" => "text/markdown; charset=utf-8",
        "junit.xml" => "application/xml",
        _ => {
            return Err(ApiError::not_found(
                "no such file: report.json, report.html, feedback.md or junit.xml",
            ));
        }
    };
    let submission = service
        .db
        .get(&id)
        .await?
        .ok_or_else(|| ApiError::not_found("no such submission"))?;
    let dir = service
        .report_dir(&submission)
        .filter(|_| submission.status.is_final())
        .ok_or_else(|| ApiError::not_found("not graded yet"))?;
    let bytes = tokio::fs::read(dir.path().join(&file))
        .await
        .map_err(|_| ApiError::not_found("the report file is missing"))?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        bytes,
    )
        .into_response())
}
