//! Entra's errors: an OAuth `error`, an `AADSTS` code and its text, for the token endpoint's
//! JSON body and for authorize errors redirected to the app. The grants' own
//! [`TokenError`]s map here in one place.

use crate::oauth::TokenError;

/// An Entra error, by the `AADSTS` code it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntraErrorKind {
    /// AADSTS50011: the redirect URI does not match the app's.
    RedirectUriMismatch,
    /// AADSTS54005: the authorization code was already redeemed.
    CodeRedeemed,
    /// AADSTS65001: the user has not consented (and `prompt=none` forbids asking).
    ConsentRequired,
    /// AADSTS65004: the user declined to consent.
    UserDeclined,
    /// AADSTS70000: the grant (code, refresh token, device code) is invalid.
    InvalidGrant,
    /// AADSTS70008: the grant has expired.
    GrantExpired,
    /// AADSTS70011: the scope is not valid.
    InvalidScope,
    /// AADSTS70016: the user has not yet finished the device flow.
    AuthorizationPending,
    /// AADSTS70016 as well, with `slow_down`: polled faster than the interval.
    SlowDown,
    /// AADSTS70018: no such device code.
    BadVerificationCode,
    /// AADSTS70019: the device code has expired.
    DeviceCodeExpired,
    /// AADSTS700016: no app with this client id in the tenant.
    AppNotFound,
    /// AADSTS7000215: the client secret is not the app's.
    InvalidClientSecret,
    /// AADSTS7000222: the client secret has expired.
    ClientSecretExpired,
    /// AADSTS7000218: a confidential app sent no client authentication.
    MissingClientAuth,
    /// AADSTS700025: a public app sent a client secret.
    PublicClientSecret,
    /// AADSTS700027: the client assertion (`private_key_jwt`) did not verify.
    InvalidClientAssertion,
    /// AADSTS90002: no such tenant.
    TenantNotFound,
    /// AADSTS900144: a required parameter is missing.
    MissingParameter(&'static str),
    /// AADSTS70003: the grant type is not supported.
    UnsupportedGrantType,
    /// AADSTS9002313: the request is malformed (a repeated parameter).
    MalformedRequest,
    /// AADSTS500011: a v1 `resource` that is not Azure DevOps.
    ResourceNotFound,
    /// AADSTS50058: `prompt=none` and nobody is signed in.
    LoginRequired,
    /// AADSTS50148: the PKCE `code_verifier` does not match the `code_challenge`.
    CodeVerifierMismatch,
    /// AADSTS7000112: the app is not allowed this grant (client credentials of a public app).
    UnauthorizedClient,
    /// AADSTS90100: the server failed; our fault.
    Server,
    /// The database is unreachable; retry.
    Unavailable,
}

/// An Entra error ready to render: the kind and what the response needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntraError {
    /// The kind.
    pub kind: EntraErrorKind,
}

impl From<EntraErrorKind> for EntraError {
    fn from(kind: EntraErrorKind) -> Self {
        Self { kind }
    }
}

impl EntraErrorKind {
    /// The `AADSTS` number (`error_codes`).
    pub fn code(&self) -> u32 {
        use EntraErrorKind::*;
        match self {
            RedirectUriMismatch => 50011,
            CodeRedeemed => 54005,
            ConsentRequired => 65001,
            UserDeclined => 65004,
            InvalidGrant => 70000,
            GrantExpired => 70008,
            InvalidScope => 70011,
            AuthorizationPending | SlowDown => 70016,
            BadVerificationCode => 70018,
            DeviceCodeExpired => 70019,
            AppNotFound => 700016,
            InvalidClientSecret => 7000215,
            ClientSecretExpired => 7000222,
            MissingClientAuth => 7000218,
            PublicClientSecret => 700025,
            InvalidClientAssertion => 700027,
            TenantNotFound => 90002,
            MissingParameter(_) => 900144,
            UnsupportedGrantType => 70003,
            MalformedRequest => 9002313,
            ResourceNotFound => 500011,
            LoginRequired => 50058,
            CodeVerifierMismatch => 50148,
            UnauthorizedClient => 7000112,
            Server => 90100,
            Unavailable => 90033,
        }
    }

