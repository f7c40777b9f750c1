//! Every way a call can fail, typed: OAuth refusals carry both the Azure spelling and the RFC 6749
//! code, REST API refusals carry the hosted service's error envelope.

use std::fmt;

pub use crate::token_failure::TokenFailure;

/// What went wrong.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is unusable (empty App ID, a URL that does not parse, ...).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The authorization server refused: at the token endpoint, or in the callback's `error=`.
    #[error(transparent)]
    OAuth(#[from] OAuthError),
    /// The callback's `state` is not the one this app sent (a forged or replayed callback).
    #[error("the callback's state does not match the one this app sent")]
    StateMismatch,
    /// The callback carries neither a `code` nor an `error`.
    #[error("the callback carries neither a code nor an error")]
    MissingCode,
    /// The REST API did not accept the access token: the hosted service answers 203 with its
    /// sign-in page (or 401 without the TF400813 envelope). Authorize again or refresh.
    #[error("the access token was not accepted (HTTP {status}); sign in again")]
    SignInRequired {
        /// The HTTP status (203 or 401).
        status: u16,
    },
    /// The REST API refused with its JSON error envelope.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// The server answered something this SDK cannot read.
    #[error("unexpected answer from the server (HTTP {status}): {detail}")]
    UnexpectedResponse {
        /// The HTTP status.
        status: u16,
        /// What was wrong with it (never the body of a token response).
        detail: String,
    },
    /// The request did not complete (connection refused, timeout, TLS failure, ...).
    #[error("the request did not complete: {0}")]
    Transport(#[from] reqwest::Error),
}

impl Error {
    /// Whether the user must authorize the app again (or the app refresh): the grant or token is
    /// no longer good, as opposed to a bug, a bad request or an outage.
    pub fn needs_authorization(&self) -> bool {
        match self {
            Error::SignInRequired { .. } => true,
            Error::Api(e) => e.status == 401,
            Error::OAuth(e) => {
                matches!(e.code, ErrorCode::InvalidGrant | ErrorCode::AccessDenied)
                    || e.reason().is_some_and(TokenFailure::needs_authorization)
            }
            _ => false,
        }
    }
}

/// Which wire shape an OAuth error arrived in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorShape {
    /// The Azure token endpoint's body: `{"Error": "...", "ErrorDescription": "..."}`.
    AzureBody,
    /// The RFC 6749 §5.2 body: `{"error": "...", "error_description": "..."}`.
    StandardBody,
    /// Query parameters of the redirect back to the app (RFC 6749 §4.1.2.1).
    Redirect,
}

/// An OAuth refusal. `error` is the code exactly as the server spelled it (the hosted service
/// sends `InvalidScope` in redirects and `invalid_request` in token bodies); `code` is the same
/// error as the RFC 6749 code, so an app can match on either.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    /// The RFC 6749 error code.
    pub code: ErrorCode,
    /// The error as sent: the PascalCase body's `Error` value or the redirect's `error`.
    pub error: String,
    /// The human text (`ErrorDescription` / `error_description`), if any.
    pub description: Option<String>,
    /// The HTTP status of a token endpoint answer; `None` for a redirect.
    pub status: Option<u16>,
    /// Which shape it arrived in.
    pub shape: ErrorShape,
}

impl OAuthError {
    /// The error in the hosted service's PascalCase spelling (`InvalidScope`, `AccessDenied`).
    pub fn azure_error(&self) -> String {
        self.code.azure_name()
    }

    /// The row of the hosted service's token error table this refusal is, recognised by its
    /// description text (which Azure DevOps clients match on).
    pub fn reason(&self) -> Option<TokenFailure> {
        TokenFailure::from_description(self.description.as_deref()?)
    }
}

impl fmt::Display for OAuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the authorization server refused: {}", self.error)?;
        if let Some(d) = &self.description {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

impl std::error::Error for OAuthError {}

/// The RFC 6749 error codes (§4.1.2.1 and §5.2), plus whatever else a server sends.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `invalid_request`.
    InvalidRequest,
    /// `invalid_client`.
    InvalidClient,
    /// `invalid_grant`.
    InvalidGrant,
    /// `unauthorized_client`.
    UnauthorizedClient,
    /// `unsupported_grant_type`.
    UnsupportedGrantType,
    /// `unsupported_response_type`.
    UnsupportedResponseType,
    /// `invalid_scope` (the hosted service says `InvalidScope`).
    InvalidScope,
    /// `access_denied`: the user chose Deny.
    AccessDenied,
    /// `server_error`.
    ServerError,
    /// `temporarily_unavailable`.
    TemporarilyUnavailable,
    /// Any other code, as sent.
    Other(String),
}

