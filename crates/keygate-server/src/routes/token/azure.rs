//! The Azure flavour of `POST /oauth2/token` (protocol §4): the client secret in
//! `client_assertion`, the code or refresh token in `assertion`, PascalCase errors and
//! `expires_in` as a JSON string.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use keygate_core::oauth::client::{self, Client};
use keygate_core::oauth::token::{self, CodeGrant, IssuedTokens, RedirectRule, RefreshGrant};
use keygate_core::oauth::TokenError;
use serde::Serialize;

use crate::forms::FormFields;
use crate::headers::sensitive;
use crate::state::AppState;

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

/// The Azure code-exchange grant type.
pub(super) const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// Renders a refusal in the Azure shape.
pub(super) fn error(e: TokenError) -> Response {
    let status = if e.is_unavailable() {
        StatusCode::SERVICE_UNAVAILABLE
    } else if e.is_server_fault() {
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

fn success(t: IssuedTokens) -> Response {
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

/// Runs an Azure-flavoured grant and renders its result.
pub(super) async fn exchange(state: &AppState, form: &FormFields) -> Response {
    match grant(state, form).await {
        Ok(tokens) => success(tokens),
        Err(e) => {
            tracing::info!(
                error = e.azure_code(),
                grant_type = form.get("grant_type").unwrap_or(""),
                "token request refused"
            );
            error(e)
        }
    }
}

async fn grant(state: &AppState, form: &FormFields) -> Result<IssuedTokens, TokenError> {
    let kg = &state.kg;
    let grant_type = form.get("grant_type").map(str::trim);
    let is_code = match grant_type {
        Some(g) if g.eq_ignore_ascii_case(JWT_BEARER_GRANT) => true,
        Some(g) if g.eq_ignore_ascii_case("refresh_token") => false,
        _ => return Err(TokenError::GrantTypeMissing),
    };
    let secret = token::authenticate_client(kg, form.get("client_assertion")).await?;
    // Lenient about a `client_id` beside the secret (protocol §4), but not about one naming
    // another app: that request is confused or forged.
    client::require_same_app(form.get("client_id"), &secret)?;
    let client = Client::Confidential(secret);
    if is_code {
        let grant = CodeGrant {
            code: form.get("assertion"),
            redirect_uri: form.get("redirect_uri"),
            code_verifier: form.get("code_verifier"),
            // Lenient (protocol §4): some Azure clients send a stray code_verifier.
            refuse_unexpected_verifier: false,
        };
        token::exchange_code(kg, &client, grant).await
    } else {
        // The refresh token travels in `assertion`; `refresh_token` is accepted as well.
        let refresh_token = form
            .get("assertion")
            .filter(|s| !s.is_empty())
            .or(form.get("refresh_token"));
        let grant = RefreshGrant {
            refresh_token,
            redirect_uri: RedirectRule::MustMatchCallback(form.get("redirect_uri")),
            scope: None,
        };
        token::refresh(kg, &client, grant).await
    }
}
