//! Entra's metadata: the v2.0 (and v1) OpenID configuration of a `{tenant}`, its keys, the
//! instance discovery answer for apps that cannot switch it off, and sign-out.

use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{HeaderMap, Method};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keygate_core::entra::TenantMatch;
use keygate_core::keys::ID_TOKEN_ALGORITHM;
use serde::Deserialize;
use serde_json::{json, Value};

use super::tenant;
use crate::state::AppState;

/// What a v2.0 discovery document for `segment` says.
fn v2_document(state: &AppState, segment: &str, named: TenantMatch) -> Value {
    let base = state.base();
    let tenant = &state.kg.tenant;
    // As Entra: the multi-tenant names publish the issuer with a placeholder.
    let issuer = match named {
        TenantMatch::This => tenant.v2_issuer(&base),
        TenantMatch::Common | TenantMatch::Organizations => format!("{base}/{{tenantid}}/v2.0"),
    };
    let host = state
        .public_url
        .host_str()
        .unwrap_or("localhost")
        .to_owned();
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{base}/{segment}/oauth2/v2.0/authorize"),
        "token_endpoint": format!("{base}/{segment}/oauth2/v2.0/token"),
        "device_authorization_endpoint": format!("{base}/{segment}/oauth2/v2.0/devicecode"),
        "end_session_endpoint": format!("{base}/{segment}/oauth2/v2.0/logout"),
        "jwks_uri": format!("{base}/{segment}/discovery/v2.0/keys"),
        "userinfo_endpoint": format!("{base}/oauth2/userinfo"),
        "response_modes_supported": ["query", "form_post"],
        "response_types_supported": ["code"],
        "grant_types_supported": [
            "authorization_code",
            "refresh_token",
            "client_credentials",
            keygate_core::oauth::device::DEVICE_CODE_GRANT,
        ],
        "scopes_supported": ["openid", "profile", "email", "offline_access"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": [ID_TOKEN_ALGORITHM.as_str()],
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": [
            "sub", "iss", "aud", "exp", "iat", "nbf", "nonce", "oid", "tid", "ver", "name",
            "preferred_username", "email",
        ],
        "request_uri_parameter_supported": false,
        "frontchannel_logout_supported": false,
        "http_logout_supported": false,
        "tenant_region_scope": "NA",
        "cloud_instance_name": host,
        "cloud_graph_host_name": host,
        "msgraph_host": host,
        "rbac_url": base,
    })
}

/// `GET /{tenant}/v2.0/.well-known/openid-configuration`.
pub(super) async fn openid_configuration(
    State(state): State<AppState>,
    Path(segment): Path<String>,
) -> Response {
    match tenant(&state, &segment) {
        Ok(named) => Json(v2_document(&state, &segment, named)).into_response(),
        Err(e) => e.into_response(),
    }
}

/// `GET /{tenant}/.well-known/openid-configuration`: the v1 endpoints (with `resource`).
pub(super) async fn openid_configuration_v1(
    State(state): State<AppState>,
    Path(segment): Path<String>,
) -> Response {
    if let Err(e) = tenant(&state, &segment) {
        return e.into_response();
    }
    let base = state.base();
    Json(json!({
        "issuer": state.kg.tenant.v1_issuer(),
        "authorization_endpoint": format!("{base}/{segment}/oauth2/authorize"),
        "token_endpoint": format!("{base}/{segment}/oauth2/token"),
        "jwks_uri": format!("{base}/{segment}/discovery/keys"),
        "end_session_endpoint": format!("{base}/{segment}/oauth2/logout"),
        "response_modes_supported": ["query", "form_post"],
        "response_types_supported": ["code"],
        "scopes_supported": ["openid"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": [ID_TOKEN_ALGORITHM.as_str()],
        "token_endpoint_auth_methods_supported": [
            "client_secret_post",
            "private_key_jwt",
            "client_secret_basic",
        ],
    }))
    .into_response()
}

/// `GET /{tenant}/discovery/v2.0/keys`: the same JWK Set as `/.well-known/jwks.json`.
pub(super) async fn keys(State(state): State<AppState>, Path(segment): Path<String>) -> Response {
    if let Err(e) = tenant(&state, &segment) {
        return e.into_response();
    }
    crate::routes::discovery::jwks(State(state)).await
}

/// The query of an instance discovery request.
#[derive(Deserialize)]
pub(super) struct InstanceQuery {
    authorization_endpoint: Option<String>,
}

/// `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=...`: tells an app
/// that cannot switch instance discovery off where this server's metadata is.
pub(super) async fn instance(
    State(state): State<AppState>,
    Path(segment): Path<String>,
    Query(query): Query<InstanceQuery>,
) -> Response {
    if !segment.eq_ignore_ascii_case("common") {
        return super::EntraFailure(keygate_core::entra::EntraErrorKind::TenantNotFound)
            .into_response();
    }
    let base = state.base();
    // The tenant is the first path segment of the authorization endpoint asked about.
    let asked = query
        .authorization_endpoint
        .as_deref()
        .and_then(|e| url::Url::parse(e).ok())
        .and_then(|u| u.path_segments()?.next().map(str::to_owned))
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "common".to_owned());
    let host = match state.public_url.port() {
        Some(port) => format!(
            "{}:{port}",
            state.public_url.host_str().unwrap_or("localhost")
        ),
        None => state
            .public_url
            .host_str()
            .unwrap_or("localhost")
            .to_owned(),
    };
    Json(json!({
        "tenant_discovery_endpoint": format!("{base}/{asked}/v2.0/.well-known/openid-configuration"),
        "api-version": "1.1",
        "metadata": [{
            "preferred_network": host,
            "preferred_cache": host,
            "aliases": [host],
        }],
    }))
    .into_response()
}

/// `GET`/`POST /{tenant}/oauth2/v2.0/logout`: ends the Keygate browser session, as
/// `/oauth2/logout` does.
pub(super) async fn logout(
    state: State<AppState>,
    Path(segment): Path<String>,
    method: Method,
    headers: HeaderMap,
    query: RawQuery,
    body: Bytes,
) -> Response {
    if let Err(e) = tenant(&state, &segment) {
        return super::error::page(e.0);
    }
    crate::routes::oidc::logout::end_session(state, method, headers, query, body).await
}
