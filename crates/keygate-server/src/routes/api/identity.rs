//! Who the token belongs to: profile, connection data, and the user's organizations (accounts).

use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use keygate_api_types::{
    AccessMapping, Account, ConnectionData, Identity, LocationServiceData, Profile,
};
use keygate_core::directory;
use keygate_core::model::User;
use serde_json::json;

use super::auth::BearerToken;
use super::error::ApiError;
use super::{iso, list, typed_response};
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

fn identity(user: &User) -> Identity {
    Identity {
        id: user.id.to_string(),
        descriptor: format!("Keygate.Identity;{}", user.email),
        subject_descriptor: format!("kg.{}", URL_SAFE_NO_PAD.encode(user.id.to_string())),
        provider_display_name: user.display_name.clone(),
        is_active: true,
        properties: json!({"Account": {"$type": "System.String", "$value": user.email}}),
        resource_version: 2,
        meta_type_id: 0,
    }
}

/// `GET /_apis/profile/profiles/me` (vso.profile).
async fn get_profile(
    State(state): State<AppState>,
    bearer: BearerToken,
) -> Result<Response, ApiError> {
    let user = bearer.require_user(&state, "vso.profile").await?;
    let body = Profile {
        display_name: user.display_name.clone(),
        public_alias: user.public_alias.clone(),
        email_address: user.email.clone(),
        core_revision: 1,
        time_stamp: iso(user.created_at),
        id: user.id.to_string(),
        revision: 1,
    };
    Ok(typed_response(
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
    let body = ConnectionData {
        authenticated_user: me.clone(),
        authorized_user: me,
        instance_id: state.kg.credentials.keys().active().kid.to_string(),
        deployment_type: "hosted".into(),
        location_service_data: Some(LocationServiceData {
            service_owner: "00000000-0000-0000-0000-000000000000".into(),
            default_access_mapping_moniker: "PublicAccessMapping".into(),
            access_mappings: vec![AccessMapping {
                display_name: "Public Access Mapping".into(),
                moniker: "PublicAccessMapping".into(),
                access_point: state.base(),
            }],
        }),
    };
    typed_response(StatusCode::OK, &body, bearer.api_version.as_deref())
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
        .map(|o| Account {
            account_id: o.id.to_string(),
            account_uri: format!("{base}/{}/", o.name),
            account_name: o.name,
            properties: json!({}),
        })
        .collect();
    Ok(typed_response(
        StatusCode::OK,
        &list(values),
        bearer.api_version.as_deref(),
    ))
}
