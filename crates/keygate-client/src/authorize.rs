//! The front channel: the authorize URL the user is sent to (protocol §3), and reading the
//! callback the user comes back with.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use url::Url;

use crate::config::{ClientConfig, Flavour};
use crate::error::{Error, ErrorCode, ErrorShape, OAuthError};

/// How to build an authorize URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AuthorizeOptions {
    /// Add a PKCE S256 challenge (RFC 7636); keep the verifier and pass it to the exchange.
    pub pkce: bool,
}

/// An authorize URL and what the app must keep until the callback: the `state` it carries and,
/// with PKCE, the code verifier. Keep both server-side; each is good for one callback.
#[derive(Clone)]
pub struct AuthorizeRequest {
    /// Send the user's browser here.
    pub url: Url,
    /// The random `state` the callback must echo.
    pub state: String,
    /// The PKCE code verifier, when PKCE was asked for.
    pub pkce_verifier: Option<String>,
}

impl std::fmt::Debug for AuthorizeRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizeRequest")
            .field("url", &self.url.as_str())
            .field("state", &"[redacted]")
            .field("pkce", &self.pkce_verifier.is_some())
            .finish()
    }
}

/// 256 random bits, base64url without padding (43 characters, also a valid PKCE verifier).
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// RFC 7636 §4.2: the S256 challenge of a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// Builds the authorize URL for `config` with a fresh `state` (and verifier, with PKCE).
pub(crate) fn authorize_request(
    config: &ClientConfig,
    options: AuthorizeOptions,
) -> AuthorizeRequest {
    let state = random_token();
    let pkce_verifier = options.pkce.then(random_token);
    let mut url = config.endpoints.authorize.clone();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("client_id", &config.app_id);
        match config.flavour {
            Flavour::Azure => q.append_pair("response_type", "Assertion"),
            Flavour::Standard => q.append_pair("response_type", "code"),
        };
        q.append_pair("state", &state);
        q.append_pair("scope", &config.scopes);
        q.append_pair("redirect_uri", config.redirect_uri.as_str());
        if let Some(v) = &pkce_verifier {
            q.append_pair("code_challenge", &pkce_challenge(v));
            q.append_pair("code_challenge_method", "S256");
        }
    }
    AuthorizeRequest {
        url,
        state,
        pkce_verifier,
    }
}

/// The query parameters of a callback (`/oauth/callback?code=...&state=...`, or
/// `?error=access_denied&error_description=...&state=...`), before any check.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Callback {
    /// `state`, to look up what the app kept for this authorize request.
    pub state: Option<String>,
    /// `code`, on Accept.
    pub code: Option<String>,
    /// `error`, on Deny or a refused request.
    pub error: Option<String>,
    /// `error_description`.
    pub error_description: Option<String>,
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field("has_state", &self.state.is_some())
            .field("has_code", &self.code.is_some())
            .field("error", &self.error)
            .finish()
    }
}

impl Callback {
    /// Reads a callback's raw query string (without the `?`). Repeated keys: the first wins.
    pub fn parse(query: &str) -> Self {
        let mut c = Callback::default();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match k.as_ref() {
                "state" => &mut c.state,
                "code" => &mut c.code,
                "error" => &mut c.error,
                "error_description" => &mut c.error_description,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(v.into_owned());
            }
        }
        c
    }

    /// Checks `state` against the one the app kept, then returns the code, or the refusal the
    /// server sent back (RFC 6749 §4.1.2.1; Deny is [`ErrorCode::AccessDenied`]).
    pub fn into_code(self, expected_state: &str) -> Result<String, Error> {
        let matches = self
            .state
            .as_deref()
            .is_some_and(|s| !expected_state.is_empty() && constant_time_eq(s, expected_state));
        if !matches {
            return Err(Error::StateMismatch);
        }
        if let Some(error) = self.error.filter(|e| !e.is_empty()) {
            return Err(Error::OAuth(OAuthError {
                code: ErrorCode::parse(&error),
                error,
                description: self.error_description.filter(|d| !d.is_empty()),
                status: None,
                shape: ErrorShape::Redirect,
            }));
        }
        self.code
            .filter(|c| !c.is_empty())
            .ok_or(Error::MissingCode)
    }
}