    /// The OAuth `error`.
    pub fn error(&self) -> &'static str {
        use EntraErrorKind::*;
        match self {
            RedirectUriMismatch | TenantNotFound | MissingParameter(_) | MalformedRequest => {
                "invalid_request"
            }
            CodeRedeemed | InvalidGrant | GrantExpired | CodeVerifierMismatch => "invalid_grant",
            ConsentRequired => "consent_required",
            UserDeclined => "access_denied",
            InvalidScope => "invalid_scope",
            AuthorizationPending => "authorization_pending",
            SlowDown => "slow_down",
            BadVerificationCode => "bad_verification_code",
            DeviceCodeExpired => "expired_token",
            AppNotFound | UnauthorizedClient => "unauthorized_client",
            InvalidClientSecret
            | ClientSecretExpired
            | MissingClientAuth
            | PublicClientSecret
            | InvalidClientAssertion => "invalid_client",
            UnsupportedGrantType => "unsupported_grant_type",
            ResourceNotFound => "invalid_resource",
            LoginRequired => "login_required",
            Server => "server_error",
            Unavailable => "temporarily_unavailable",
        }
    }

    /// The text after `AADSTSnnnn: `.
    pub fn text(&self) -> String {
        use EntraErrorKind::*;
        match self {
            RedirectUriMismatch => "The redirect URI specified in the request does not match the redirect URIs configured for the application.".into(),
            CodeRedeemed => "The provided authorization code or refresh token has expired due to it already being redeemed, please retry with a new valid code or refresh token.".into(),
            ConsentRequired => "The user or administrator has not consented to use the application. Send an interactive authorization request for this user and resource.".into(),
            UserDeclined => "User declined to consent to access the app.".into(),
            InvalidGrant => "The provided authorization code, refresh token or device code is invalid or was revoked.".into(),
            GrantExpired => "The provided authorization code or refresh token has expired.".into(),
            InvalidScope => "The provided value for the input parameter 'scope' is not valid.".into(),
            AuthorizationPending => "The user has not yet completed the device flow: they must open the verification page and enter the code.".into(),
            SlowDown => "The device code was polled sooner than the interval allows; wait longer between polls.".into(),
            BadVerificationCode => "The device code is not valid.".into(),
            DeviceCodeExpired => "The device code has expired; start the device flow again.".into(),
            AppNotFound => "Application was not found in the directory. The client id may be wrong, or the app may have been deleted.".into(),
            InvalidClientSecret => "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to the app.".into(),
            ClientSecretExpired => "The provided client secret keys for the app are expired. Create new keys for the app, or consider using certificate credentials.".into(),
            MissingClientAuth => "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.".into(),
            PublicClientSecret => "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.".into(),
            InvalidClientAssertion => "The client assertion is not valid: its signature, certificate, audience, lifetime or identifier did not verify.".into(),
            TenantNotFound => "Tenant not found. Check that the tenant id or domain in the URL is the one of this deployment, or use 'common' or 'organizations'.".into(),
            MissingParameter(p) => format!("The request body must contain the following parameter: '{p}'."),
            UnsupportedGrantType => "The provided value for the input parameter 'grant_type' is not valid.".into(),
            MalformedRequest => "The request is not properly formatted: a parameter was sent more than once, or the body is not a form.".into(),
            ResourceNotFound => "The resource principal named in the request was not found in the tenant. Only the Azure DevOps resource 499b84ac-1321-427f-aa17-267ca6975798 is served here.".into(),
            LoginRequired => "The user must sign in: prompt=none was sent, but nobody is signed in.".into(),
            CodeVerifierMismatch => "The code_verifier does not match the code_challenge supplied in the authorization request.".into(),
            UnauthorizedClient => "The application is not allowed this grant: client credentials need a confidential application.".into(),
            Server => "The server failed to handle the request; nothing was consumed. Try again.".into(),
            Unavailable => "The service is temporarily unavailable. Try again.".into(),
        }
    }

    /// `error_description`: `AADSTSnnnn: text`.
    pub fn description(&self) -> String {
        format!("AADSTS{}: {}", self.code(), self.text())
    }

    /// The HTTP status of a token endpoint answer.
    pub fn status(&self) -> u16 {
        use EntraErrorKind::*;
        match self {
            InvalidClientSecret
            | ClientSecretExpired
            | MissingClientAuth
            | PublicClientSecret
            | InvalidClientAssertion
            | AppNotFound => 401,
            Server => 500,
            Unavailable => 503,
            _ => 400,
        }
    }
}

