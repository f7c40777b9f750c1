//! The rows of the hosted service's token error table (protocol §4), recognised by the
//! description texts that Azure DevOps clients match on.

/// The rows of the hosted service's token error table (Keygate answers with the same texts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenFailure {
    /// `grant_type must be provided`.
    GrantTypeMissing,
    /// `A client secret must be provided`.
    ClientSecretMissing,
    /// `Failed to deserialize the JsonWebToken object.`: the secret is not a client secret.
    ClientSecretMalformed,
    /// `Client failed validation`: wrong, regenerated or another app's secret.
    ClientFailedValidation,
    /// `Client secret is expired.`
    ClientSecretExpired,
    /// `A valid authorization grant must be provided`.
    GrantMissing,
    /// `The provided authorization grant failed verification`.
    GrantInvalid,
    /// `The authorization grant has expired.`
    GrantExpired,
    /// `An access token has already been issued`: the code was already redeemed.
    GrantAlreadyUsed,
    /// `No authorization grant was found`: the authorization was revoked.
    AuthorizationNotFound,
    /// `A redirect URI must be provided`.
    RedirectUriMissing,
    /// `The given redirect_url was not valid`.
    RedirectUriMismatch,
    /// `The given refresh token is invalid`.
    RefreshTokenInvalid,
    /// `The access token has already been refreshed`: the refresh token was already used.
    RefreshTokenAlreadyUsed,
    /// `The access token is not valid`: the authorization was revoked or superseded.
    RefreshTokenRevoked,
}

const FAILURES: [(TokenFailure, &str); 15] = [
    (
        TokenFailure::GrantTypeMissing,
        "grant_type must be provided",
    ),
    (
        TokenFailure::ClientSecretMissing,
        "A client secret must be provided",
    ),
    (
        TokenFailure::ClientSecretMalformed,
        "Failed to deserialize the JsonWebToken object.",
    ),
    (
        TokenFailure::ClientFailedValidation,
        "Client failed validation",
    ),
    (
        TokenFailure::ClientSecretExpired,
        "Client secret is expired.",
    ),
    (
        TokenFailure::GrantMissing,
        "A valid authorization grant must be provided",
    ),
    (
        TokenFailure::GrantInvalid,
        "The provided authorization grant failed verification",
    ),
    (
        TokenFailure::GrantExpired,
        "The authorization grant has expired.",
    ),
    (
        TokenFailure::GrantAlreadyUsed,
        "An access token has already been issued",
    ),
    (
        TokenFailure::AuthorizationNotFound,
        "No authorization grant was found",
    ),
    (
        TokenFailure::RedirectUriMissing,
        "A redirect URI must be provided",
    ),
    (
        TokenFailure::RedirectUriMismatch,
        "The given redirect_url was not valid",
    ),
    (
        TokenFailure::RefreshTokenInvalid,
        "The given refresh token is invalid",
    ),
    (
        TokenFailure::RefreshTokenAlreadyUsed,
        "The access token has already been refreshed",
    ),
    (
        TokenFailure::RefreshTokenRevoked,
        "The access token is not valid",
    ),
];

impl TokenFailure {
    /// Recognises a row by its description (case and surrounding space ignored).
    pub fn from_description(text: &str) -> Option<Self> {
        let text = text.trim();
        FAILURES
            .iter()
            .find(|(_, d)| d.eq_ignore_ascii_case(text))
            .map(|(f, _)| *f)
    }

    /// The description text the server sends for this row.
    pub fn description(self) -> &'static str {
        FAILURES
            .iter()
            .find(|(f, _)| *f == self)
            .map_or("", |(_, d)| d)
    }

    /// Whether the fix is a new authorization by the user, rather than a fix in the app.
    pub fn needs_authorization(self) -> bool {
        matches!(
            self,
            TokenFailure::GrantExpired
                | TokenFailure::GrantAlreadyUsed
                | TokenFailure::AuthorizationNotFound
                | TokenFailure::RefreshTokenInvalid
                | TokenFailure::RefreshTokenAlreadyUsed
                | TokenFailure::RefreshTokenRevoked
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_of_the_token_error_table_is_recognised_by_its_text() {
        for (failure, text) in FAILURES {
            assert_eq!(TokenFailure::from_description(text), Some(failure));
            assert_eq!(failure.description(), text);
        }
        assert_eq!(TokenFailure::from_description("something else"), None);
    }
}
