//! Authorizations (user x app x scopes) and the credentials that hang off them.

use crate::clock::UnixTime;
use crate::ids::{AccessId, AppId, AuthorizationId, SecretId, UserId};
use crate::scopes::ScopeSet;
use crate::secrets::TokenHash;

/// A consent given on Accept, with the code that carries it back to the app.
#[derive(Debug, Clone)]
pub struct NewAuthorization {
    /// The new `aui`.
    pub id: AuthorizationId,
    /// Who consented.
    pub user_id: UserId,
    /// To which app.
    pub app_id: AppId,
    /// For which scopes.
    pub scopes: ScopeSet,
    /// When.
    pub created_at: UnixTime,
}

/// An authorization code to store beside its authorization.
#[derive(Debug, Clone)]
pub struct NewCode {
    /// SHA-256 of the code.
    pub hash: TokenHash,
    /// The redirect URI used at authorize; the token request must repeat it.
    pub redirect_uri: String,
    /// PKCE `code_challenge` (S256), when the client sent one.
    pub code_challenge: Option<String>,
    /// Expiry.
    pub expires_at: UnixTime,
}

/// A stored code with what the token endpoint needs to judge it.
#[derive(Debug, Clone)]
pub struct CodeRecord {
    /// The authorization it belongs to.
    pub authorization_id: AuthorizationId,
    /// The consenting user.
    pub user_id: UserId,
    /// The app.
    pub app_id: AppId,
    /// Granted scopes.
    pub scopes: ScopeSet,
    /// Redirect URI used at authorize.
    pub redirect_uri: String,
    /// PKCE challenge, if any.
    pub code_challenge: Option<String>,
    /// Expiry.
    pub expires_at: UnixTime,
    /// When it was redeemed, if it was.
    pub used_at: Option<UnixTime>,
    /// When its authorization was revoked, if it was.
    pub revoked_at: Option<UnixTime>,
}

/// A refresh token to store, as a link in its authorization's rotation chain.
#[derive(Debug, Clone)]
pub struct NewRefreshToken {
    /// SHA-256 of the token.
    pub hash: TokenHash,
    /// Its access id (`aci`).
    pub access_id: AccessId,
    /// The authorization it extends.
    pub authorization_id: AuthorizationId,
    /// The client secret version that minted it (none for public clients).
    pub secret_id: Option<SecretId>,
    /// Issue time.
    pub created_at: UnixTime,
    /// Expiry.
    pub expires_at: UnixTime,
}

/// A stored refresh token with its authorization.
#[derive(Debug, Clone)]
pub struct RefreshRecord {
    /// Its access id.
    pub access_id: AccessId,
    /// The authorization.
    pub authorization_id: AuthorizationId,
    /// The user.
    pub user_id: UserId,
    /// The app.
    pub app_id: AppId,
    /// Scopes.
    pub scopes: ScopeSet,
    /// Expiry.
    pub expires_at: UnixTime,
    /// When it was exchanged for a successor, if it was.
    pub used_at: Option<UnixTime>,
    /// When the authorization was revoked, if it was.
    pub revoked_at: Option<UnixTime>,
}

/// One row of a user's authorizations page.
#[derive(Debug, Clone)]
pub struct AuthorizationSummary {
    /// The app.
    pub app_id: AppId,
    /// Its name.
    pub app_name: String,
    /// Its company.
    pub company_name: String,
    /// Scopes granted (union over the app's live authorizations).
    pub scopes: ScopeSet,
    /// First consent still in force.
    pub issued_at: UnixTime,
    /// When the last live refresh token expires.
    pub expires_at: UnixTime,
}

/// An authorization as stored, whatever its state (for introspection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// The `aui`.
    pub id: AuthorizationId,
    /// Who consented (for client credentials: the app's owner).
    pub user_id: UserId,
    /// The app.
    pub app_id: AppId,
    /// Scopes granted.
    pub scopes: ScopeSet,
    /// When it was given.
    pub created_at: UnixTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixTime>,
}
