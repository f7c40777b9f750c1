//! The back channel: token request forms (protocol §4) and reading whatever the token endpoint
//! answers into tokens or a typed refusal, without ever panicking.

use std::fmt;
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, ErrorCode, ErrorShape, OAuthError};

/// No access token lives longer than this; a larger `expires_in` is clamped to it.
const MAX_LIFETIME: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// What a successful exchange or refresh returns.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenSet {
    /// The bearer token for the REST APIs.
    pub access_token: String,
    /// The refresh token; each refresh returns a new one and the old one stops working.
    pub refresh_token: Option<String>,
    /// `jwt-bearer` (Azure) or `Bearer` (standard).
    pub token_type: String,
    /// The lifetime the server gave the access token.
    pub expires_in: Duration,
    /// The granted scopes, when the server says (standard OAuth does; the Azure flavour does not).
    pub scope: Option<String>,
    /// When this SDK received the tokens; `expires_in` counts from here.
    pub received_at: SystemTime,
}

impl TokenSet {
    /// When the access token stops working.
    pub fn expires_at(&self) -> SystemTime {
        // Checked: a hostile `expires_in` must not overflow the clock (treated as expired).
        self.received_at
            .checked_add(self.expires_in)
            .unwrap_or(self.received_at)
    }

    /// How long the access token has left at `now` (zero once expired).
    pub fn remaining_at(&self, now: SystemTime) -> Duration {
        self.expires_at()
            .duration_since(now)
            .unwrap_or(Duration::ZERO)
    }

    /// Whether the access token has expired at `now`, or will within `margin`.
    pub fn is_expired_at(&self, now: SystemTime, margin: Duration) -> bool {
        self.remaining_at(now) <= margin
    }
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"[redacted]")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "[redacted]"),
            )
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("scope", &self.scope)
            .finish()
    }
}

/// `expires_in` is a JSON string on the Azure wire and a number on the standard one.
#[derive(Deserialize)]
#[serde(untagged)]
enum Seconds {
    Number(u64),
    Float(f64),
    Text(String),
}

impl Seconds {
    fn to_duration(&self) -> Option<Duration> {
        match self {
            Seconds::Number(n) => Some(Duration::from_secs(*n)),
            Seconds::Float(f) if f.is_finite() && *f >= 0.0 => {
                // Saturating float-to-int conversion, then clamped below.
                Some(Duration::from_secs(f.trunc() as u64))
            }
            Seconds::Float(_) => None,
            Seconds::Text(s) => s.trim().parse().ok().map(Duration::from_secs),
        }
        .map(|d| d.min(MAX_LIFETIME))
    }
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: String,
    refresh_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<Seconds>,
    scope: Option<String>,
}

/// Reads a token endpoint answer: tokens on 200, a typed refusal in either error shape, and
/// [`Error::UnexpectedResponse`] for anything else. Never echoes the body of a 200 (it carries
/// tokens).
pub(crate) fn parse_token_response(
    status: u16,
    body: &[u8],
    received_at: SystemTime,
) -> Result<TokenSet, Error> {
    if status == 200 {
        let parsed: TokenBody =
            serde_json::from_slice(body).map_err(|e| Error::UnexpectedResponse {
                status,
                detail: format!(
                    "the token response is not the expected JSON ({})",
                    e.classify_name()
                ),
            })?;
        if parsed.access_token.is_empty() {
            return Err(Error::UnexpectedResponse {
                status,
                detail: "the token response has an empty access_token".into(),
            });
        }
        let expires_in = match parsed.expires_in {
            None => Duration::ZERO,
            Some(s) => s.to_duration().ok_or_else(|| Error::UnexpectedResponse {
                status,
                detail: "the token response's expires_in is not a number of seconds".into(),
            })?,
        };
        return Ok(TokenSet {
            access_token: parsed.access_token,
            refresh_token: parsed.refresh_token.filter(|t| !t.is_empty()),
            token_type: parsed.token_type.unwrap_or_default(),
            expires_in,
            scope: parsed.scope,
            received_at,
        });
    }
    parse_oauth_error(status, body).map_or_else(
        || {
            Err(Error::UnexpectedResponse {
                status,
                detail: excerpt(body),
            })
        },
        |e| Err(Error::OAuth(e)),
    )
}

/// An OAuth error body in the Azure (`Error`/`ErrorDescription`) or the RFC 6749 §5.2
/// (`error`/`error_description`) shape.
fn parse_oauth_error(status: u16, body: &[u8]) -> Option<OAuthError> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    let text = |key: &str| object.get(key).and_then(Value::as_str).map(str::to_owned);
    let (error, description, shape) = if let Some(e) = text("Error") {
        (e, text("ErrorDescription"), ErrorShape::AzureBody)
    } else {
        (
            text("error")?,
            text("error_description"),
            ErrorShape::StandardBody,
        )
    };
    Some(OAuthError {
        code: ErrorCode::parse(&error),
        error,
        description,
        status: Some(status),
        shape,
    })
}

/// A short, printable excerpt of an unexpected body, for error messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(body);
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX)
        .collect();
    if text.chars().count() > MAX {
        out.push('…');
    }
    if out.trim().is_empty() {
        "an empty body".into()
    } else {
        out
    }
}

pub(crate) trait ClassifyName {
    fn classify_name(&self) -> &'static str;
}

