//! HTTP Basic authentication as Greenhouse and Ashby use it: the API key is the user name and
//! the password is empty.

use base64::Engine;

/// Longest Authorization header looked at.
const MAX_HEADER: usize = 1024;

/// The key a request names as its Basic user, when it names one.
pub fn key(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    if value.len() > MAX_HEADER {
        return None;
    }
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let user = decoded.split_once(':').map_or(decoded.as_str(), |(user, _)| user);
    (!user.is_empty()).then(|| user.to_string())
}

/// The Authorization header that names `key` as the Basic user.
pub fn header(key: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{key}:"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{HeaderMap, HeaderValue, header::AUTHORIZATION};
    use proptest::prelude::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn the_user_is_the_key() {
        assert_eq!(key(&with(&header("gh_abc"))).as_deref(), Some("gh_abc"));
        // Greenhouse's own example: the key with a colon appended, base64.
        assert_eq!(
            key(&with("Basic MGQwMzFkODIyN2VhZmE2MWRjMzc1YTZjMmUwNjdlMjQ6")).as_deref(),
            Some("0d031d8227eafa61dc375a6c2e067e24")
        );
        assert_eq!(key(&with("basic Z2hfYWJjOnB3")).as_deref(), Some("gh_abc"));
    }

    #[test]
    fn anything_else_names_no_key() {
        assert_eq!(key(&HeaderMap::new()), None);
        assert_eq!(key(&with("Bearer gh_abc")), None);
        assert_eq!(key(&with("Basic !!!")), None);
        assert_eq!(key(&with("Basic Og==")), None, "an empty user");
        assert_eq!(key(&with("Basic")), None);
        assert_eq!(key(&with(&format!("Basic {}", "QUFB".repeat(400)))), None, "too long");
    }

    proptest! {
        #[test]
        fn any_header_is_read_without_panicking(value in "[ -~]{0,300}") {
            if let Ok(value) = HeaderValue::from_str(&value) {
                let mut headers = HeaderMap::new();
                headers.insert(AUTHORIZATION, value);
                let _ = key(&headers);
            }
        }

        #[test]
        fn every_key_reads_back(user in "[A-Za-z0-9_]{1,100}") {
            prop_assert_eq!(key(&with(&header(&user))), Some(user));
        }
    }
}
