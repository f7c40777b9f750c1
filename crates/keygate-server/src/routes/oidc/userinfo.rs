//! `GET`/`POST /oauth2/userinfo` (OpenID Connect Core §5.3): the access token in the
//! `Authorization: Bearer` header or, on POST, the form body's `access_token` (RFC 6750 §2.1,
//! §2.2); refusals as RFC 6750 §3 with `WWW-Authenticate`.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use keygate_core::oidc::{userinfo, UserInfoError};
use serde_json::json;

use crate::forms::{is_form, FormFields};
use crate::headers::sensitive;
use crate::state::AppState;

/// Where UserInfo is served.
pub(crate) const USERINFO_PATH: &str = "/oauth2/userinfo";

/// A refusal in RFC 6750 §3's shape.
enum Refusal {
    /// No token at all: a challenge with no error code (§3.1).
    NoToken,
    /// `invalid_request`: the token sent more than one way, or a body that is not a form.
    InvalidRequest,
    /// `invalid_token`.
    InvalidToken,
    /// `insufficient_scope`.
    InsufficientScope,
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let (status, challenge, error) = match self {
            Refusal::NoToken => (
                StatusCode::UNAUTHORIZED,
                r#"Bearer realm="keygate""#.to_owned(),
                None,
            ),
            Refusal::InvalidRequest => (
                StatusCode::BAD_REQUEST,
                r#"Bearer realm="keygate", error="invalid_request""#.to_owned(),
                Some((
                    "invalid_request",
                    "Send the access token once, in the Authorization header or a form body",
                )),
            ),
            Refusal::InvalidToken => (
                StatusCode::UNAUTHORIZED,
                r#"Bearer realm="keygate", error="invalid_token""#.to_owned(),
                Some((
                    "invalid_token",
                    "The access token is invalid, expired or revoked",
                )),
            ),
            Refusal::InsufficientScope => (
                StatusCode::FORBIDDEN,
                r#"Bearer realm="keygate", error="insufficient_scope", scope="openid""#.to_owned(),
                Some((
                    "insufficient_scope",
                    "The access token was not granted the openid scope",
                )),
            ),
        };
        let body = match error {
            Some((error, description)) => {
                json!({ "error": error, "error_description": description })
            }
            None => json!({}),
        };
        let mut response = (status, sensitive(), Json(body)).into_response();
        if let Ok(value) = HeaderValue::from_str(&challenge) {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// The bearer token of the `Authorization` header: `Some(None)` for a Bearer header without a
/// token, `None` without a Bearer header.
fn header_token(headers: &HeaderMap) -> Option<Option<String>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    Some(Some(rest.trim().to_owned()).filter(|t| !t.is_empty()))
}

/// UserInfo, by GET or POST.
pub(super) async fn show_userinfo(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let from_header = header_token(&headers).flatten();
    let from_body = if method == Method::POST && !body.is_empty() {
        if !is_form(&headers) {
            return Refusal::InvalidRequest.into_response();
        }
        FormFields::parse(&body)
            .get("access_token")
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    } else {
        None
    };
    let token = match (from_header, from_body) {
        (Some(_), Some(_)) => return Refusal::InvalidRequest.into_response(),
        (Some(t), None) | (None, Some(t)) => t,
        (None, None) => return Refusal::NoToken.into_response(),
    };
    match userinfo(&state.kg, &token).await {
        Ok(claims) => (StatusCode::OK, sensitive(), Json(claims)).into_response(),
        Err(UserInfoError::InvalidToken) => Refusal::InvalidToken.into_response(),
        Err(UserInfoError::InsufficientScope) => Refusal::InsufficientScope.into_response(),
        Err(UserInfoError::Store(e)) => server_error(&e),
    }
}

/// Our fault: logged once, a generic body (503 when the database is unreachable).
fn server_error(e: &keygate_core::StoreError) -> Response {
    tracing::error!(error = %e, "store failure at the UserInfo endpoint");
    let status = if matches!(e, keygate_core::StoreError::Unavailable(_)) {
        StatusCode::SERVICE_UNAVAILABLE
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    };
    (
        status,
        sensitive(),
        Json(json!({ "error": "server_error", "error_description": "Please try again later" })),
    )
        .into_response()
}
