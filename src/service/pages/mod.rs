//! The reviewers' pages under `/review`: server-rendered HTML with no script, a strict
//! Content-Security-Policy, a session cookie and a CSRF token on every form.

mod analysis;
mod login;
mod queue;
mod round;
mod submission;

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::Serialize;

use super::db::{DbError, Submission};
use super::sessions::{self, Session};
use super::{Assignment, Service};

/// Pages load nothing but themselves: inline styles, images as data URIs, the report in a
/// frame from the same server, forms posting back here.
const PAGE_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const LAYOUT: &str = include_str!("../templates/review/layout.html");

pub fn router() -> Router<Arc<Service>> {
    Router::new()
        .route("/review", get(queue::show))
        .route("/review/login", get(login::show).post(login::submit))
        .route("/review/logout", axum::routing::post(login::logout))
        .route("/review/assignments/{id}", get(round::show))
        .route("/review/assignments/{id}/round.csv", get(round::csv))
        .route("/review/assignments/{id}/agreement", get(round::agreement))
        .route("/review/assignments/{id}/analysis", get(analysis::show))
        .route("/review/submissions/{id}", get(submission::show).post(submission::save))
        .route("/review/submissions/{id}/report.html", get(submission::report))
}

/// A page, or why there is none: always HTML, with the page policy.
pub enum PageError {
    /// Not logged in: go to the login page.
    Login,
    Status(StatusCode, String),
}

impl PageError {
    fn not_found(what: impl Into<String>) -> PageError {
        PageError::Status(StatusCode::NOT_FOUND, what.into())
    }

    fn internal(error: impl std::fmt::Display) -> PageError {
        tracing::error!("{error:#}");
        PageError::Status(StatusCode::INTERNAL_SERVER_ERROR, "the server failed; try again".into())
    }
}

impl From<DbError> for PageError {
    fn from(error: DbError) -> PageError {
        PageError::internal(error)
    }
}

impl From<crate::report::RenderError> for PageError {
    fn from(error: crate::report::RenderError) -> PageError {
        PageError::internal(anyhow::Error::from(error))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Login => Redirect::to("/review/login").into_response(),
            PageError::Status(status, message) => {
                let body = render(
                    "error.html",
                    include_str!("../templates/review/error.html"),
                    &minijinja::context! {
                        title => status.canonical_reason().unwrap_or("Error"), message, me => (), csrf => "", extra_css => "",
                    },
                )
                .unwrap_or_else(|_| "error".to_string());
                let mut response = (status, html(body)).into_response();
                response
                    .headers_mut()
                    .insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_POLICY));
                response
            }
        }
    }
}

/// Renders a page template inside the layout; every value is escaped unless marked safe,
/// and a name the view lacks is an error.
pub fn render(name: &str, source: &str, view: &impl Serialize) -> Result<String, crate::report::RenderError> {
    crate::report::template::render_with(&[("layout.html", LAYOUT)], name, source, view)
}

fn html(body: String) -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(PAGE_POLICY)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        body,
    )
}

/// A view's list or record as a template value.
pub fn value(data: impl Serialize) -> minijinja::Value {
    minijinja::Value::from(minijinja::value::Serde(data))
}

/// A rendered page as a response.
pub fn page(name: &str, source: &str, view: &impl Serialize) -> Result<Response, PageError> {
    Ok(html(render(name, source, view)?).into_response())
}

/// The logged-in reviewer, or the login page.
pub async fn viewer(service: &Service, headers: &HeaderMap) -> Result<Session, PageError> {
    let Some(value) = sessions::cookie(headers, sessions::COOKIE) else {
        return Err(PageError::Login);
    };
    service.db.session(value).await?.ok_or(PageError::Login)
}

/// A posted form carries the session's CSRF token, or it is refused.
pub fn check_csrf(session: &Session, given: Option<&String>) -> Result<(), PageError> {
    match given {
        Some(given) if sessions::same_secret(given, &session.csrf) => Ok(()),
        _ => Err(PageError::Status(
            StatusCode::FORBIDDEN,
            "this form is stale or came from another site; open the page again".into(),
        )),
    }
}

/// Whether a viewer may see who a submission's candidate is: admins always; reviewers when the
/// assignment is not blind, or once they submitted their own scores for that submission.
pub fn identity_shown(session: &Session, assignment: Option<&Assignment>, submitted_own: bool) -> bool {
    session.admin || assignment.is_some_and(|a| !a.spec.review.blind) || submitted_own
}

/// The candidate's name, or their pseudonym when the viewer may not see who they are.
pub fn shown_name(submission: &Submission, identity_shown: bool) -> String {
    if identity_shown {
        submission.candidate.clone()
    } else {
        pseudonym(&submission.id)
    }
}

/// The name reviewers see while a review is blind: stable for a submission, and telling
/// nothing about the candidate or when they uploaded.
pub fn pseudonym(submission_id: &str) -> String {
    let hash = crate::sha256::of_bytes(format!("pseudonym:{submission_id}").as_bytes());
    format!("Candidate {}", hash[..6].to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    #[test]
    fn pseudonyms_are_stable_and_distinct() {
        assert_eq!(super::pseudonym("s_1"), super::pseudonym("s_1"));
        assert_ne!(super::pseudonym("s_1"), super::pseudonym("s_2"));
        assert!(super::pseudonym("s_1").starts_with("Candidate "));
    }
}
