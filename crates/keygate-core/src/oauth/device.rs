//! The device authorization grant (RFC 8628) on the device's side: the device authorization
//! request (§3.1-§3.2) and polling the token endpoint (§3.4-§3.5).
//!
//! Approval makes an authorization like the code flow's Accept, so the tokens a device gets
//! die with it (revocation, secret replacement, app deletion, organization policy).

use crate::context::Keygate;
use crate::ids::AccessId;
use crate::model::{DeviceCodeStatus, NewDeviceCode, NewRefreshToken};
use crate::oauth::client::Client;
use crate::oauth::token::{mint_access, reported_lifetime, IssuedTokens};
use crate::oauth::user_code::UserCode;
use crate::oauth::TokenError;
use crate::scopes::ScopeSet;
use crate::secrets::{random_token, TokenHash};
use crate::store::{ConsumeOutcome, StoreError};

/// The `grant_type` a device polls with (RFC 8628 §3.4).
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// Seconds a device code and its user code live.
pub const DEVICE_CODE_LIFETIME: i64 = 900;

/// Seconds a device waits between polls at first (RFC 8628 §3.2 suggests 5).
pub const POLL_INTERVAL: i64 = 5;

/// How many user codes are drawn before giving up on a collision (each is 34.6 bits, so a
/// second draw practically never happens).
const USER_CODE_DRAWS: usize = 3;

/// What the device authorization endpoint answers (RFC 8628 §3.2), before the server adds its
/// verification URIs.
#[derive(Clone)]
pub struct DeviceAuthorization {
    /// The device code (256 random bits, base64url); only its hash is stored.
    pub device_code: String,
    /// The user code, as shown (`XXXX-XXXX`).
    pub user_code: String,
    /// Seconds until both codes expire.
    pub expires_in: i64,
    /// Seconds to wait between polls.
    pub interval: i64,
}

impl std::fmt::Debug for DeviceAuthorization {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceAuthorization")
            .field("expires_in", &self.expires_in)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// RFC 8628 §3.1: `client` asks to be authorized for `scope` (absent: every registered scope;
/// otherwise a subset of them).
pub async fn authorize_device(
    kg: &Keygate,
    client: &Client,
    scope: Option<&str>,
) -> Result<DeviceAuthorization, TokenError> {
    let app = kg
        .data()
        .app(client.app_id())
        .await?
        .ok_or(TokenError::ClientFailedValidation)?;
    let scopes = match scope.map(str::trim).filter(|s| !s.is_empty()) {
        None => app.scopes.clone(),
        Some(raw) => match ScopeSet::parse(raw) {
            Ok(s) if s.is_subset(&app.scopes) => s,
            _ => return Err(TokenError::ScopeInvalid),
        },
    };
    let now = kg.clock.now();
    let device_code = random_token();
    for _ in 0..USER_CODE_DRAWS {
        let user_code = UserCode::random();
        let stored = kg
            .store()
            .create_device_code(NewDeviceCode {
                hash: TokenHash::of(&device_code),
                user_code_hash: user_code.hash(),
                app_id: app.id,
                scopes: scopes.clone(),
                created_at: now,
                expires_at: now + DEVICE_CODE_LIFETIME,
                interval: POLL_INTERVAL,
            })
            .await;
        match stored {
            Ok(()) => {
                tracing::info!(app.id = %app.id, "device authorization started");
                return Ok(DeviceAuthorization {
                    device_code,
                    user_code: user_code.display(),
                    expires_in: DEVICE_CODE_LIFETIME,
                    interval: POLL_INTERVAL,
                });
            }
            Err(StoreError::Conflict(_)) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    tracing::error!(app.id = %app.id, "no free user code after {USER_CODE_DRAWS} draws");
    Err(TokenError::Server)
}

/// RFC 8628 §3.4-§3.5: a device polls with its device code. Until the user decides:
/// `authorization_pending`, or `slow_down` when it polls sooner than its interval (which then
/// grows by 5 seconds); then `access_denied`, or the tokens, once; `expired_token` after the
/// code's lifetime.
pub async fn poll_device_code(
    kg: &Keygate,
    client: &Client,
    device_code: Option<&str>,
) -> Result<IssuedTokens, TokenError> {
    let code = device_code
        .filter(|s| !s.is_empty())
        .ok_or(TokenError::DeviceCodeMissing)?;
    let hash = TokenHash::of(code);
    let now = kg.clock.now();
    let poll = kg
        .store()
        .poll_device_code(hash, now)
        .await?
        .ok_or(TokenError::DeviceCodeInvalid)?;
    let record = poll.record;
    if record.app_id != client.app_id() {
        return Err(TokenError::DeviceCodeInvalid);
    }
    if record.used_at.is_some() {
        return Err(TokenError::DeviceCodeUsed);
    }
    if now >= record.expires_at {
        return Err(TokenError::DeviceCodeExpired);
    }
    match record.status {
        DeviceCodeStatus::Denied => return Err(TokenError::AccessDenied),
        DeviceCodeStatus::Pending if poll.too_fast => return Err(TokenError::SlowDown),
        DeviceCodeStatus::Pending => return Err(TokenError::AuthorizationPending),
        DeviceCodeStatus::Approved => {}
    }
    let (Some(aui), Some(user)) = (record.authorization_id, record.user_id) else {
        tracing::error!(app.id = %record.app_id, "an approved device code has no authorization");
        return Err(TokenError::Server);
    };
    if record.revoked_at.is_some() {
        return Err(TokenError::AuthorizationNotFound);
    }
    let access_id = AccessId::new_random();
    let refresh_expires = now + kg.lifetimes.refresh_token;
    let refresh = kg
        .credentials
        // No ID token on the device grant (yet): the refresh token carries no sign-in.
        .mint_refresh_token(access_id, user, &record.scopes, now, refresh_expires, None)?;
    let outcome = kg
        .store()
        .redeem_device_code(
            hash,
            NewRefreshToken {
                hash: refresh.hash,
                access_id,
                authorization_id: aui,
                secret_id: client.secret_id(),
                created_at: now,
                expires_at: refresh_expires,
            },
            now,
        )
        .await?;
    match outcome {
        ConsumeOutcome::Consumed => {}
        ConsumeOutcome::AlreadyUsed => return Err(TokenError::DeviceCodeUsed),
        ConsumeOutcome::SecretRetired => return Err(TokenError::ClientFailedValidation),
    }
    let access_token = mint_access(kg, &record.scopes, user, record.app_id, aui, now)?;
    tracing::info!(app.id = %record.app_id, user.id = %user, grant_type = "device_code", "tokens issued");
    Ok(IssuedTokens {
        access_token,
        refresh_token: refresh.value,
        expires_in: reported_lifetime(kg),
        scopes: record.scopes,
        user_id: user,
        app_id: record.app_id,
        authorization_id: aui,
        oidc: None,
    })
}