const CODES: [(ErrorCode, &str, &str); 10] = [
    (
        ErrorCode::InvalidRequest,
        "invalid_request",
        "InvalidRequest",
    ),
    (ErrorCode::InvalidClient, "invalid_client", "InvalidClient"),
    (ErrorCode::InvalidGrant, "invalid_grant", "InvalidGrant"),
    (
        ErrorCode::UnauthorizedClient,
        "unauthorized_client",
        "UnauthorizedClient",
    ),
    (
        ErrorCode::UnsupportedGrantType,
        "unsupported_grant_type",
        "UnsupportedGrantType",
    ),
    (
        ErrorCode::UnsupportedResponseType,
        "unsupported_response_type",
        "UnsupportedResponseType",
    ),
    (ErrorCode::InvalidScope, "invalid_scope", "InvalidScope"),
    (ErrorCode::AccessDenied, "access_denied", "AccessDenied"),
    (ErrorCode::ServerError, "server_error", "ServerError"),
    (
        ErrorCode::TemporarilyUnavailable,
        "temporarily_unavailable",
        "TemporarilyUnavailable",
    ),
];

impl ErrorCode {
    /// Reads a code in either spelling: `invalid_scope`, `InvalidScope`, `invalidscope`.
    pub fn parse(s: &str) -> Self {
        let folded: String = s
            .trim()
            .chars()
            .filter(|c| *c != '_')
            .flat_map(char::to_lowercase)
            .collect();
        CODES
            .iter()
            .find(|(_, rfc, _)| rfc.replace('_', "") == folded)
            .map(|(code, _, _)| code.clone())
            .unwrap_or_else(|| ErrorCode::Other(s.trim().to_owned()))
    }

    /// The RFC 6749 spelling.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::Other(s) => s,
            known => CODES
                .iter()
                .find(|(c, _, _)| c == known)
                .map_or("", |(_, rfc, _)| rfc),
        }
    }

    /// The hosted service's PascalCase spelling.
    pub fn azure_name(&self) -> String {
        match self {
            ErrorCode::Other(s) => s.clone(),
            known => CODES
                .iter()
                .find(|(c, _, _)| c == known)
                .map_or_else(String::new, |(_, _, azure)| (*azure).to_owned()),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A REST API refusal in the hosted service's envelope
/// (`{"message": "...", "typeKey": "...", ...}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The HTTP status.
    pub status: u16,
    /// The envelope's `message` (for TF400813: `TF400813: The user '...' is not authorized ...`).
    pub message: String,
    /// The envelope's `typeKey` (`UnauthorizedRequestException`, ...), if any.
    pub type_key: Option<String>,
}

impl ApiError {
    /// Whether this is TF400813: a valid token that may not open the resource (revoked, the
    /// organization's policy forbids third-party OAuth access, or not a member).
    pub fn is_tf400813(&self) -> bool {
        self.message.starts_with("TF400813")
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the API refused (HTTP {}): {}",
            self.status, self.message
        )
    }
}

impl std::error::Error for ApiError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_code_reads_in_the_rfc_and_the_pascal_case_spelling() {
        assert_eq!(ErrorCode::parse("InvalidScope"), ErrorCode::InvalidScope);
        assert_eq!(ErrorCode::parse("invalid_scope"), ErrorCode::InvalidScope);
        assert_eq!(ErrorCode::parse(" access_denied "), ErrorCode::AccessDenied);
        assert_eq!(
            ErrorCode::parse("Weird_Thing"),
            ErrorCode::Other("Weird_Thing".into())
        );
        assert_eq!(ErrorCode::InvalidScope.as_str(), "invalid_scope");
        assert_eq!(ErrorCode::InvalidScope.azure_name(), "InvalidScope");
    }

    #[test]
    fn a_spent_refresh_token_needs_a_new_authorization_but_a_wrong_secret_does_not() {
        let spent = Error::OAuth(OAuthError {
            code: ErrorCode::InvalidRequest,
            error: "invalid_request".into(),
            description: Some("The access token has already been refreshed".into()),
            status: Some(400),
            shape: ErrorShape::AzureBody,
        });
        assert!(spent.needs_authorization());
        let wrong_secret = Error::OAuth(OAuthError {
            code: ErrorCode::UnauthorizedClient,
            error: "unauthorized_client".into(),
            description: Some("Client failed validation".into()),
            status: Some(400),
            shape: ErrorShape::AzureBody,
        });
        assert!(!wrong_secret.needs_authorization());
    }
}
