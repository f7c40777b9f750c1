//! CSRF tokens: an HMAC of the browser's session (or, before sign-in, of a random pre-session
//! cookie) under a server key, so a form posted from another site cannot carry a valid one.

use axum::http::HeaderMap;
use keygate_core::secrets::{constant_time_eq, hmac_sha256, random_token};

use crate::session::{cookie_value, PRE_SESSION_COOKIE, SESSION_COOKIE};
use crate::state::AppState;

/// The value a form must carry, bound to this browser. Returns the pre-session cookie to set
/// when the browser has neither a session nor a pre-session yet.
pub(crate) fn token_for(state: &AppState, headers: &HeaderMap) -> (String, Option<String>) {
    if let Some(binding) = binding(headers) {
        return (hmac_sha256(&state.csrf_key, binding.as_bytes()), None);
    }
    let fresh = random_token();
    let token = hmac_sha256(&state.csrf_key, format!("p:{fresh}").as_bytes());
    (token, Some(fresh))
}

fn binding(headers: &HeaderMap) -> Option<String> {
    if let Some(s) = cookie_value(headers, SESSION_COOKIE) {
        return Some(format!("s:{s}"));
    }
    cookie_value(headers, PRE_SESSION_COOKIE).map(|p| format!("p:{p}"))
}

/// Whether a submitted token matches this browser. A browser with a session must present the
/// session-bound token; one without must present the pre-session-bound one.
pub(crate) fn verify(state: &AppState, headers: &HeaderMap, submitted: Option<&str>) -> bool {
    let Some(submitted) = submitted.filter(|s| !s.is_empty()) else {
        return false;
    };
    let candidates = [
        cookie_value(headers, SESSION_COOKIE).map(|s| format!("s:{s}")),
        cookie_value(headers, PRE_SESSION_COOKIE).map(|p| format!("p:{p}")),
    ];
    candidates.into_iter().flatten().any(|binding| {
        constant_time_eq(&hmac_sha256(&state.csrf_key, binding.as_bytes()), submitted)
    })
}
