//! What every standard OAuth endpoint (token, introspection, revocation) shares: reading the
//! client's credentials from HTTP Basic or the form (RFC 6749 §2.3.1), and rendering refusals
//! as RFC 6749 §5.2 error bodies.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use keygate_core::oauth::client::{self, Client, PresentedClient};
use keygate_core::oauth::TokenError;
use serde::Serialize;

use crate::forms::FormFields;
use crate::headers::sensitive;
use crate::state::AppState;

/// The RFC 6749 §5.2 error body.
#[derive(Serialize)]
struct ErrorResponse {
    error: &'static str,
    error_description: &'static str,
}

/// Renders a refusal: 400, or 401 with `WWW-Authenticate: Basic` when the client failed to
/// authenticate, 500/503 for our faults. Never cached.
pub(crate) fn error(e: TokenError) -> Response {
    let status = if e.is_unavailable() {
        StatusCode::SERVICE_UNAVAILABLE
    } else if e.is_server_fault() {
        StatusCode::INTERNAL_SERVER_ERROR
    } else if e.is_client_auth_failure() {
        StatusCode::UNAUTHORIZED
    } else {
        StatusCode::BAD_REQUEST
    };
    let mut response = (
        status,
        sensitive(),
        Json(ErrorResponse {
            error: e.rfc_code(),
            error_description: e.rfc_description(),
        }),
    )
        .into_response();
    if e.is_client_auth_failure() {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Basic realm="keygate", charset="UTF-8""#),
        );
    }
    response
}

/// The client credentials of a request, owned.
#[derive(Default)]
struct Credentials {
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// Decodes one half of a Basic credential: RFC 6749 §2.3.1 form-encodes each before joining.
fn form_decoded(part: &str) -> String {
    form_urlencoded::parse(format!("v={part}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// `client_secret_basic`, when the request carries a Basic `Authorization` header.
fn basic(headers: &HeaderMap) -> Option<Result<Credentials, TokenError>> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let parsed = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            let (id, secret) = text.split_once(':')?;
            Some(Credentials {
                client_id: Some(form_decoded(id)),
                client_secret: Some(form_decoded(secret)),
            })
        });
    Some(parsed.ok_or(TokenError::ClientFailedValidation))
}

/// The client id and secret a request presented: Basic or form fields, never a secret in both
/// (RFC 6749 §2.3), and a form `client_id` must agree with the Basic one.
pub(crate) fn presented_credentials(
    headers: &HeaderMap,
    form: &FormFields,
) -> Result<(Option<String>, Option<String>), TokenError> {
    let form_id = form.get("client_id").filter(|s| !s.is_empty());
    let form_secret = form.get("client_secret").filter(|s| !s.is_empty());
    match basic(headers) {
        Some(basic) => {
            let basic = basic?;
            if form_secret.is_some() {
                return Err(TokenError::ClientAuthAmbiguous);
            }
            if form_id.is_some_and(|id| Some(id) != basic.client_id.as_deref()) {
                return Err(TokenError::ClientFailedValidation);
            }
            Ok((basic.client_id, basic.client_secret))
        }
        None => Ok((form_id.map(str::to_owned), form_secret.map(str::to_owned))),
    }
}

/// Finds and checks the client of a standard request; a public client sends only `client_id`.
pub(crate) async fn authenticate(
    state: &AppState,
    headers: &HeaderMap,
    form: &FormFields,
) -> Result<Client, TokenError> {
    let (client_id, client_secret) = presented_credentials(headers, form)?;
    client::authenticate(
        &state.kg,
        PresentedClient {
            client_id: client_id.as_deref(),
            client_secret: client_secret.as_deref(),
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_auth(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, value.parse().unwrap());
        h
    }

    #[test]
    fn basic_credentials_are_base64_of_form_encoded_id_and_secret() {
        let encoded = STANDARD.encode("my%20app:s%3Ac+r");
        let c = basic(&with_auth(&format!("Basic {encoded}")))
            .unwrap()
            .unwrap();
        assert_eq!(c.client_id.as_deref(), Some("my app"));
        assert_eq!(c.client_secret.as_deref(), Some("s:c r"));
    }

    #[test]
    fn other_schemes_are_not_basic_and_garbage_fails_authentication() {
        assert!(basic(&with_auth("Bearer abc")).is_none());
        assert!(basic(&HeaderMap::new()).is_none());
        assert!(matches!(
            basic(&with_auth("Basic !!!")),
            Some(Err(TokenError::ClientFailedValidation))
        ));
        let no_colon = STANDARD.encode("justanid");
        assert!(matches!(
            basic(&with_auth(&format!("basic {no_colon}"))),
            Some(Err(TokenError::ClientFailedValidation))
        ));
    }
}