impl ClassifyName for serde_json::Error {
    fn classify_name(&self) -> &'static str {
        match self.classify() {
            serde_json::error::Category::Io => "I/O",
            serde_json::error::Category::Syntax => "not JSON",
            serde_json::error::Category::Data => "fields missing or of the wrong type",
            serde_json::error::Category::Eof => "truncated",
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests fail loudly")]
    use super::*;
    use crate::error::TokenFailure;

    fn parse(status: u16, body: &str) -> Result<TokenSet, Error> {
        parse_token_response(status, body.as_bytes(), SystemTime::UNIX_EPOCH)
    }

    #[test]
    fn the_azure_success_body_with_a_string_expires_in_is_read() {
        let t = parse(
            200,
            r#"{"access_token":"a.b.c","token_type":"jwt-bearer","expires_in":"3599","refresh_token":"r.s.t"}"#,
        )
        .unwrap();
        assert_eq!(t.access_token, "a.b.c");
        assert_eq!(t.refresh_token.as_deref(), Some("r.s.t"));
        assert_eq!(t.token_type, "jwt-bearer");
        assert_eq!(t.expires_in, Duration::from_secs(3599));
        assert_eq!(
            t.remaining_at(SystemTime::UNIX_EPOCH + Duration::from_secs(3600)),
            Duration::ZERO
        );
    }

    #[test]
    fn the_standard_success_body_with_a_numeric_expires_in_is_read() {
        let t = parse(
            200,
            r#"{"access_token":"x","token_type":"Bearer","expires_in":3600,"scope":"vso.build"}"#,
        )
        .unwrap();
        assert_eq!(t.expires_in, Duration::from_secs(3600));
        assert_eq!(t.refresh_token, None);
        assert_eq!(t.scope.as_deref(), Some("vso.build"));
    }

    #[test]
    fn a_huge_expires_in_is_clamped_instead_of_overflowing_the_clock() {
        let t = parse(
            200,
            r#"{"access_token":"x","expires_in":"18446744073709551615"}"#,
        )
        .unwrap();
        assert_eq!(t.expires_in, MAX_LIFETIME);
        let _ = t.expires_at();
        let t = parse(200, r#"{"access_token":"x","expires_in":1e300}"#).unwrap();
        assert_eq!(t.expires_in, MAX_LIFETIME);
    }

    #[test]
    fn an_azure_error_body_carries_the_error_the_rfc_code_and_the_table_row() {
        let e = match parse(
            400,
            r#"{"Error":"invalid_request","ErrorDescription":"The access token has already been refreshed"}"#,
        ) {
            Err(Error::OAuth(e)) => e,
            other => panic!("unexpected {other:?}"),
        };
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert_eq!(e.error, "invalid_request");
        assert_eq!(e.azure_error(), "InvalidRequest");
        assert_eq!(e.shape, ErrorShape::AzureBody);
        assert_eq!(e.status, Some(400));
        assert_eq!(e.reason(), Some(TokenFailure::RefreshTokenAlreadyUsed));
    }

    #[test]
    fn a_standard_error_body_is_read_too() {
        match parse(
            401,
            r#"{"error":"invalid_client","error_description":"bad"}"#,
        ) {
            Err(Error::OAuth(e)) => {
                assert_eq!(e.code, ErrorCode::InvalidClient);
                assert_eq!(e.shape, ErrorShape::StandardBody);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn odd_answers_are_unexpected_responses_and_never_echo_a_token_body() {
        for (status, body) in [
            (200, ""),
            (200, "<html>sign in</html>"),
            (200, r#"{"access_token":""}"#),
            (
                200,
                r#"{"access_token":"secret-token","expires_in":"soon"}"#,
            ),
            (200, r#"{"access_token":"secret-token","expires_in":-5}"#),
            (200, "[]"),
            (500, "<html>oops</html>"),
            (502, ""),
            (400, r#"{"Error":5}"#),
        ] {
            match parse(status, body) {
                Err(Error::UnexpectedResponse { status: s, detail }) => {
                    assert_eq!(s, status);
                    assert!(!detail.contains("secret-token"), "{detail}");
                }
                other => panic!("{status} {body}: unexpected {other:?}"),
            }
        }
    }

    #[test]
    fn an_excerpt_is_short_and_printable() {
        let long = "x\n".repeat(500);
        let e = excerpt(long.as_bytes());
        assert!(e.chars().count() <= 201);
        assert!(!e.contains('\n'));
        assert_eq!(excerpt(b"   "), "an empty body");
    }

    proptest::proptest! {
        #[test]
        fn no_token_endpoint_answer_makes_the_parser_panic(status in 100u16..600, body in proptest::collection::vec(proptest::num::u8::ANY, 0..512)) {
            let _ = parse_token_response(status, &body, SystemTime::UNIX_EPOCH);
        }

        #[test]
        fn no_json_token_answer_makes_the_parser_panic(status in 100u16..600, expires in proptest::prelude::any::<f64>(), text in ".*") {
            for body in [
                serde_json::json!({"access_token": text, "expires_in": expires}),
                serde_json::json!({"access_token": "t", "expires_in": text}),
                serde_json::json!({"Error": text, "ErrorDescription": expires}),
                serde_json::json!({"error": text}),
            ] {
                let _ = parse_token_response(status, body.to_string().as_bytes(), SystemTime::UNIX_EPOCH);
            }
        }
    }
}
