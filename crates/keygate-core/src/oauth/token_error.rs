//! Every way the token endpoint refuses a request, with both wire spellings.

/// A refusal at the token endpoint. Each variant is one row of protocol §4's error table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// `grant_type` missing or unknown, or the body is not a form.
    #[error("grant_type must be provided")]
    GrantTypeMissing,
    /// No `client_assertion`.
    #[error("A client secret must be provided")]
    ClientSecretMissing,
    /// `client_assertion` is not shaped like a client secret.
    #[error("Failed to deserialize the JsonWebToken object.")]
    ClientSecretMalformed,
    /// Wrong, regenerated, or another app's secret.
    #[error("Client failed validation")]
    ClientFailedValidation,
    /// The secret is past its lifetime.
    #[error("Client secret is expired.")]
    ClientSecretExpired,
    /// No `assertion`.
    #[error("A valid authorization grant must be provided")]
    GrantMissing,
    /// Code forged, unknown, for another app, or its PKCE verifier does not match.
    #[error("The provided authorization grant failed verification")]
    GrantInvalid,
    /// Code past its 15 minutes.
    #[error("The authorization grant has expired.")]
    GrantExpired,
    /// Code already redeemed.
    #[error("An access token has already been issued")]
    GrantAlreadyUsed,
    /// The code's authorization was revoked.
    #[error("No authorization grant was found")]
    AuthorizationNotFound,
    /// No `redirect_uri`.
    #[error("A redirect URI must be provided")]
    RedirectUriMissing,
    /// `redirect_uri` differs from the one used at authorize.
    #[error("The given redirect_url was not valid")]
    RedirectUriMismatch,
    /// Refresh token unknown, malformed or expired.
    #[error("The given refresh token is invalid")]
    RefreshInvalid,
    /// Refresh token already exchanged (its chain has now been revoked).
    #[error("The access token has already been refreshed")]
    RefreshAlreadyUsed,
    /// Refresh token of a revoked or superseded authorization.
    #[error("The access token is not valid")]
    RefreshRevoked,
    /// A fault on our side; the cause is logged, never shown.
    #[error("An internal error occurred")]
    Server,
    /// `grant_type` names a grant this server does not offer (standard flavour).
    #[error("grant_type must be provided")]
    GrantTypeUnsupported,
    /// The client used more than one authentication method (RFC 6749 §2.3).
    #[error("Only one client authentication method may be used")]
    ClientAuthAmbiguous,
    /// The client may not use this grant type (a public client asking for client credentials).
    #[error("The client is not allowed to use this grant type")]
    GrantTypeNotAllowed,
    /// The requested scope is unknown, not registered, or wider than what was granted.
    #[error("The requested scope is invalid")]
    ScopeInvalid,
    /// A refresh token issued to another app.
    #[error("Client failed validation")]
    RefreshOfAnotherClient,
    /// Introspection or revocation without a `token`.
    #[error("A token must be provided")]
    TokenMissing,
    /// Revocation of a token issued to another app (RFC 7009 §2.1).
    #[error("The token was not issued to this client")]
    TokenOfAnotherClient,
    /// A parameter was sent more than once (RFC 6749 §3.1, §5.2).
    #[error("A parameter was sent more than once")]
    ParameterRepeated,
    /// RFC 8628 §3.5: the user has not decided yet; poll again after the interval.
    #[error("The user has not yet approved the device")]
    AuthorizationPending,
    /// RFC 8628 §3.5: polled sooner than the interval; the interval grew by 5 seconds.
    #[error("The device is polling too often")]
    SlowDown,
    /// RFC 8628 §3.5: the user denied the device's request.
    #[error("The user denied the authorization request")]
    AccessDenied,
    /// RFC 8628 §3.5: the device code is past its lifetime.
    #[error("The device code has expired")]
    DeviceCodeExpired,
    /// No `device_code`.
    #[error("A device code must be provided")]
    DeviceCodeMissing,
    /// A device code unknown, or issued to another app.
    #[error("The device code is not valid")]
    DeviceCodeInvalid,
    /// A device code already exchanged for tokens.
    #[error("The device code has already been used")]
    DeviceCodeUsed,
    /// The database could not be reached in time; nothing was consumed, so the client may retry
    /// (HTTP 503).
    #[error("The service is temporarily unavailable")]
    Unavailable,
}

impl TokenError {
    /// The `Error` value of the Azure flavour (protocol §4).
    pub fn azure_code(&self) -> &'static str {
        use TokenError::*;
        match self {
            ClientSecretMissing | ClientSecretMalformed => "invalid_client",
            ClientFailedValidation | RefreshOfAnotherClient => "unauthorized_client",
            GrantInvalid | AuthorizationNotFound => "invalid_grant",
            Server => "server_error",
            Unavailable => "temporarily_unavailable",
            _ => "invalid_request",
        }
    }

    /// The `ErrorDescription` text of the Azure flavour, exactly as clients match it.
    pub fn description(&self) -> String {
        self.to_string()
    }

    /// Whether this is our fault (HTTP 500, or 503 when [`Self::is_unavailable`]) rather than the
    /// client's (HTTP 400).
    pub fn is_server_fault(&self) -> bool {
        matches!(self, TokenError::Server | TokenError::Unavailable)
    }

    /// Whether the database was unreachable (HTTP 503: retry later).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, TokenError::Unavailable)
    }
}

impl From<crate::store::StoreError> for TokenError {
    fn from(e: crate::store::StoreError) -> Self {
        if let crate::store::StoreError::Unavailable(_) = e {
            tracing::warn!(error = %e, "database unavailable at the token endpoint");
            return TokenError::Unavailable;
        }
        tracing::error!(error = %e, "store failure at the token endpoint");
        TokenError::Server
    }
}

impl From<crate::credentials::MintError> for TokenError {
    fn from(e: crate::credentials::MintError) -> Self {
        tracing::error!(error = %e, "could not sign a credential");
        TokenError::Server
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreError;

    #[test]
    fn an_unreachable_database_is_a_retryable_server_fault() {
        let e = TokenError::from(StoreError::Unavailable("connection refused".into()));
        assert_eq!(e, TokenError::Unavailable);
        assert!(e.is_server_fault());
        assert!(e.is_unavailable());
        assert_eq!(e.azure_code(), "temporarily_unavailable");
    }

    #[test]
    fn other_store_failures_are_internal_errors() {
        let e = TokenError::from(StoreError::Corrupt("bad row".into()));
        assert_eq!(e, TokenError::Server);
        assert!(e.is_server_fault());
        assert!(!e.is_unavailable());
    }
}
