//! The standard flavour of `POST /oauth2/token` (RFC 6749): `authorization_code` with PKCE,
//! `refresh_token` and `client_credentials`, clients authenticated by `client_secret_basic`,
//! `client_secret_post` or (public clients) `client_id` alone, RFC 6749 §5.1 success bodies;
//! and the device code grant (RFC 8628 §3.4), whose pending answers are §5.2 error bodies.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keygate_core::oauth::client_credentials::client_credentials;
use keygate_core::oauth::device;
use keygate_core::oauth::token::{self, CodeGrant, RedirectRule, RefreshGrant};
use keygate_core::oauth::TokenError;
use keygate_core::oidc;
use keygate_core::scopes::ScopeSet;
use serde::Serialize;

use super::super::standard_oauth::{authenticate, error};
use crate::forms::FormFields;
use crate::headers::sensitive;
use crate::state::AppState;

/// RFC 6749 §5.1, keys in the order clients' documentation shows them.
#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    /// A JSON number, as RFC 6749 §5.1 says.
    expires_in: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    scope: String,
    /// OpenID Connect Core §3.1.3.3: present when the grant carried `openid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

/// What a successful grant hands back, whichever grant it was.
struct Issued {
    access_token: String,
    expires_in: i64,
    refresh_token: Option<String>,
    scopes: ScopeSet,
    id_token: Option<String>,
}

fn success(t: Issued) -> Response {
    (
        StatusCode::OK,
        sensitive(),
        Json(TokenResponse {
            access_token: t.access_token,
            token_type: "Bearer",
            expires_in: t.expires_in,
            refresh_token: t.refresh_token,
            scope: t.scopes.to_string(),
            id_token: t.id_token,
        }),
    )
        .into_response()
}

/// Runs a standard grant and renders its result.
pub(super) async fn exchange(state: &AppState, headers: &HeaderMap, form: &FormFields) -> Response {
    match grant(state, headers, form).await {
        Ok(issued) => success(issued),
        Err(e) => {
            tracing::info!(
                error = e.rfc_code(),
                grant_type = form.get("grant_type").unwrap_or(""),
                "token request refused"
            );
            error(e)
        }
    }
}

#[derive(Clone, Copy)]
enum Grant {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    DeviceCode,
}

async fn grant(
    state: &AppState,
    headers: &HeaderMap,
    form: &FormFields,
) -> Result<Issued, TokenError> {
    let grant = match form.get("grant_type").map(str::trim) {
        None | Some("") => return Err(TokenError::GrantTypeMissing),
        Some("authorization_code") => Grant::AuthorizationCode,
        Some("refresh_token") => Grant::RefreshToken,
        Some("client_credentials") => Grant::ClientCredentials,
        Some(device::DEVICE_CODE_GRANT) => Grant::DeviceCode,
        Some(_) => return Err(TokenError::GrantTypeUnsupported),
    };
    let client = authenticate(state, headers, form).await?;
    let kg = &state.kg;
    let tokens = match grant {
        Grant::AuthorizationCode => {
            let grant = CodeGrant {
                code: form.get("code"),
                redirect_uri: form.get("redirect_uri"),
                code_verifier: form.get("code_verifier"),
                refuse_unexpected_verifier: true,
            };
            token::exchange_code(kg, &client, grant).await?
        }
        Grant::RefreshToken => {
            let grant = RefreshGrant {
                refresh_token: form.get("refresh_token"),
                redirect_uri: RedirectRule::NotChecked,
                scope: form.get("scope"),
            };
            token::refresh(kg, &client, grant).await?
        }
        Grant::DeviceCode => device::poll_device_code(kg, &client, form.get("device_code")).await?,
        Grant::ClientCredentials => {
            let t = client_credentials(kg, &client, form.get("scope")).await?;
            return Ok(Issued {
                access_token: t.access_token,
                expires_in: t.expires_in,
                refresh_token: None,
                scopes: t.scopes,
                id_token: None,
            });
        }
    };
    let id_token = oidc::mint_id_token(kg, &state.base(), &tokens).await?;
    Ok(Issued {
        access_token: tokens.access_token,
        expires_in: tokens.expires_in,
        refresh_token: Some(tokens.refresh_token),
        scopes: tokens.scopes,
        id_token,
    })
}
