//! The device authorization grant (RFC 8628) for command-line tools and devices without a
//! browser: ask for a user code, show it with the verification URL, and poll the token endpoint
//! until the person approves on another device (standard OAuth; Keygate serves the device
//! authorization endpoint beside its token endpoint, at `oauth2/devicecode`).

use std::fmt;
use std::time::{Duration, Instant};

use serde::Deserialize;

use crate::config::ClientConfig;
use crate::error::{Error, OAuthError};
use crate::grant::{authenticated, TokenRequest};
use crate::token::ClassifyName;

/// The `grant_type` of a poll (RFC 8628 §3.4).
pub(crate) const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// How long to wait between polls when the server names no interval (RFC 8628 §3.2).
const DEFAULT_INTERVAL: u64 = 5;

/// What `slow_down` adds to the interval (RFC 8628 §3.5).
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// A started device authorization (RFC 8628 §3.2): show [`Self::user_code`] and
/// [`Self::verification_uri`] to the person, then
/// [`OAuthClient::wait_for_device_token`](crate::OAuthClient::wait_for_device_token).
#[derive(Clone, Deserialize)]
pub struct DeviceAuthorization {
    /// The device's secret for polling; never shown to anyone.
    pub device_code: String,
    /// The code the person types (`BCDF-GHJK`).
    pub user_code: String,
    /// Where the person goes to type it.
    pub verification_uri: String,
    /// The same page with the code filled in, if the server offers one (for a link or QR code).
    #[serde(default)]
    pub verification_uri_complete: Option<String>,
    /// Seconds until the codes expire.
    pub expires_in: u64,
    /// Seconds to wait between polls.
    #[serde(default)]
    pub interval: Option<u64>,
    /// When this answer arrived (not on the wire), from which the expiry counts.
    #[serde(skip, default = "Instant::now")]
    pub received_at: Instant,
}

impl fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("device_code", &"[redacted]")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri)
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish()
    }
}

impl DeviceAuthorization {
    /// The interval to start polling at.
    pub fn poll_interval(&self) -> Duration {
        Duration::from_secs(self.interval.unwrap_or(DEFAULT_INTERVAL).max(1))
    }

    /// When the codes stop working.
    pub fn expires_at(&self) -> Instant {
        self.received_at + Duration::from_secs(self.expires_in)
    }
}

/// The device authorization request: the app's scopes, and client authentication as at the
/// token endpoint (HTTP Basic, or `client_id` for a public client).
pub(crate) fn device_authorization_request(config: &ClientConfig) -> TokenRequest {
    authenticated(config, vec![("scope", config.scopes.clone())])
}

/// One poll of the token endpoint with `device_code`.
pub(crate) fn device_token_request(config: &ClientConfig, device_code: &str) -> TokenRequest {
    authenticated(
        config,
        vec![
            ("grant_type", DEVICE_CODE_GRANT.to_owned()),
            ("device_code", device_code.to_owned()),
        ],
    )
}

/// What a refused poll means for the next one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PollAnswer {
    /// `authorization_pending`: wait the interval and poll again.
    Pending,
    /// `slow_down`: wait 5 seconds longer from now on.
    SlowDown,
    /// Anything else ends the wait.
    Final,
}

/// Reads a refusal (RFC 8628 §3.5).
pub(crate) fn classify(error: &OAuthError) -> PollAnswer {
    match error.code.as_str() {
        "authorization_pending" => PollAnswer::Pending,
        "slow_down" => PollAnswer::SlowDown,
        _ => PollAnswer::Final,
    }
}

/// The interval after a `slow_down`.
pub(crate) fn slowed(interval: Duration) -> Duration {
    interval + SLOW_DOWN_STEP
}

/// Reads the device authorization endpoint's answer: the codes on 200, a typed refusal in the
/// RFC 6749 shape otherwise.
pub(crate) fn parse_device_authorization(
    status: u16,
    body: &[u8],
) -> Result<DeviceAuthorization, Error> {
    if status == 200 {
        return serde_json::from_slice(body).map_err(|e| Error::UnexpectedResponse {
            status,
            detail: format!(
                "the device authorization response is not the expected JSON ({})",
                e.classify_name()
            ),
        });
    }
    // A refusal has the token endpoint's error shape; reuse its reader.
    match crate::token::parse_token_response(status, body, std::time::SystemTime::now()) {
        Err(e) => Err(e),
        Ok(_) => Err(Error::UnexpectedResponse {
            status,
            detail: "a token where a device authorization was expected".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;
    use crate::config::Flavour;

    #[test]
    fn an_answer_reads_with_its_defaults_and_hides_the_device_code() {
        let body = br#"{"device_code":"dc","user_code":"BCDF-GHJK","verification_uri":"http://h/device","expires_in":900}"#;
        let d = parse_device_authorization(200, body).unwrap();
        assert_eq!(d.user_code, "BCDF-GHJK");
        assert_eq!(d.poll_interval(), Duration::from_secs(5));
        assert!(d.expires_at() > Instant::now());
        assert!(!format!("{d:?}").contains("\"dc\""));
    }

    #[test]
    fn a_refusal_is_an_oauth_error_and_pending_answers_are_told_apart() {
        let e = parse_device_authorization(
            400,
            br#"{"error":"invalid_scope","error_description":"nope"}"#,
        )
        .unwrap_err();
        let Error::OAuth(e) = e else {
            panic!("not an OAuth error: {e:?}")
        };
        assert_eq!(classify(&e), PollAnswer::Final);
        let pending = crate::token::parse_token_response(
            400,
            br#"{"error":"authorization_pending"}"#,
            std::time::SystemTime::now(),
        )
        .unwrap_err();
        let Error::OAuth(pending) = pending else {
            panic!("not an OAuth error")
        };
        assert_eq!(classify(&pending), PollAnswer::Pending);
        assert_eq!(slowed(Duration::from_secs(5)), Duration::from_secs(10));
    }

    #[test]
    fn polls_carry_the_grant_and_the_client() {
        let config = ClientConfig::keygate("http://h", "APP", "s", "https://localhost/cb")
            .unwrap()
            .with_flavour(Flavour::Standard);
        let r = device_token_request(&config, "DC");
        assert!(r
            .form
            .contains(&("grant_type", DEVICE_CODE_GRANT.to_owned())));
        assert!(r.form.contains(&("device_code", "DC".to_owned())));
        assert!(r.authorization.is_some());
    }
}
