//! Entra's error answers: the token endpoint's JSON body (`error`, `error_description` starting
//! with the `AADSTS` code, `error_codes`, `timestamp`, `trace_id`, `correlation_id`,
//! `error_uri`), and the error page an authorize request gets when it cannot be redirected.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use keygate_core::entra::EntraErrorKind;
use serde::Serialize;

use crate::headers::sensitive;

/// An Entra refusal answered with the JSON error body (token endpoint, discovery).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntraFailure(pub(crate) EntraErrorKind);

#[derive(Serialize)]
struct ErrorBody {
    error: &'static str,
    error_description: String,
    error_codes: [u32; 1],
    timestamp: String,
    trace_id: String,
    correlation_id: String,
    error_uri: String,
}

/// `YYYY-MM-DD hh:mm:ssZ`, as Entra writes `timestamp`.
fn timestamp() -> String {
    let format =
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute]:[second]Z");
    time::OffsetDateTime::now_utc()
        .format(&format)
        .unwrap_or_default()
}

/// The JSON error body of the token endpoint.
pub(crate) fn json(kind: EntraErrorKind) -> Response {
    let trace_id = uuid::Uuid::new_v4();
    let correlation_id = uuid::Uuid::new_v4();
    let status = StatusCode::from_u16(kind.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let body = ErrorBody {
        error: kind.error(),
        error_description: format!(
            "{} Trace ID: {trace_id} Correlation ID: {correlation_id} Timestamp: {}",
            kind.description(),
            timestamp()
        ),
        error_codes: [kind.code()],
        timestamp: timestamp(),
        trace_id: trace_id.to_string(),
        correlation_id: correlation_id.to_string(),
        error_uri: format!(
            "https://login.microsoftonline.com/error?code={}",
            kind.code()
        ),
    };
    (status, sensitive(), Json(body)).into_response()
}

/// The error page of an authorize request that cannot go back to the app.
pub(crate) fn page(kind: EntraErrorKind) -> Response {
    let status = if matches!(kind, EntraErrorKind::Server | EntraErrorKind::Unavailable) {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::BAD_REQUEST
    };
    crate::error::error_page(status, "Sign-in failed", kind.description())
}

impl IntoResponse for EntraFailure {
    fn into_response(self) -> Response {
        json(self.0)
    }
}
