//! `POST /oauth2/token`: one endpoint, two wire flavours. A request carrying `client_assertion`
//! is the Azure flavour (protocol §4); one with standard client authentication or grants is
//! standard OAuth (RFC 6749). The body is parsed once here; each flavour's grants and response
//! shapes live in their own module.

mod azure;
mod standard;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use axum::routing::post;
use axum::Router;
use keygate_core::oauth::TokenError;

use crate::forms::{is_form, FormFields};
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/oauth2/token", post(exchange_token))
}

/// The wire flavour of a token request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Azure,
    Standard,
}

/// Fields only the Azure flavour sends.
const AZURE_FIELDS: [&str; 3] = ["client_assertion", "client_assertion_type", "assertion"];
/// Fields only the standard flavour sends (the Azure refresh carries `assertion` as well).
const STANDARD_FIELDS: [&str; 4] = ["client_id", "client_secret", "code", "refresh_token"];
const STANDARD_GRANTS: [&str; 4] = [
    "authorization_code",
    "refresh_token",
    "client_credentials",
    keygate_core::oauth::device::DEVICE_CODE_GRANT,
];

impl Flavour {
    /// Azure when the request carries `client_assertion` (or another Azure-only field, or the
    /// jwt-bearer grant); standard when it authenticates with HTTP Basic or carries standard
    /// fields or grants. A request that says neither (`grant_type=nope` alone, a body that is not
    /// a form) gets protocol §4's Azure answer, the contract that predates standard OAuth here.
    fn of(headers: &HeaderMap, form: Option<&FormFields>) -> Self {
        let Some(form) = form else {
            return if has_basic_auth(headers) {
                Flavour::Standard
            } else {
                Flavour::Azure
            };
        };
        let grant = form.get("grant_type").map(str::trim).unwrap_or("");
        if AZURE_FIELDS.iter().any(|f| form.get(f).is_some())
            || grant.eq_ignore_ascii_case(azure::JWT_BEARER_GRANT)
        {
            Flavour::Azure
        } else if has_basic_auth(headers)
            || STANDARD_FIELDS.iter().any(|f| form.get(f).is_some())
            || STANDARD_GRANTS.contains(&grant)
        {
            Flavour::Standard
        } else {
            Flavour::Azure
        }
    }
}

fn has_basic_auth(headers: &HeaderMap) -> bool {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
}

async fn exchange_token(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let form = is_form(&headers).then(|| FormFields::parse(&body));
    let flavour = Flavour::of(&headers, form.as_ref());
    if form.as_ref().is_some_and(|f| f.repeated().is_some()) {
        return match flavour {
            Flavour::Azure => azure::error(TokenError::ParameterRepeated),
            Flavour::Standard => standard_oauth_error(TokenError::ParameterRepeated),
        };
    }
    match (flavour, form) {
        (Flavour::Azure, Some(form)) => azure::exchange(&state, &form).await,
        (Flavour::Azure, None) => azure::error(TokenError::GrantTypeMissing),
        (Flavour::Standard, Some(form)) => standard::exchange(&state, &headers, &form).await,
        (Flavour::Standard, None) => standard_oauth_error(TokenError::GrantTypeMissing),
    }
}

use super::standard_oauth::error as standard_oauth_error;

#[cfg(test)]
mod tests {
    use super::*;

    fn flavour(body: &[u8], basic: bool) -> Flavour {
        let mut headers = HeaderMap::new();
        if basic {
            headers.insert(header::AUTHORIZATION, "Basic eDp5".parse().unwrap());
        }
        Flavour::of(&headers, Some(&FormFields::parse(body)))
    }

    #[test]
    fn a_request_carrying_client_assertion_is_azure_even_with_basic_alongside() {
        assert_eq!(
            flavour(b"client_assertion=x&grant_type=refresh_token", true),
            Flavour::Azure
        );
        assert_eq!(
            flavour(b"grant_type=refresh_token&assertion=r", false),
            Flavour::Azure
        );
        let jwt_bearer = b"grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer";
        assert_eq!(flavour(jwt_bearer, false), Flavour::Azure);
    }

    #[test]
    fn standard_authentication_fields_or_grants_make_a_request_standard() {
        assert_eq!(
            flavour(b"grant_type=authorization_code&code=x", false),
            Flavour::Standard
        );
        assert_eq!(flavour(b"grant_type=password", true), Flavour::Standard);
        assert_eq!(
            flavour(b"grant_type=client_credentials", false),
            Flavour::Standard
        );
        assert_eq!(
            flavour(b"grant_type=password&client_id=x", false),
            Flavour::Standard
        );
    }

    #[test]
    fn a_request_that_says_neither_gets_the_azure_answer() {
        assert_eq!(flavour(b"grant_type=nope", false), Flavour::Azure);
        assert_eq!(flavour(b"", false), Flavour::Azure);
        assert_eq!(Flavour::of(&HeaderMap::new(), None), Flavour::Azure);
    }
}
