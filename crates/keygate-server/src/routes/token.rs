//! `POST /oauth2/token`: the Azure flavour of protocol §4 (`client_assertion`, PascalCase errors,
//! `expires_in` as a string).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use keygate_core::oauth::token::{self, IssuedTokens};
use keygate_core::oauth::TokenError;
use serde::Serialize;

use crate::forms::{is_form, FormFields};
use crate::headers::sensitive;
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/oauth2/token", post(exchange_token))
}

/// The Azure token response; keys in the order the hosted service sends them.
#[derive(Serialize)]
struct AzureTokenResponse {
    access_token: String,
    token_type: &'static str,
    /// A JSON string: Go and TypeScript clients decode it as one.
    expires_in: String,
    refresh_token: String,
}

/// The Azure error body, PascalCase keys.
#[derive(Serialize)]
struct AzureErrorResponse {
    #[serde(rename = "Error")]
    error: &'static str,
    #[serde(rename = "ErrorDescription")]
    error_description: String,
}

const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

fn azure_error(e: TokenError) -> Response {
    let status = if e.is_server_fault() {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::BAD_REQUEST
    };
    (
        status,
        sensitive(),
        Json(AzureErrorResponse {
            error: e.azure_code(),
            error_description: e.description(),
        }),
    )
        .into_response()
}

fn azure_success(t: IssuedTokens) -> Response {
    (
        StatusCode::OK,
        sensitive(),
        Json(AzureTokenResponse {
            access_token: t.access_token,
            token_type: "jwt-bearer",
            expires_in: t.expires_in.to_string(),
            refresh_token: t.refresh_token,
        }),
    )
        .into_response()
}

async fn exchange_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        return azure_error(TokenError::GrantTypeMissing);
    }
    let form = FormFields::parse(&body);
    match azure_grant(&state, &form).await {
        Ok(tokens) => azure_success(tokens),
        Err(e) => {
            tracing::info!(
                error = e.azure_code(),
                grant_type = form.get("grant_type").unwrap_or(""),
                "token request refused"
            );
            azure_error(e)
        }
    }
}

async fn azure_grant(state: &AppState, form: &FormFields) -> Result<IssuedTokens, TokenError> {
    let kg = &state.kg;
    let grant_type = form.get("grant_type").map(str::trim);
    let is_code = match grant_type {
        Some(g) if g.eq_ignore_ascii_case(JWT_BEARER_GRANT) => true,
        Some(g) if g.eq_ignore_ascii_case("refresh_token") => false,
        _ => return Err(TokenError::GrantTypeMissing),
    };
    let client = token::authenticate_client(kg, form.get("client_assertion")).await?;
    if is_code {
        token::exchange_code(
            kg,
            &client,
            form.get("assertion"),
            form.get("redirect_uri"),
            form.get("code_verifier"),
        )
        .await
    } else {
        // The refresh token travels in `assertion`; `refresh_token` is accepted as well.
        let refresh = form
            .get("assertion")
            .filter(|s| !s.is_empty())
            .or(form.get("refresh_token"));
        token::refresh(kg, &client, refresh, form.get("redirect_uri")).await
    }
}
