//! What every handler shares, and the session cookie.

use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue};
use cookie::{Cookie, SameSite};
use keygate_client::{AuthorizeOptions, OAuthClient};

use crate::sessions::Sessions;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "webapp_session";

/// The shared state.
#[derive(Clone)]
pub(crate) struct AppState {
    /// The SDK client for the registered app.
    pub oauth: OAuthClient,
    /// Browser sessions.
    pub sessions: Arc<Sessions>,
    /// Whether to send a PKCE challenge.
    pub authorize_options: AuthorizeOptions,
    /// "Keygate" or "Azure DevOps", for the pages.
    pub provider: &'static str,
}

/// The session cookie's value from the request, if any.
pub(crate) fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == SESSION_COOKIE)
        .map(|c| c.value().to_owned())
}

/// `Set-Cookie` for a new session: https only, invisible to scripts, and `Lax` so it comes back
/// on the top-level redirect from the authorization server (another site) to the callback.
pub(crate) fn set_session_cookie(id: &str) -> Option<HeaderValue> {
    let c = Cookie::build((SESSION_COOKIE, id))
        .path("/")
        .secure(true)
        .http_only(true)
        .same_site(SameSite::Lax)
        .build();
    HeaderValue::from_str(&c.to_string()).ok()
}

impl AppState {
    /// The session of this request (an existing one, or a new one) and the cookie to set if new.
    pub(crate) fn session(&self, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
        let (id, fresh) = self.sessions.ensure(session_cookie(headers).as_deref());
        let set = if fresh { set_session_cookie(&id) } else { None };
        (id, set)
    }

    /// The existing session of this request, without creating one.
    pub(crate) fn existing_session(&self, headers: &HeaderMap) -> Option<String> {
        let cookie = session_cookie(headers)?;
        self.sessions.with(&cookie, |_| ())?;
        Some(cookie)
    }
}
