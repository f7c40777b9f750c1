//! Service hooks subscriptions: `GET`/`POST /{org}/_apis/hooks/subscriptions` and
//! `GET`/`PUT`/`DELETE .../subscriptions/{id}` (`vso.hooks` to read, `vso.hooks_write` to
//! change). Consumer URLs must be https; http to a loopback address only in emulator mode.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use keygate_api_types as wire;
use keygate_core::hooks::{self, HookError, SubscriptionRequest};
use keygate_core::model::HookSubscription;

use super::auth::BearerToken;
use super::error::ApiError;
use super::{iso, list, typed_response};
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/{org}/_apis/hooks/subscriptions",
            get(list_subscriptions)
                .post(create_subscription)
                .fallback(super::other_method),
        )
        .route(
            "/{org}/_apis/hooks/subscriptions/{id}",
            get(get_subscription)
                .put(replace_subscription)
                .delete(delete_subscription)
                .fallback(super::other_method),
        )
}

impl From<HookError> for ApiError {
    fn from(e: HookError) -> Self {
        match e {
            e @ HookError::Invalid(_) => ApiError::BadRequest(e.to_string()),
            e @ HookError::NotFound(_) => ApiError::NotFound {
                message: e.to_string(),
                type_key: "SubscriptionNotFoundException",
            },
            HookError::Access(e) => e.into(),
            HookError::Store(e) => e.into(),
        }
    }
}

/// Whether http to a loopback consumer is allowed: only in emulator mode.
fn allow_loopback(state: &AppState) -> bool {
    state.emulator.is_some()
}

fn subscription_json(base: &str, org: &str, s: &HookSubscription) -> wire::Subscription {
    let mut publisher_inputs = std::collections::BTreeMap::new();
    if let Some(p) = s.project_id {
        publisher_inputs.insert("projectId".to_owned(), p.to_string());
    }
    let mut consumer_inputs = std::collections::BTreeMap::new();
    consumer_inputs.insert("url".to_owned(), s.consumer_url.clone());
    if !s.http_headers.is_empty() {
        consumer_inputs.insert("httpHeaders".to_owned(), s.http_headers.clone());
    }
    let by = wire::IdRef {
        id: s.created_by.to_string(),
    };
    wire::Subscription {
        id: s.id.to_string(),
        url: format!("{base}/{org}/_apis/hooks/subscriptions/{}", s.id),
        status: s.status.as_str().to_owned(),
        publisher_id: "tfs".to_owned(),
        event_type: s.event_type.as_str().to_owned(),
        resource_version: "1.0".to_owned(),
        consumer_id: "webHooks".to_owned(),
        consumer_action_id: "httpRequest".to_owned(),
        publisher_inputs,
        consumer_inputs,
        created_by: Some(by.clone()),
        created_date: Some(iso(s.created_at)),
        modified_by: Some(by),
        modified_date: Some(iso(s.modified_at)),
        probation_retries: s.failure_count,
        last_error: s.last_error.clone(),
    }
}

fn request_of(body: &[u8]) -> Result<SubscriptionRequest, ApiError> {
    let s: wire::Subscription = serde_json::from_slice(body).map_err(|e| {
        ApiError::BadRequest(format!("The request body is not a subscription: {e}"))
    })?;
    let input = |map: &std::collections::BTreeMap<String, String>, name: &str| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    Ok(SubscriptionRequest {
        publisher_id: s.publisher_id.clone(),
        event_type: s.event_type.clone(),
        consumer_id: s.consumer_id.clone(),
        consumer_action_id: s.consumer_action_id.clone(),
        project: input(&s.publisher_inputs, "projectId"),
        url: input(&s.consumer_inputs, "url").unwrap_or_default(),
        http_headers: input(&s.consumer_inputs, "httpHeaders"),
    })
}

fn respond(
    state: &AppState,
    bearer: &BearerToken,
    status: StatusCode,
    org: &str,
    s: &HookSubscription,
) -> Response {
    typed_response(
        status,
        &subscription_json(&state.base(), org, s),
        bearer.api_version.as_deref(),
    )
}

/// `GET /{org}/_apis/hooks/subscriptions` (vso.hooks).
async fn list_subscriptions(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path(org): Path<String>,
) -> Result<Response, ApiError> {
    let access = bearer.require_org(&state, "vso.hooks", &org).await?;
    let base = state.base();
    let name = &access.org().name;
    let found = hooks::list(&state.kg, &access).await?;
    let values = found
        .iter()
        .map(|s| subscription_json(&base, name, s))
        .collect();
    Ok(typed_response(
        StatusCode::OK,
        &list(values),
        bearer.api_version.as_deref(),
    ))
}

/// `POST /{org}/_apis/hooks/subscriptions` (vso.hooks_write).
async fn create_subscription(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path(org): Path<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let access = bearer.require_org(&state, "vso.hooks_write", &org).await?;
    let request = request_of(&body)?;
    let s = hooks::create(&state.kg, &access, &request, allow_loopback(&state)).await?;
    tracing::info!(subscription = %s.id, org = %access.org().id, event = s.event_type.as_str(),
        "service hooks subscription created");
    Ok(respond(
        &state,
        &bearer,
        StatusCode::OK,
        &access.org().name,
        &s,
    ))
}

/// `GET /{org}/_apis/hooks/subscriptions/{id}` (vso.hooks).
async fn get_subscription(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path((org, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let access = bearer.require_org(&state, "vso.hooks", &org).await?;
    let s = hooks::get(&state.kg, &access, &id).await?;
    Ok(respond(
        &state,
        &bearer,
        StatusCode::OK,
        &access.org().name,
        &s,
    ))
}

/// `PUT /{org}/_apis/hooks/subscriptions/{id}` (vso.hooks_write).
async fn replace_subscription(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path((org, id)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let access = bearer.require_org(&state, "vso.hooks_write", &org).await?;
    let request = request_of(&body)?;
    let s = hooks::replace(&state.kg, &access, &id, &request, allow_loopback(&state)).await?;
    Ok(respond(
        &state,
        &bearer,
        StatusCode::OK,
        &access.org().name,
        &s,
    ))
}

/// `DELETE /{org}/_apis/hooks/subscriptions/{id}` (vso.hooks_write): 204.
async fn delete_subscription(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path((org, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let access = bearer.require_org(&state, "vso.hooks_write", &org).await?;
    hooks::delete(&state.kg, &access, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
