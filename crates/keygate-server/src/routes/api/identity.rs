//! Who the token belongs to: profile, connection data, and the user's organizations (accounts).

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use keygate_core::directory;
use keygate_core::model::User;
use serde_json::{json, Value};

use super::auth::BearerToken;
use super::error::ApiError;
use super::{iso, json_response, list};
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/_apis/profile/profiles/me",
            get(get_profile).fallback(super::other_method),
        )
        .route(
            "/_apis/connectionData",
            get(get_connection_data).fallback(super::other_method),
        )
        .route(
            "/{org}/_apis/connectionData",
            get(get_org_connection_data).fallback(super::other_method),
        )
        .route(
            "/_apis/accounts",
            get(list_accounts).fallback(super::other_method),
        )
}

fn identity(user: &User) -> Value {
    json!({
        "id": user.id,
        "descriptor": format!("Keygate.Identity;{}", user.email),
        "subjectDescriptor": format!("kg.{}", URL_SAFE_NO_PAD.encode(user.id.to_string())),
        "providerDisplayName": user.display_name,
        "isActive": true,
        "properties": {"Account": {"$type": "System.String", "$value": user.email}},
        "resourceVersion": 2,
        "metaTypeId": 0
    })
}

/// `GET /_apis/profile/profiles/me` (vso.profile).
async fn get_profile(
    State(state): State<AppState>,
    bearer: BearerToken,
) -> Result<Response, ApiError> {
    let user = bearer.require_user(&state, "vso.profile").await?;
    let body = json!({
        "displayName": user.display_name,
        "publicAlias": user.public_alias,
        "emailAddress": user.email,
        "coreRevision": 1,
        "timeStamp": iso(user.created_at),
        "id": user.id,
        "revision": 1
    });
    Ok(json_response(
        StatusCode::OK,
        &body,
        bearer.api_version.as_deref(),
    ))
}

/// `GET /_apis/connectionData` (any valid token).
async fn get_connection_data(
    State(state): State<AppState>,
    bearer: BearerToken,
) -> Result<Response, ApiError> {
    let user = bearer.require_user(&state, "vso.base").await?;
    Ok(connection_data(&state, &bearer, &user))
}

/// `GET /{org}/_apis/connectionData` (any valid token of a member; the Node SDK's `connect()`).
async fn get_org_connection_data(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path(org): Path<String>,
) -> Result<Response, ApiError> {
    let access = bearer.require_org(&state, "vso.base", &org).await?;
    let user = directory::token_user(&state.kg, access.user()).await?;
    Ok(connection_data(&state, &bearer, &user))
}

fn connection_data(state: &AppState, bearer: &BearerToken, user: &User) -> Response {
    let me = identity(user);
    let body = json!({
        "authenticatedUser": me,
        "authorizedUser": me,
        "instanceId": state.kg.credentials.keys().active().kid,
        "deploymentType": "hosted",
        "locationServiceData": {"serviceOwner": "00000000-0000-0000-0000-000000000000", "defaultAccessMappingMoniker": "PublicAccessMapping", "accessMappings": [{"displayName": "Public Access Mapping", "moniker": "PublicAccessMapping", "accessPoint": state.base()}]}
    });
    json_response(StatusCode::OK, &body, bearer.api_version.as_deref())
}

/// `GET /_apis/accounts?memberId=` (vso.profile): the caller's organizations. A `memberId` other
/// than the caller's own lists nothing: one user cannot enumerate another's organizations.
async fn list_accounts(
    State(state): State<AppState>,
    bearer: BearerToken,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let user = bearer.require_user(&state, "vso.profile").await?;
    let member = query.as_deref().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k.eq_ignore_ascii_case("memberId") || k.eq_ignore_ascii_case("ownerId"))
            .map(|(_, v)| v.into_owned())
    });
    let orgs = directory::organizations_of(&state.kg, &user, member.as_deref()).await?;
    let base = state.base();
    let values = orgs
        .into_iter()
        .map(|o| {
            json!({
                "accountId": o.id,
                "accountUri": format!("{base}/{}/", o.name),
                "accountName": o.name,
                "properties": {}
            })
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &list(values),
        bearer.api_version.as_deref(),
    ))
}
