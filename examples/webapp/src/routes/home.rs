//! `GET /`: what the app does, and the Authorize button.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use crate::pages::{render, HomePage};
use crate::state::AppState;

/// `GET /`.
pub(super) async fn show_home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let signed_in = state
        .existing_session(&headers)
        .and_then(|id| state.sessions.with(&id, |s| s.tokens.is_some()))
        .unwrap_or(false);
    let config = state.oauth.config();
    render(&HomePage {
        provider: state.provider,
        authorize_host: config
            .endpoints
            .authorize
            .host_str()
            .map(|h| match config.endpoints.authorize.port() {
                Some(p) => format!("{h}:{p}"),
                None => h.to_owned(),
            })
            .unwrap_or_default(),
        scopes: config.scopes.clone(),
        signed_in,
    })
    .into_response()
}
