//! Browser sessions: the cookie, and the extractor that finds the signed-in user.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use cookie::{Cookie, SameSite};
use keygate_core::accounts;
use keygate_core::model::User;
use keygate_core::StoreError;

use crate::error::PageError;
use crate::state::AppState;

/// Holds the session id (its SHA-256 is what the store keeps).
pub(crate) const SESSION_COOKIE: &str = "kg_session";
/// Binds CSRF tokens before sign-in.
pub(crate) const PRE_SESSION_COOKIE: &str = "kg_pre";

/// Reads one cookie from the request.
pub(crate) fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, path `/`, Secure on https.
pub(crate) fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    max_age: Option<i64>,
) -> String {
    let mut c = Cookie::new(name.to_owned(), value.to_owned());
    c.set_http_only(true);
    c.set_same_site(SameSite::Lax);
    c.set_path("/");
    c.set_secure(state.secure_cookies);
    if let Some(seconds) = max_age {
        c.set_max_age(cookie::time::Duration::seconds(seconds));
    }
    c.to_string()
}

/// A `Set-Cookie` value that deletes a cookie.
pub(crate) fn clear_cookie(state: &AppState, name: &str) -> String {
    set_cookie(state, name, "", Some(0))
}

/// The user whose live session the request's cookie names, if any.
pub(crate) async fn session_user(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<User>, StoreError> {
    let Some(value) = cookie_value(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    accounts::session_user(&state.kg, &value).await
}

/// The sign-in time and public id of the request's live session, if any (OpenID Connect).
pub(crate) async fn session_info(
    state: &AppState,
    headers: &HeaderMap,
) -> Result<Option<accounts::SessionInfo>, StoreError> {
    let Some(value) = cookie_value(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    accounts::session_info(&state.kg, &value).await
}

/// The signed-in user, if the request carries a live session.
pub(crate) struct MaybeUser(pub Option<User>);

impl FromRequestParts<AppState> for MaybeUser {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self(session_user(state, &parts.headers).await?))
    }
}

/// The signed-in user; anonymous requests are sent to sign in and come back.
pub(crate) struct SignedIn(pub User);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        match MaybeUser::from_request_parts(parts, state).await?.0 {
            Some(user) => Ok(Self(user)),
            None => {
                let here = parts
                    .uri
                    .path_and_query()
                    .map(|p| p.as_str().to_owned())
                    .unwrap_or_else(|| "/".into());
                Err(PageError::SignInRequired { return_url: here })
            }
        }
    }
}
