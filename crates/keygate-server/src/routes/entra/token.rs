//! `POST /{tenant}/oauth2/v2.0/token` and the v1 `/{tenant}/oauth2/token`: the request read and
//! the client authenticated here, the grant run by `keygate_core::entra::grants`, and the
//! answer written in Entra's shape (integer `expires_in` on v2; v1 writes its numbers as strings
//! and names the `resource`).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keygate_core::entra::grants::{exchange, EntraGrant, EntraTokenRequest};
use keygate_core::entra::tokens::EntraTokens;
use keygate_core::entra::{EntraErrorKind, AZURE_DEVOPS_RESOURCE};
use serde::Serialize;

use super::client_request::{client_request, ClientRequest};
use super::error::json;
use crate::headers::sensitive;
use crate::state::AppState;

/// The v2.0 success body, keys in the order Entra writes them.
#[derive(Serialize)]
struct V2Response {
    token_type: &'static str,
    scope: String,
    expires_in: i64,
    ext_expires_in: i64,
    access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_info: Option<String>,
}

/// The v1 success body: numbers as strings, `expires_on`, `not_before` and `resource`.
#[derive(Serialize)]
struct V1Response {
    token_type: &'static str,
    scope: String,
    expires_in: String,
    ext_expires_in: String,
    expires_on: String,
    not_before: String,
    resource: &'static str,
    access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_info: Option<String>,
}

/// Which token endpoint answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    V2,
    V1,
}

pub(super) async fn token_v2(
    State(state): State<AppState>,
    Path(segment): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(&state, &segment, &headers, &body, Version::V2).await
}

pub(super) async fn token_v1(
    State(state): State<AppState>,
    Path(segment): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    answer(&state, &segment, &headers, &body, Version::V1).await
}

async fn answer(
    state: &AppState,
    segment: &str,
    headers: &HeaderMap,
    body: &[u8],
    version: Version,
) -> Response {
    match grant(state, segment, headers, body).await {
        Ok(tokens) => success(state, tokens, version),
        Err(kind) => {
            tracing::info!(
                aadsts = kind.code(),
                error = kind.error(),
                "Entra token request refused"
            );
            json(kind)
        }
    }
}

async fn grant(
    state: &AppState,
    segment: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<EntraTokens, EntraErrorKind> {
    let ClientRequest {
        form,
        client,
        proof,
        client_id,
    } = client_request(state, segment, headers, body).await?;
    let grant = EntraGrant::parse(form.get("grant_type"))?;
    let request = EntraTokenRequest {
        code: form.get("code"),
        redirect_uri: form.get("redirect_uri"),
        code_verifier: form.get("code_verifier"),
        refresh_token: form.get("refresh_token"),
        scope: form.get("scope"),
        device_code: form.get("device_code"),
        client_id: client_id.as_deref(),
        client_info: form.get("client_info") == Some("1"),
    };
    exchange(&state.kg, &state.base(), grant, (&client, proof), request).await
}

fn success(state: &AppState, t: EntraTokens, version: Version) -> Response {
    let body = match version {
        Version::V2 => Json(V2Response {
            token_type: "Bearer",
            scope: t.scope,
            expires_in: t.expires_in,
            ext_expires_in: t.expires_in,
            access_token: t.access_token,
            refresh_token: t.refresh_token,
            id_token: t.id_token,
            client_info: t.client_info,
        })
        .into_response(),
        Version::V1 => {
            let now = state.kg.clock.now();
            Json(V1Response {
                token_type: "Bearer",
                scope: t.scope,
                expires_in: t.expires_in.to_string(),
                ext_expires_in: t.expires_in.to_string(),
                expires_on: (now + t.expires_in).to_string(),
                not_before: now.to_string(),
                resource: AZURE_DEVOPS_RESOURCE,
                access_token: t.access_token,
                refresh_token: t.refresh_token,
                id_token: t.id_token,
                client_info: t.client_info,
            })
            .into_response()
        }
    };
    (StatusCode::OK, sensitive(), body).into_response()
}
