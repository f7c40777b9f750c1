//! The bearer-protected REST API: the Azure DevOps endpoints OAuth apps call first (protocol §7).

mod auth;
mod error;
mod hooks;
mod identity;
mod locations;
mod paths;
mod projects;
mod registration;
mod version;
mod work;
mod work_items;

pub(crate) use paths::case_insensitive;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::Value;

use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .merge(hooks::router())
        .merge(identity::router())
        .merge(locations::router())
        .merge(projects::router())
        .merge(work::router())
        .merge(work_items::router())
        .merge(registration::router())
}

/// A JSON response whose content type echoes `api-version`, as the hosted service's does.
pub(crate) fn json_response(
    status: StatusCode,
    value: &Value,
    api_version: Option<&str>,
) -> Response {
    let mut content_type = "application/json; charset=utf-8".to_owned();
    if let Some(v) = api_version.filter(|v| {
        v.len() <= 32
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
    }) {
        content_type.push_str("; api-version=");
        content_type.push_str(v);
    }
    let mut response = (status, axum::Json(value)).into_response();
    if let Ok(v) = HeaderValue::from_str(&content_type) {
        response.headers_mut().insert(header::CONTENT_TYPE, v);
    }
    response
}

/// A typed body (the shared wire types of `keygate-api-types`) as [`json_response`] sends it.
pub(crate) fn typed_response<T: serde::Serialize>(
    status: StatusCode,
    value: &T,
    api_version: Option<&str>,
) -> Response {
    match serde_json::to_value(value) {
        Ok(v) => json_response(status, &v, api_version),
        Err(e) => {
            tracing::error!(error = %e, "a REST body did not serialize");
            error::ApiError::Internal.into_response()
        }
    }
}

/// `{"count": N, "value": [...]}`.
pub(crate) fn list<T>(values: Vec<T>) -> keygate_api_types::Collection<T> {
    keygate_api_types::Collection::of(values)
}

/// ISO 8601 in UTC, as the REST API writes dates.
pub(crate) fn iso(t: i64) -> String {
    keygate_core::clock::rfc3339(t)
}

/// Any method an endpoint does not serve: the token is judged first, as the hosted service does
/// (so PATCH without a token is 401, not 405), then 405.
pub(crate) async fn other_method(
    axum::extract::State(state): axum::extract::State<AppState>,
    bearer: auth::BearerToken,
) -> Result<Response, error::ApiError> {
    bearer.require(&state, "vso.base", None)?;
    Ok(StatusCode::METHOD_NOT_ALLOWED.into_response())
}
