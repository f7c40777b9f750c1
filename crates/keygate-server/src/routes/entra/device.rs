//! `POST /{tenant}/oauth2/v2.0/devicecode`: Entra's device code flow (entra.md §4). The user
//! enters the code on the same `/device` page as the standard flow's; polling is the token
//! endpoint's device code grant. Entra returns no `verification_uri_complete`, and a `message`
//! to show.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keygate_core::entra::grants::start_device_flow;
use keygate_core::entra::EntraErrorKind;
use keygate_core::oauth::device::DeviceAuthorization;
use serde::Serialize;

use super::client_request::client_request;
use super::error::json;
use crate::headers::sensitive;
use crate::routes::device_authorization::VERIFICATION_PATH;
use crate::state::AppState;

/// Entra's device code answer.
#[derive(Serialize)]
struct DeviceCodeResponse {
    user_code: String,
    device_code: String,
    verification_uri: String,
    expires_in: i64,
    interval: i64,
    message: String,
}

pub(super) async fn devicecode(
    State(state): State<AppState>,
    Path(segment): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match start(&state, &segment, &headers, &body).await {
        Ok(started) => {
            let verification_uri = format!("{}{VERIFICATION_PATH}", state.base());
            let message = format!(
                "To sign in, use a web browser to open the page {verification_uri} and enter the code {} to authenticate.",
                started.user_code
            );
            (
                StatusCode::OK,
                sensitive(),
                Json(DeviceCodeResponse {
                    user_code: started.user_code,
                    device_code: started.device_code,
                    verification_uri,
                    expires_in: started.expires_in,
                    interval: started.interval,
                    message,
                }),
            )
                .into_response()
        }
        Err(kind) => {
            tracing::info!(aadsts = kind.code(), "Entra device code request refused");
            json(kind)
        }
    }
}

async fn start(
    state: &AppState,
    segment: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<DeviceAuthorization, EntraErrorKind> {
    let request = client_request(state, segment, headers, body).await?;
    start_device_flow(&state.kg, &request.client, request.form.get("scope")).await
}
