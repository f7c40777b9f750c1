//! `POST /oauth2/devicecode`: the device authorization endpoint (RFC 8628 §3.1-§3.2). A public
//! client names itself by `client_id`; a confidential one authenticates as at the token
//! endpoint. Refusals are RFC 6749 §5.2 error bodies.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use keygate_core::oauth::device::authorize_device;
use keygate_core::oauth::TokenError;
use serde::Serialize;

use super::standard_oauth::{authenticate, error};
use crate::forms::{is_form, FormFields};
use crate::headers::sensitive;
use crate::state::AppState;

/// Where the device authorization endpoint is served.
pub(crate) const DEVICE_AUTHORIZATION_PATH: &str = "/oauth2/devicecode";

/// Where people enter user codes.
pub(crate) const VERIFICATION_PATH: &str = "/device";

pub(super) fn router() -> Router<AppState> {
    Router::new().route(DEVICE_AUTHORIZATION_PATH, post(authorize_device_request))
}

/// RFC 8628 §3.2.
#[derive(Serialize)]
struct DeviceAuthorizationResponse {
    device_code: String,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: String,
    expires_in: i64,
    interval: i64,
}

async fn authorize_device_request(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if !is_form(&headers) {
        return error(TokenError::GrantTypeMissing);
    }
    let form = FormFields::parse(&body);
    if form.repeated().is_some() {
        return error(TokenError::ParameterRepeated);
    }
    let result = async {
        let client = authenticate(&state, &headers, &form).await?;
        authorize_device(&state.kg, &client, form.get("scope")).await
    }
    .await;
    match result {
        Ok(started) => {
            let verification_uri = format!("{}{VERIFICATION_PATH}", state.base());
            let complete = format!(
                "{verification_uri}?{}",
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("user_code", &started.user_code)
                    .finish()
            );
            (
                StatusCode::OK,
                sensitive(),
                Json(DeviceAuthorizationResponse {
                    device_code: started.device_code,
                    user_code: started.user_code,
                    verification_uri,
                    verification_uri_complete: complete,
                    expires_in: started.expires_in,
                    interval: started.interval,
                }),
            )
                .into_response()
        }
        Err(e) => {
            tracing::info!(error = e.rfc_code(), "device authorization refused");
            error(e)
        }
    }
}
