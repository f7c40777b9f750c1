//! Token requests in either flavour: the form fields, and how the client authenticates
//! (protocol §4 for Azure, RFC 6749 §2.3.1, §4.1.3 and §6 for standard OAuth).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;

use crate::config::{ClientConfig, Flavour};

const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// A token request: its form and, for a confidential standard client, its Basic credential.
pub(crate) struct TokenRequest {
    /// The `application/x-www-form-urlencoded` fields.
    pub form: Vec<(&'static str, String)>,
    /// The value of the `Authorization` header (`Basic ...`), if any.
    pub authorization: Option<String>,
}

/// The request that exchanges `code`.
pub(crate) fn exchange(
    config: &ClientConfig,
    code: &str,
    pkce_verifier: Option<&str>,
) -> TokenRequest {
    let mut form = match config.flavour {
        Flavour::Azure => vec![
            ("client_assertion_type", ASSERTION_TYPE.to_owned()),
            ("client_assertion", config.client_secret.clone()),
            ("grant_type", JWT_BEARER_GRANT.to_owned()),
            ("assertion", code.to_owned()),
            ("redirect_uri", config.redirect_uri.to_string()),
        ],
        Flavour::Standard => vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", config.redirect_uri.to_string()),
        ],
    };
    if let Some(v) = pkce_verifier {
        form.push(("code_verifier", v.to_owned()));
    }
    authenticated(config, form)
}

/// The request that refreshes: Azure puts the refresh token in `assertion` and repeats the
/// `redirect_uri`; standard OAuth sends `refresh_token`.
pub(crate) fn refresh(config: &ClientConfig, refresh_token: &str) -> TokenRequest {
    let form = match config.flavour {
        Flavour::Azure => vec![
            ("client_assertion_type", ASSERTION_TYPE.to_owned()),
            ("client_assertion", config.client_secret.clone()),
            ("grant_type", "refresh_token".to_owned()),
            ("assertion", refresh_token.to_owned()),
            ("redirect_uri", config.redirect_uri.to_string()),
        ],
        Flavour::Standard => vec![
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", refresh_token.to_owned()),
        ],
    };
    authenticated(config, form)
}

/// Adds standard client authentication: HTTP Basic for a confidential client, `client_id` in the
/// form for a public one. (The Azure flavour authenticates with `client_assertion`.)
pub(crate) fn authenticated(
    config: &ClientConfig,
    mut form: Vec<(&'static str, String)>,
) -> TokenRequest {
    let authorization = match config.flavour {
        Flavour::Azure => None,
        Flavour::Standard if config.is_public() => {
            form.push(("client_id", config.app_id.clone()));
            None
        }
        Flavour::Standard => Some(basic(&config.app_id, &config.client_secret)),
    };
    TokenRequest {
        form,
        authorization,
    }
}

/// RFC 6749 §2.3.1: each half is form-encoded before they are joined and base64-encoded.
fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;
    use crate::config::Endpoints;

    fn config(flavour: Flavour) -> ClientConfig {
        ClientConfig::keygate("http://h", "APP", "s3cr:et", "https://localhost/cb")
            .unwrap()
            .with_flavour(flavour)
    }

    fn field<'a>(r: &'a TokenRequest, k: &str) -> Option<&'a str> {
        r.form
            .iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn the_azure_exchange_carries_the_secret_as_client_assertion_and_the_code_as_assertion() {
        let r = exchange(&config(Flavour::Azure), "CODE", Some("VERIFIER"));
        assert_eq!(field(&r, "client_assertion"), Some("s3cr:et"));
        assert_eq!(
            field(&r, "grant_type"),
            Some("urn:ietf:params:oauth:grant-type:jwt-bearer")
        );
        assert_eq!(field(&r, "assertion"), Some("CODE"));
        assert_eq!(field(&r, "code_verifier"), Some("VERIFIER"));
        assert!(r.authorization.is_none());
    }

    #[test]
    fn the_azure_refresh_puts_the_refresh_token_in_assertion_with_the_redirect_uri() {
        let r = refresh(&config(Flavour::Azure), "RT");
        assert_eq!(field(&r, "grant_type"), Some("refresh_token"));
        assert_eq!(field(&r, "assertion"), Some("RT"));
        assert_eq!(field(&r, "redirect_uri"), Some("https://localhost/cb"));
    }

    #[test]
    fn a_confidential_standard_client_authenticates_with_form_encoded_basic() {
        let r = exchange(&config(Flavour::Standard), "CODE", None);
        assert_eq!(field(&r, "grant_type"), Some("authorization_code"));
        assert_eq!(field(&r, "code"), Some("CODE"));
        assert_eq!(field(&r, "client_secret"), None);
        assert_eq!(
            r.authorization.as_deref(),
            Some(format!("Basic {}", STANDARD.encode("APP:s3cr%3Aet")).as_str())
        );
        let r = refresh(&config(Flavour::Standard), "RT");
        assert_eq!(field(&r, "refresh_token"), Some("RT"));
        assert_eq!(field(&r, "assertion"), None);
    }

    #[test]
    fn a_public_client_sends_only_its_client_id() {
        let c = ClientConfig::public(
            Endpoints::keygate("http://h").unwrap(),
            "APP",
            "http://127.0.0.1/cb",
        )
        .unwrap();
        let r = exchange(&c, "CODE", Some("V"));
        assert_eq!(field(&r, "client_id"), Some("APP"));
        assert!(r.authorization.is_none());
    }
}
