//! Microsoft Entra ID's endpoints under `/{tenant}/...` (entra.md §1): discovery and keys,
//! authorize (v2.0, and v1 with `resource`), token, and sign-out. They sit beside the Azure
//! DevOps OAuth and standard endpoints and reach the same apps, users and authorizations; the
//! translation (scopes, token shapes, `AADSTS` errors) is `keygate_core::entra`.

mod authorize;
mod client_request;
mod device;
mod discovery;
mod error;
mod token;

use axum::routing::{get, post};
use axum::Router;
use keygate_core::entra::TenantMatch;

use crate::state::AppState;

pub(crate) use error::EntraFailure;

/// The Entra routes. The path parameter is named `org`, like the organization routes' first
/// segment, so the router sees one parameter there; organization names that would collide
/// (`common`, `organizations`, GUIDs, the tenant's domain) are refused at creation.
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/{org}/v2.0/.well-known/openid-configuration",
            get(discovery::openid_configuration),
        )
        .route(
            "/{org}/.well-known/openid-configuration",
            get(discovery::openid_configuration_v1),
        )
        .route("/{org}/discovery/v2.0/keys", get(discovery::keys))
        .route("/{org}/discovery/keys", get(discovery::keys))
        .route("/{org}/discovery/instance", get(discovery::instance))
        .route(
            "/{org}/oauth2/v2.0/authorize",
            get(authorize::authorize_get::<false>).post(authorize::authorize_post::<false>),
        )
        .route(
            "/{org}/oauth2/authorize",
            get(authorize::authorize_get::<true>).post(authorize::authorize_post::<true>),
        )
        .route("/{org}/oauth2/v2.0/token", post(token::token_v2))
        .route("/{org}/oauth2/token", post(token::token_v1))
        .route("/{org}/oauth2/v2.0/devicecode", post(device::devicecode))
        .route(
            "/{org}/oauth2/v2.0/logout",
            get(discovery::logout).post(discovery::logout),
        )
        .route(
            "/{org}/oauth2/logout",
            get(discovery::logout).post(discovery::logout),
        )
}

/// The token endpoint URLs a client assertion sent through `segment` may name as its `aud`:
/// v2.0 and v1, under the segment used and under the tenant id.
fn assertion_audiences(state: &AppState, segment: &str) -> Vec<String> {
    let base = state.base();
    let tid = state.kg.tenant.id.to_string();
    let mut audiences = Vec::new();
    for tenant in [segment, tid.as_str()] {
        audiences.push(format!("{base}/{tenant}/oauth2/v2.0/token"));
        audiences.push(format!("{base}/{tenant}/oauth2/token"));
    }
    audiences
}

/// The tenant a path segment names, or Entra's AADSTS90002.
fn tenant(state: &AppState, segment: &str) -> Result<TenantMatch, EntraFailure> {
    state.kg.tenant.resolve(segment).ok_or(EntraFailure(
        keygate_core::entra::EntraErrorKind::TenantNotFound,
    ))
}
