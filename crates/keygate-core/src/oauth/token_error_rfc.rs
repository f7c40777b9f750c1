//! The standard spelling of every token-endpoint refusal: RFC 6749 §5.2 `error` codes and
//! descriptions, and which refusals are client-authentication failures (HTTP 401).

use super::TokenError;

impl TokenError {
    /// The RFC 6749 §5.2 `error` code (RFC 7009 and RFC 7662 reuse them).
    pub fn rfc_code(&self) -> &'static str {
        use TokenError::*;
        match self {
            GrantTypeMissing | ClientAuthAmbiguous | GrantMissing | RedirectUriMissing
            | TokenMissing | ParameterRepeated | DeviceCodeMissing => "invalid_request",
            AuthorizationPending => "authorization_pending",
            SlowDown => "slow_down",
            AccessDenied => "access_denied",
            DeviceCodeExpired => "expired_token",
            DeviceCodeInvalid | DeviceCodeUsed => "invalid_grant",
            ClientSecretMissing
            | ClientSecretMalformed
            | ClientFailedValidation
            | ClientSecretExpired => "invalid_client",
            GrantInvalid
            | GrantExpired
            | GrantAlreadyUsed
            | AuthorizationNotFound
            | RedirectUriMismatch
            | RefreshInvalid
            | RefreshAlreadyUsed
            | RefreshRevoked
            | RefreshOfAnotherClient => "invalid_grant",
            GrantTypeNotAllowed | TokenOfAnotherClient => "unauthorized_client",
            GrantTypeUnsupported => "unsupported_grant_type",
            ScopeInvalid => "invalid_scope",
            Server => "server_error",
            Unavailable => "temporarily_unavailable",
        }
    }

    /// The `error_description` of the standard flavour: plain words for a developer reading logs.
    pub fn rfc_description(&self) -> &'static str {
        use TokenError::*;
        match self {
            GrantTypeMissing => "The grant_type parameter is missing",
            GrantTypeUnsupported => {
                "grant_type must be authorization_code, refresh_token, client_credentials or urn:ietf:params:oauth:grant-type:device_code"
            }
            ClientAuthAmbiguous => "Only one client authentication method may be used",
            ClientSecretMissing => "Client authentication is required",
            ClientSecretMalformed | ClientFailedValidation => "Client authentication failed",
            ClientSecretExpired => "The client secret has expired",
            GrantMissing => "The code or refresh_token parameter is missing",
            GrantInvalid => "The authorization code or code_verifier is invalid",
            GrantExpired => "The authorization code has expired",
            GrantAlreadyUsed => "The authorization code has already been used",
            AuthorizationNotFound => "The authorization has been revoked",
            RedirectUriMissing => "The redirect_uri parameter is missing",
            RedirectUriMismatch => {
                "The redirect_uri does not match the one used in the authorization request"
            }
            RefreshInvalid => "The refresh token is invalid or expired",
            RefreshAlreadyUsed => "The refresh token has already been used",
            RefreshRevoked => "The refresh token has been revoked",
            RefreshOfAnotherClient => "The refresh token was issued to another client",
            GrantTypeNotAllowed => "The client is not allowed to use this grant type",
            ScopeInvalid => "The requested scope is invalid or exceeds what was granted",
            TokenMissing => "The token parameter is missing",
            TokenOfAnotherClient => "The token was not issued to this client",
            ParameterRepeated => "A parameter was sent more than once",
            Server => "An internal error occurred",
            Unavailable => "The service is temporarily unavailable",
            AuthorizationPending => "The user has not yet approved the device",
            SlowDown => "The device is polling too often; wait 5 seconds longer between polls",
            AccessDenied => "The user denied the authorization request",
            DeviceCodeExpired => "The device code has expired",
            DeviceCodeMissing => "The device_code parameter is missing",
            DeviceCodeInvalid => "The device code is invalid",
            DeviceCodeUsed => "The device code has already been used",
        }
    }

    /// Whether the client failed to authenticate: HTTP 401 with `WWW-Authenticate`
    /// (RFC 6749 §5.2, `invalid_client`).
    pub fn is_client_auth_failure(&self) -> bool {
        self.rfc_code() == "invalid_client"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_authentication_failures_are_invalid_client_and_nothing_else_is() {
        assert!(TokenError::ClientFailedValidation.is_client_auth_failure());
        assert!(TokenError::ClientSecretMissing.is_client_auth_failure());
        assert!(TokenError::ClientSecretExpired.is_client_auth_failure());
        assert!(!TokenError::GrantInvalid.is_client_auth_failure());
        assert!(!TokenError::RefreshOfAnotherClient.is_client_auth_failure());
    }

    #[test]
    fn the_azure_and_standard_spellings_differ_only_where_the_rfc_says_so() {
        assert_eq!(TokenError::GrantExpired.azure_code(), "invalid_request");
        assert_eq!(TokenError::GrantExpired.rfc_code(), "invalid_grant");
        assert_eq!(
            TokenError::RefreshOfAnotherClient.azure_code(),
            "unauthorized_client"
        );
        assert_eq!(
            TokenError::RefreshOfAnotherClient.rfc_code(),
            "invalid_grant"
        );
        assert_eq!(
            TokenError::GrantTypeUnsupported.rfc_code(),
            "unsupported_grant_type"
        );
    }
}
