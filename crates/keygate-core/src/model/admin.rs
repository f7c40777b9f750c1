//! Admin tokens: bearer credentials for the registration REST API, made at the command line.

use crate::clock::UnixTime;
use crate::secrets::TokenHash;

/// An admin token as stored: only the hash of its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdminToken {
    /// A short public id, safe to show and to put in the audit log.
    pub id: String,
    /// What the operator called it.
    pub name: String,
    /// When it was made.
    pub created_at: UnixTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixTime>,
}

/// An admin token to store.
#[derive(Debug, Clone)]
pub struct NewAdminToken {
    /// The record.
    pub token: AdminToken,
    /// SHA-256 of the token value, which is shown once and never stored.
    pub hash: TokenHash,
}
