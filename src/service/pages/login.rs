//! Logging in with a review or admin token, or a reviewer's name and password, and out. The login form is guarded by a
//! double-submit cookie (a random value in a cookie and in the form), since there is no
//! session yet to hold a CSRF token.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::{PageError, check_csrf, page, viewer};
use crate::service::clock::random_secret;
use crate::service::sessions::{self, COOKIE, LIFETIME};
use crate::service::{Service, passwords};

const PAGE: &str = include_str!("../templates/review/login.html");
const LOGIN_COOKIE: &str = "assay_login";

fn cookie(service: &Service, name: &str, value: &str, path: &str, max_age: u64) -> HeaderValue {
    let secure = if service.secure_cookies { "; Secure" } else { "" };
    let text = format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}");
    HeaderValue::from_str(&text).expect("cookie values are hex")
}

fn login_page(service: &Service, message: &str, status: StatusCode) -> Result<Response, PageError> {
    let login_csrf = random_secret().map_err(PageError::internal)?;
    let mut response = page(
        "login.html",
        PAGE,
        &minijinja::context! {
            title => "Log in", me => (), csrf => "", extra_css => "", message, login_csrf => &login_csrf,
        },
    )?;
    *response.status_mut() = status;
    response.headers_mut().append(
        header::SET_COOKIE,
        cookie(service, LOGIN_COOKIE, &login_csrf, "/review/login", 3600),
    );
    Ok(response)
}

pub async fn show(State(service): State<Arc<Service>>) -> Result<Response, PageError> {
    login_page(&service, "", StatusCode::OK)
}

pub async fn submit(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let expected = sessions::cookie(&headers, LOGIN_COOKIE);
    let given = form.get("login_csrf");
    if !matches!((expected, given), (Some(e), Some(g)) if sessions::same_secret(e, g)) {
        return login_page(
            &service,
            "The login form had expired; log in again.",
            StatusCode::FORBIDDEN,
        );
    }
    let name = form.get("name").map(|n| n.trim()).unwrap_or("");
    let identity = if name.is_empty() {
        token_identity(&service, form.get("token").map(|t| t.trim()).unwrap_or("")).await?
    } else {
        if service.login_limit.take(name).is_err() {
            return login_page(
                &service,
                "Too many attempts for this name; wait a few seconds.",
                StatusCode::TOO_MANY_REQUESTS,
            );
        }
        password_identity(&service, name, form.get("password").map(String::as_str).unwrap_or("")).await?
    };
    let Some((reviewer, scope)) = identity.filter(|(_, scope)| scope == "review" || scope == "admin") else {
        return login_page(
            &service,
            "That is not a live review or admin token, or not that reviewer's password.",
            StatusCode::UNAUTHORIZED,
        );
    };
    let value = random_secret().map_err(PageError::internal)?;
    let csrf = random_secret().map_err(PageError::internal)?;
    service.db.start_session(&value, &reviewer, &scope, &csrf).await?;
    let mut response = Redirect::to("/review").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        cookie(&service, COOKIE, &value, "/", LIFETIME.as_secs()),
    );
    response.headers_mut().append(
        header::SET_COOKIE,
        cookie(&service, LOGIN_COOKIE, "", "/review/login", 0),
    );
    Ok(response)
}

async fn token_identity(service: &Service, token: &str) -> Result<Option<(String, String)>, PageError> {
    if token.is_empty() || token.len() > 200 {
        return Ok(None);
    }
    Ok(service.db.token_identity(&crate::service::auth::hash(token)).await?)
}

/// The reviewer and scope a name and password stand for; the check runs off the async
/// threads (argon2 is slow on purpose).
async fn password_identity(
    service: &Service,
    name: &str,
    password: &str,
) -> Result<Option<(String, String)>, PageError> {
    if password.len() > 1000 {
        return Ok(None);
    }
    let stored = service.db.password(name).await?;
    let (password, phc) = (password.to_string(), stored.as_ref().map(|(_, hash)| hash.clone()));
    let holds = tokio::task::spawn_blocking(move || passwords::verify(&password, phc.as_deref()))
        .await
        .map_err(PageError::internal)?;
    Ok(stored.filter(|_| holds).map(|(scope, _)| (name.to_string(), scope)))
}

pub async fn logout(
    State(service): State<Arc<Service>>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let session = viewer(&service, &headers).await?;
    check_csrf(&session, form.get("csrf"))?;
    if let Some(value) = sessions::cookie(&headers, COOKIE) {
        service.db.end_session(value).await?;
    }
    let mut response = Redirect::to("/review/login").into_response();
    response
        .headers_mut()
        .append(header::SET_COOKIE, cookie(&service, COOKIE, "", "/", 0));
    Ok(response)
}
