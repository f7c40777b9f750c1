//! `/oauth/start` sends the browser to the authorize page with a fresh `state`; `/oauth/callback`
//! spends that `state` (once) and exchanges the code (protocol §3, §4).

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use keygate_client::Callback;

use super::NO_STORE;
use crate::error::AppError;
use crate::state::AppState;

/// `GET /oauth/start`: remember a new `state` (and PKCE verifier) in this browser's session,
/// then redirect to the authorize page.
pub(super) async fn start_authorize(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let (id, set_cookie) = state.session(&headers);
    let request = state.oauth.authorize_url(state.authorize_options);
    state.sessions.begin(&id, &request);
    let mut response = (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, request.url.to_string())],
        [NO_STORE],
    )
        .into_response();
    if let Some(c) = set_cookie {
        response.headers_mut().insert(header::SET_COOKIE, c);
    }
    response
}

/// `GET /oauth/callback?code=&state=` (or `?error=&state=`): check the `state` belongs to this
/// browser and is unused, then exchange the code and show the token.
pub(super) async fn finish_authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let callback = Callback::parse(query.as_deref().unwrap_or(""));
    let session = state
        .existing_session(&headers)
        .ok_or(AppError::StateMismatch)?;
    let pending = callback
        .state
        .as_deref()
        .and_then(|s| state.sessions.take_pending(&session, s))
        .ok_or(AppError::StateMismatch)?;
    let code = callback
        .into_code(&pending.state)
        .map_err(AppError::from_client)?;
    let tokens = state
        .oauth
        .exchange_code(&code, pending.pkce_verifier.as_deref())
        .await
        .map_err(AppError::from_client)?;
    tracing::info!("exchanged an authorization code");
    state.sessions.with(&session, |s| {
        s.tokens = Some(tokens);
        s.refreshes = 0;
    });
    Ok(Redirect::to("/token").into_response())
}
