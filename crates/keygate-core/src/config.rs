//! Lifetimes of credentials and other protocol settings the use cases need.

/// How long each kind of credential lives, in seconds (protocol §5 defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetimes {
    /// Authorization codes: 15 minutes.
    pub code: i64,
    /// Access tokens: 1 hour.
    pub access_token: i64,
    /// Refresh tokens: 365 days.
    pub refresh_token: i64,
    /// Client secrets: 5 years.
    pub client_secret: i64,
    /// Browser sessions: 7 days.
    pub session: i64,
    /// Device codes (RFC 8628): 15 minutes.
    pub device_code: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            code: 15 * 60,
            access_token: 3600,
            refresh_token: 365 * 24 * 3600,
            client_secret: 5 * 365 * 24 * 3600,
            session: 7 * 24 * 3600,
            device_code: crate::oauth::device::DEVICE_CODE_LIFETIME,
        }
    }
}
