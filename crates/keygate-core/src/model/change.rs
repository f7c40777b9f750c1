//! The change feed that carries revocations and policy changes to every node, and signing keys.

use crate::clock::UnixTime;

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    /// An authorization was revoked (by the user, by secret regeneration, by app deletion, or by
    /// refresh-token reuse); `subject` is the `aui`.
    AuthorizationRevoked,
    /// An organization's third-party OAuth policy changed; `subject` is the organization id.
    OrgPolicyChanged,
    /// The set of signing keys changed.
    KeysChanged,
    /// An app's registration was edited, one of its client secrets replaced, or the app deleted;
    /// `subject` is the app id. Nodes drop what they cached about the app.
    ClientChanged,
    /// Written by a newer Keygate; older nodes skip it (rolling upgrades).
    Unknown,
}

impl ChangeKind {
    /// The stored spelling.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::AuthorizationRevoked => "authorization_revoked",
            Self::OrgPolicyChanged => "org_policy_changed",
            Self::KeysChanged => "keys_changed",
            Self::ClientChanged => "client_changed",
            Self::Unknown => "unknown",
        }
    }

    /// Parses the stored spelling; a kind this build does not know is [`Self::Unknown`], so a
    /// reader still advances past it.
    pub fn from_stored(s: &str) -> Self {
        match s {
            "authorization_revoked" => Self::AuthorizationRevoked,
            "org_policy_changed" => Self::OrgPolicyChanged,
            "keys_changed" => Self::KeysChanged,
            "client_changed" => Self::ClientChanged,
            _ => Self::Unknown,
        }
    }
}

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Increasing sequence number.
    pub seq: i64,
    /// What changed.
    pub kind: ChangeKind,
    /// The id it concerns.
    pub subject: String,
    /// When.
    pub at: UnixTime,
}

/// A signing key as stored: the private key in PKCS#8 DER, and its lifecycle state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningKeyRecord {
    /// Key id (`kid`).
    pub kid: String,
    /// JWS algorithm name (`ES256`, `EdDSA`, `RS256`).
    pub algorithm: String,
    /// PKCS#8 DER of the private key.
    pub private_der: Vec<u8>,
    /// `next`, `active` or `retired`.
    pub state: String,
    /// When it was made.
    pub created_at: UnixTime,
    /// When it stopped signing (retired keys stay published until their tokens expire).
    pub retired_at: Option<UnixTime>,
    /// What it signs: [`KEY_PURPOSE_ACCESS`] (access tokens and every other credential) or
    /// [`KEY_PURPOSE_ID_TOKEN`] (OpenID Connect ID tokens, always RS256).
    pub purpose: String,
}

/// New stored material for a signing key: its private key sealed (or resealed under a new
/// master key), replacing `stored` only while the key still holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResealedKey {
    /// Key id (`kid`).
    pub kid: String,
    /// The material the key was read with.
    pub stored: Vec<u8>,
    /// The material to store instead.
    pub resealed: Vec<u8>,
}
/// The purpose of the key that signs access tokens, codes, refresh tokens and client secrets.
pub const KEY_PURPOSE_ACCESS: &str = "access";
/// The purpose of the key that signs OpenID Connect ID tokens.
pub const KEY_PURPOSE_ID_TOKEN: &str = "id_token";
