//! The HTTP API under `/api/v1`, plus `/healthz` and `/metrics`. JSON in and out; every error
//! is `{"error": "..."}` with a status that says whose problem it is.

mod assignments;
mod invites;
mod submissions;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use utoipa::OpenApi;

use super::Service;
use super::auth::{self, Need, Refusal};
use super::db::DbError;

/// Room for the multipart fields around the file.
const FORM_OVERHEAD: usize = 64 * 1024;

pub fn router(service: Arc<Service>) -> Router {
    let body_limit = service.max_upload as usize + FORM_OVERHEAD;
    Router::new()
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/api/v1/assignments", get(assignments::list))
        .route("/api/v1/assignments/{id}", get(assignments::get))
        .route("/api/v1/submissions", post(submissions::upload).get(submissions::list))
        .route("/api/v1/submissions/{id}", get(submissions::get))
        .route("/api/v1/submissions/{id}/{file}", get(submissions::file))
        .route("/api/v1/invites", post(invites::create))
        .route("/invite/{token}", get(invites::show).post(invites::upload))
        .merge(crate::service::pages::router())
        .merge(crate::service::ats::router())
        .layer(DefaultBodyLimit::max(body_limit))
        .with_state(service)
}

#[derive(OpenApi)]
#[openapi(
    info(title = "assay", description = "Grading take-home assignments: upload, status, reports."),
    paths(
        assignments::list,
        assignments::get,
        submissions::upload,
        submissions::get,
        submissions::list,
        submissions::file,
        invites::create,
    ),
    components(schemas(
        assignments::AssignmentView,
        assignments::MetricView,
        submissions::SubmissionView,
        submissions::SubmissionList,
        submissions::UploadForm,
        invites::NewInvite,
        invites::InviteView,
        super::db::Status,
        ErrorBody,
    )),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

async fn openapi() -> Response {
    match ApiDoc::openapi().to_pretty_json() {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(error) => ApiError::internal(error).into_response(),
    }
}

async fn health() -> &'static str {
    "ok\n"
}

async fn metrics(State(service): State<Arc<Service>>) -> Response {
    match service.db.count_by_status().await {
        Ok(counts) => {
            let counts: Vec<(&str, i64)> = counts.iter().map(|(s, n)| (s.as_str(), *n)).collect();
            (
                [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
                service
                    .metrics
                    .render(&counts, service.warm.as_ref().map(|pool| pool.counts())),
            )
                .into_response()
        }
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// The body of every error.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong, in a sentence.
    pub error: String,
}

/// An error answer: its status and its sentence.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, what)
    }

    pub fn bad_request(why: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, why)
    }

    /// Ours, not the caller's: logged in full, answered in general.
    pub fn internal(error: impl std::fmt::Display) -> ApiError {
        tracing::error!("{error:#}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "the server failed; try again")
    }
}

impl From<DbError> for ApiError {
    fn from(error: DbError) -> ApiError {
        ApiError::internal(error)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(ErrorBody { error: self.message })).into_response();
        if self.status == StatusCode::TOO_MANY_REQUESTS {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// The request's token allows `need`, or the answer is 401 or 403.
pub async fn authorize(service: &Service, headers: &HeaderMap, need: Need) -> Result<(), ApiError> {
    match auth::check(&service.db, headers, need).await? {
        Ok((_, hash)) => service.rate_limit.take(&hash).map_err(|wait| {
            ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "too many requests with this token; try again in {} ms",
                    wait.as_millis() + 1
                ),
            )
        }),
        Err(Refusal::Unauthenticated) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "a valid token is needed: Authorization: Bearer TOKEN",
        )),
        Err(Refusal::Forbidden(scope)) => Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!("a {} token may not do this", scope.as_str()),
        )),
    }
}