impl From<TokenError> for EntraErrorKind {
    fn from(e: TokenError) -> Self {
        use TokenError::*;
        match e {
            GrantTypeMissing => EntraErrorKind::MissingParameter("grant_type"),
            GrantTypeUnsupported => EntraErrorKind::UnsupportedGrantType,
            ClientSecretMissing => EntraErrorKind::MissingClientAuth,
            ClientSecretMalformed | ClientFailedValidation | ClientAuthAmbiguous => {
                EntraErrorKind::InvalidClientSecret
            }
            ClientSecretExpired => EntraErrorKind::ClientSecretExpired,
            GrantMissing => EntraErrorKind::MissingParameter("code"),
            RedirectUriMissing => EntraErrorKind::MissingParameter("redirect_uri"),
            DeviceCodeMissing => EntraErrorKind::MissingParameter("device_code"),
            TokenMissing => EntraErrorKind::MissingParameter("token"),
            GrantExpired => EntraErrorKind::GrantExpired,
            GrantAlreadyUsed | RefreshAlreadyUsed => EntraErrorKind::CodeRedeemed,
            RedirectUriMismatch => EntraErrorKind::RedirectUriMismatch,
            GrantInvalid
            | AuthorizationNotFound
            | RefreshInvalid
            | RefreshRevoked
            | RefreshOfAnotherClient
            | TokenOfAnotherClient => EntraErrorKind::InvalidGrant,
            GrantTypeNotAllowed => EntraErrorKind::UnauthorizedClient,
            ScopeInvalid => EntraErrorKind::InvalidScope,
            ParameterRepeated => EntraErrorKind::MalformedRequest,
            AuthorizationPending => EntraErrorKind::AuthorizationPending,
            SlowDown => EntraErrorKind::SlowDown,
            AccessDenied => EntraErrorKind::UserDeclined,
            DeviceCodeExpired => EntraErrorKind::DeviceCodeExpired,
            DeviceCodeInvalid | DeviceCodeUsed => EntraErrorKind::BadVerificationCode,
            Server => EntraErrorKind::Server,
            Unavailable => EntraErrorKind::Unavailable,
        }
    }
}

impl From<TokenError> for EntraError {
    fn from(e: TokenError) -> Self {
        EntraErrorKind::from(e).into()
    }
}

/// The Entra `error_description` for an authorize error redirected to the app: the `AADSTS`
/// text of its OAuth `error`, or AADSTS9002313 (invalid request) before Keygate's own words.
pub fn authorize_description(error: &str, description: &str) -> String {
    let kind = match error {
        "access_denied" => EntraErrorKind::UserDeclined,
        "invalid_scope" => EntraErrorKind::InvalidScope,
        "login_required" | "interaction_required" => EntraErrorKind::LoginRequired,
        "consent_required" => EntraErrorKind::ConsentRequired,
        "invalid_resource" => EntraErrorKind::ResourceNotFound,
        _ => {
            return format!(
                "AADSTS{}: {description}",
                EntraErrorKind::MalformedRequest.code()
            )
        }
    };
    kind.description()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_start_with_the_code() {
        assert_eq!(
            EntraErrorKind::InvalidScope.description(),
            "AADSTS70011: The provided value for the input parameter 'scope' is not valid."
        );
        assert_eq!(EntraErrorKind::TenantNotFound.code(), 90002);
        assert!(EntraErrorKind::MissingParameter("code")
            .description()
            .starts_with("AADSTS900144: "));
    }

    #[test]
    fn grant_failures_map_to_their_entra_codes() {
        assert_eq!(
            EntraErrorKind::from(TokenError::GrantAlreadyUsed).code(),
            54005
        );
        assert_eq!(EntraErrorKind::from(TokenError::GrantExpired).code(), 70008);
        assert_eq!(
            EntraErrorKind::from(TokenError::ClientFailedValidation).code(),
            7000215
        );
        assert_eq!(
            EntraErrorKind::from(TokenError::ClientSecretMissing).code(),
            7000218
        );
        assert_eq!(
            EntraErrorKind::from(TokenError::AuthorizationPending).error(),
            "authorization_pending"
        );
    }
}
