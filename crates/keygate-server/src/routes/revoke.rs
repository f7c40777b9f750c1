//! `POST /oauth2/revoke` (RFC 7009): a client ends one of its tokens, and with it the
//! authorization behind it.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use keygate_core::oauth::revoke::{revoke, TokenHint};
use keygate_core::oauth::TokenError;

use super::standard_oauth::{authenticate, error};
use crate::forms::{is_form, FormFields};
use crate::headers::sensitive;
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/oauth2/revoke", post(revoke_token))
}

/// RFC 7009 §2.2: 200 with an empty body, also for a token that was unknown or already dead.
async fn revoke_token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if !is_form(&headers) {
        return error(TokenError::TokenMissing);
    }
    let form = FormFields::parse(&body);
    if form.repeated().is_some() {
        return error(TokenError::ParameterRepeated);
    }
    let result = async {
        let client = authenticate(&state, &headers, &form).await?;
        let hint = TokenHint::parse(form.get("token_type_hint"));
        revoke(&state.kg, &client, form.get("token"), hint).await
    }
    .await;
    match result {
        Ok(()) => (StatusCode::OK, sensitive()).into_response(),
        Err(e) => {
            tracing::info!(error = e.rfc_code(), "revocation refused");
            error(e)
        }
    }
}
