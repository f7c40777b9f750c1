//! Device codes of the device authorization grant (RFC 8628): what a device polls with, and the
//! user code a person types on the verification page.

use crate::clock::UnixTime;
use crate::ids::{AppId, AuthorizationId, UserId};
use crate::scopes::ScopeSet;
use crate::secrets::TokenHash;

use super::NewAuthorization;

/// A device authorization request to store (RFC 8628 §3.2).
#[derive(Debug, Clone)]
pub struct NewDeviceCode {
    /// SHA-256 of the device code (256 random bits; only the hash is kept).
    pub hash: TokenHash,
    /// SHA-256 of the normalized user code (upper case, no dash).
    pub user_code_hash: TokenHash,
    /// The app that asked.
    pub app_id: AppId,
    /// The scopes it asked for (already checked against its registration).
    pub scopes: ScopeSet,
    /// When.
    pub created_at: UnixTime,
    /// When the device code and user code stop working.
    pub expires_at: UnixTime,
    /// Seconds the device must wait between polls (RFC 8628 §3.5).
    pub interval: i64,
}

/// Where a device code stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceCodeStatus {
    /// Nobody has decided yet.
    Pending,
    /// The user accepted; the device code carries an authorization.
    Approved,
    /// The user denied.
    Denied,
}

impl DeviceCodeStatus {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
        }
    }

    /// Parses the stored spelling.
    pub fn from_stored(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "denied" => Some(Self::Denied),
            _ => None,
        }
    }
}

/// A stored device code, with the state of its authorization once approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceCodeRecord {
    /// The app that asked.
    pub app_id: AppId,
    /// The scopes asked for.
    pub scopes: ScopeSet,
    /// Expiry.
    pub expires_at: UnixTime,
    /// Seconds between polls, grown by every `slow_down`.
    pub interval: i64,
    /// Where it stands.
    pub status: DeviceCodeStatus,
    /// The user who entered the user code (and so may decide on it), once someone did.
    pub user_id: Option<UserId>,
    /// The authorization an approval created.
    pub authorization_id: Option<AuthorizationId>,
    /// When the device redeemed it for tokens, if it did.
    pub used_at: Option<UnixTime>,
    /// When its authorization was revoked, if it was.
    pub revoked_at: Option<UnixTime>,
}

/// What one poll of the token endpoint found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DevicePoll {
    /// The device code as it stands after the poll (interval already grown when too fast).
    pub record: DeviceCodeRecord,
    /// Whether this poll came sooner than the interval after the previous one while the code
    /// was pending: the answer is `slow_down`, and the interval grew by 5 seconds.
    pub too_fast: bool,
}

/// The user's answer on the verification page.
#[derive(Debug, Clone)]
pub enum DeviceDecision {
    /// Accept: store this authorization and tie it to the device code.
    Approve(NewAuthorization),
    /// Deny.
    Deny,
}
