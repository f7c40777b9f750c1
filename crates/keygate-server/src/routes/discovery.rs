//! Metadata and keys for standard clients: RFC 8414 `/.well-known/oauth-authorization-server`
//! (served again at `/.well-known/openid-configuration`, where many libraries look), and the
//! JWK Set (RFC 7517) that access tokens verify against. Only what is implemented is advertised.

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use keygate_core::oauth::device::DEVICE_CODE_GRANT;
use keygate_core::scopes::catalogue;
use serde_json::{json, Value};

use super::device_authorization::DEVICE_AUTHORIZATION_PATH;
use crate::state::AppState;

/// Where the JWK Set is served.
pub(crate) const JWKS_PATH: &str = "/.well-known/jwks.json";

/// How long a resource server may cache the JWK Set. A rotated key is published at least twice
/// this long before it signs (`--key-publish-ahead`).
const JWKS_MAX_AGE: &str = "public, max-age=300";

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/.well-known/oauth-authorization-server", get(metadata))
        .route("/.well-known/openid-configuration", get(metadata))
        .route(JWKS_PATH, get(jwks))
}

/// The authorization server metadata document (RFC 8414 §2).
pub(crate) fn metadata_document(state: &AppState) -> Value {
    let base = state.base();
    let auth_methods = ["client_secret_basic", "client_secret_post", "none"];
    let scopes: Vec<&str> = catalogue()
        .all()
        .iter()
        .filter(|s| s.offered_at_registration())
        .map(|s| s.name)
        .collect();
    let mut doc = json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth2/authorize"),
        "token_endpoint": format!("{base}/oauth2/token"),
        "jwks_uri": format!("{base}{JWKS_PATH}"),
        "scopes_supported": scopes,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": [
            "authorization_code",
            "refresh_token",
            "client_credentials",
            DEVICE_CODE_GRANT,
        ],
        "token_endpoint_auth_methods_supported": auth_methods,
        "code_challenge_methods_supported": ["S256"],
        "revocation_endpoint": format!("{base}/oauth2/revoke"),
        "revocation_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint": format!("{base}/oauth2/introspect"),
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "device_authorization_endpoint": format!("{base}{DEVICE_AUTHORIZATION_PATH}"),
    });
    super::oidc::extend_metadata(&mut doc, &base);
    doc
}

async fn metadata(State(state): State<AppState>) -> Json<Value> {
    Json(metadata_document(&state))
}

pub(crate) async fn jwks(State(state): State<AppState>) -> Response {
    let ring = state.kg.credentials.keys();
    let mut response = Json(ring.jwks().clone()).into_response();
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(JWKS_MAX_AGE),
    );
    response
}