/// Compares without an early exit, so timing does not tell how much of a state matched.
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;

    fn config() -> ClientConfig {
        ClientConfig::keygate(
            "http://127.0.0.1:8080",
            "0F1E2D3C-0000-0000-0000-000000000001",
            "secret",
            "https://localhost:5001/oauth/callback",
        )
        .unwrap()
        .with_scopes("vso.profile  vso.build")
    }

    #[test]
    fn the_authorize_url_carries_the_azure_parameters_and_a_fresh_state() {
        let a = authorize_request(&config(), AuthorizeOptions::default());
        let b = authorize_request(&config(), AuthorizeOptions::default());
        assert_ne!(a.state, b.state);
        assert_eq!(a.state.len(), 43);
        let pairs: Vec<(String, String)> = a.url.query_pairs().into_owned().collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(a.url.path(), "/oauth2/authorize");
        assert_eq!(
            get("client_id"),
            Some("0F1E2D3C-0000-0000-0000-000000000001")
        );
        assert_eq!(get("response_type"), Some("Assertion"));
        assert_eq!(get("scope"), Some("vso.profile vso.build"));
        assert_eq!(
            get("redirect_uri"),
            Some("https://localhost:5001/oauth/callback")
        );
        assert_eq!(get("state"), Some(a.state.as_str()));
        assert_eq!(get("code_challenge"), None);
        assert!(a.pkce_verifier.is_none());
    }

    #[test]
    fn the_standard_flavour_asks_for_response_type_code() {
        let a = authorize_request(
            &config().with_flavour(Flavour::Standard),
            AuthorizeOptions::default(),
        );
        assert!(a.url.as_str().contains("response_type=code&"), "{}", a.url);
    }

    #[test]
    fn with_pkce_the_url_carries_the_s256_challenge_of_the_kept_verifier() {
        let a = authorize_request(&config(), AuthorizeOptions { pkce: true });
        let verifier = a.pkce_verifier.clone().unwrap();
        let challenge = a
            .url
            .query_pairs()
            .find(|(k, _)| k == "code_challenge")
            .map(|(_, v)| v.into_owned());
        assert_eq!(challenge, Some(pkce_challenge(&verifier)));
        assert!(a.url.as_str().contains("code_challenge_method=S256"));
    }

    #[test]
    fn the_rfc_7636_appendix_b_challenge_is_computed() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn a_callback_with_the_kept_state_yields_its_code() {
        let c = Callback::parse("code=abc.def&state=s1&code=second");
        assert_eq!(c.into_code("s1").unwrap(), "abc.def");
    }

    #[test]
    fn a_callback_with_another_or_no_state_is_refused_before_anything_else() {
        for q in [
            "code=abc&state=s2",
            "code=abc",
            "error=access_denied&state=x",
        ] {
            assert!(matches!(
                Callback::parse(q).into_code("s1"),
                Err(Error::StateMismatch)
            ));
        }
        assert!(matches!(
            Callback::parse("code=abc&state=").into_code(""),
            Err(Error::StateMismatch)
        ));
    }

    #[test]
    fn deny_comes_back_as_access_denied_with_its_description() {
        let c = Callback::parse("error=access_denied&error_description=The+user+said+no&state=s1");
        match c.into_code("s1") {
            Err(Error::OAuth(e)) => {
                assert_eq!(e.code, ErrorCode::AccessDenied);
                assert_eq!(e.azure_error(), "AccessDenied");
                assert_eq!(e.description.as_deref(), Some("The user said no"));
                assert_eq!(e.shape, ErrorShape::Redirect);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn the_hosted_services_pascal_case_invalid_scope_reads_as_the_rfc_code() {
        match Callback::parse("error=InvalidScope&state=s1").into_code("s1") {
            Err(Error::OAuth(e)) => {
                assert_eq!(e.code, ErrorCode::InvalidScope);
                assert_eq!(e.error, "InvalidScope");
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_callback_with_neither_code_nor_error_is_missing_code() {
        assert!(matches!(
            Callback::parse("state=s1").into_code("s1"),
            Err(Error::MissingCode)
        ));
    }
}
