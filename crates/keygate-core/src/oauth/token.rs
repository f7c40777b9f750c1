//! The token endpoint's use cases: exchange a code, refresh (protocol §4, RFC 6749 §4.1.3, §6).
//!
//! The wire flavour (Azure `client_assertion` or standard OAuth) is decided at the edge; these
//! functions take what both flavours carry and return tokens or a [`TokenError`].

use crate::context::Keygate;
use crate::credentials::looks_like_jwt;
use crate::credentials::{Credentials, OidcContext};
use crate::ids::{AccessId, UserId};
use crate::model::{ClientSecret, NewRefreshToken};
use crate::oauth::client::Client;
use crate::oauth::pkce;
use crate::oauth::TokenError;
use crate::oidc::OPENID_SCOPE;
use crate::scopes::ScopeSet;
use crate::secrets::TokenHash;
use crate::store::ConsumeOutcome;

/// What a successful grant returns.
#[derive(Clone)]
pub struct IssuedTokens {
    /// The access token (JWT).
    pub access_token: String,
    /// The refresh token.
    pub refresh_token: String,
    /// Seconds the access token remains valid, as reported to the client.
    pub expires_in: i64,
    /// The scopes granted.
    pub scopes: ScopeSet,
    /// The user the tokens act for.
    pub user_id: UserId,
    /// The app they were issued to.
    pub app_id: crate::ids::AppId,
    /// The authorization behind them.
    pub authorization_id: crate::ids::AuthorizationId,
    /// What an ID token needs, when the grant is an OpenID Connect sign-in.
    pub oidc: Option<OidcContext>,
}

impl std::fmt::Debug for IssuedTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedTokens")
            .field("expires_in", &self.expires_in)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// Authenticates a confidential client by its secret (the Azure `client_assertion`).
pub async fn authenticate_client(
    kg: &Keygate,
    secret: Option<&str>,
) -> Result<ClientSecret, TokenError> {
    let secret = secret
        .filter(|s| !s.is_empty())
        .ok_or(TokenError::ClientSecretMissing)?;
    if !looks_like_jwt(secret) {
        return Err(TokenError::ClientSecretMalformed);
    }
    let record = kg
        .data()
        .client_secret(TokenHash::of(secret))
        .await?
        .ok_or(TokenError::ClientFailedValidation)?;
    if kg.clock.now() >= record.expires_at {
        return Err(TokenError::ClientSecretExpired);
    }
    Ok(record)
}

fn non_empty(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.is_empty())
}

/// What a code exchange carries, whichever flavour sent it.
#[derive(Debug, Clone, Copy, Default)]
pub struct CodeGrant<'a> {
    /// The code (`assertion` in the Azure flavour, `code` in the standard one).
    pub code: Option<&'a str>,
    /// `redirect_uri`, which must repeat the one used at authorize.
    pub redirect_uri: Option<&'a str>,
    /// PKCE `code_verifier` (RFC 7636 §4.5).
    pub code_verifier: Option<&'a str>,
    /// Refuse a `code_verifier` for a code issued without a challenge, the sign of a PKCE
    /// downgrade (RFC 9700 §4.8.2); the Azure flavour tolerates the stray field.
    pub refuse_unexpected_verifier: bool,
}

/// Exchanges an authorization code (RFC 6749 §4.1.3) for the client `client`.
pub async fn exchange_code(
    kg: &Keygate,
    client: &Client,
    grant: CodeGrant<'_>,
) -> Result<IssuedTokens, TokenError> {
    let code_verifier = grant.code_verifier;
    let code = non_empty(grant.code).ok_or(TokenError::GrantMissing)?;
    let redirect_uri = non_empty(grant.redirect_uri).ok_or(TokenError::RedirectUriMissing)?;
    let hash = TokenHash::of(code);
    let record = kg
        .store()
        .code_by_hash(hash)
        .await?
        .filter(|r| r.app_id == client.app_id())
        .ok_or(TokenError::GrantInvalid)?;
    let now = kg.clock.now();
    if record.used_at.is_some() {
        // RFC 6749 §4.1.2: a second use revokes what the first use issued.
        kg.store()
            .revoke_authorization(
                record.authorization_id,
                now,
                crate::audit::code_reused(kg, record.app_id, record.authorization_id),
            )
            .await?;
        tracing::warn!(app.id = %record.app_id, aui = %record.authorization_id, "authorization code reused; authorization revoked");
        return Err(TokenError::GrantAlreadyUsed);
    }
    if record.revoked_at.is_some() {
        return Err(TokenError::AuthorizationNotFound);
    }
    if now >= record.expires_at {
        return Err(TokenError::GrantExpired);
    }
    if record.redirect_uri != redirect_uri {
        return Err(TokenError::RedirectUriMismatch);
    }
    match (&record.code_challenge, non_empty(code_verifier)) {
        (Some(challenge), Some(v)) if pkce::verifies(v, challenge) => {}
        (Some(_), _) => return Err(TokenError::GrantInvalid),
        // A public client proves nothing but PKCE (authorize insists on it; so does this).
        (None, _) if client.is_public() || kg.policy.require_pkce => {
            return Err(TokenError::GrantInvalid)
        }
        (None, Some(_)) if grant.refuse_unexpected_verifier => {
            return Err(TokenError::GrantInvalid)
        }
        (None, _) => {}
    }
    let access_id = AccessId::new_random();
    let refresh_expires = now + kg.lifetimes.refresh_token;
    let oidc = record
        .scopes
        .contains(OPENID_SCOPE)
        .then(|| Credentials::oidc_context(code))
        .flatten();
    // The nonce belongs to the first ID token only (OpenID Connect Core §12.2).
    let carried = oidc.as_ref().map(|o| OidcContext {
        nonce: None,
        ..o.clone()
    });
    let refresh = kg.credentials.mint_refresh_token(
        access_id,
        record.user_id,
        &record.scopes,
        now,
        refresh_expires,
        carried.as_ref(),
    )?;
    let outcome = kg
        .store()
        .redeem_code(
            hash,
            NewRefreshToken {
                hash: refresh.hash,
                access_id,
                authorization_id: record.authorization_id,
                secret_id: client.secret_id(),
                created_at: now,
                expires_at: refresh_expires,
            },
            now,
            crate::audit::code_reused(kg, record.app_id, record.authorization_id),
        )
        .await?;
    match outcome {
        ConsumeOutcome::Consumed => {}
        ConsumeOutcome::AlreadyUsed => {
            tracing::warn!(app.id = %record.app_id, aui = %record.authorization_id, "authorization code redeemed concurrently; authorization revoked");
            return Err(TokenError::GrantAlreadyUsed);
        }
        ConsumeOutcome::SecretRetired => return Err(TokenError::ClientFailedValidation),
    }
    let access_token = mint_access(
        kg,
        &record.scopes,
        record.user_id,
        record.app_id,
        record.authorization_id,
        now,
    )?;
    tracing::info!(app.id = %record.app_id, user.id = %record.user_id, grant_type = "authorization_code", "tokens issued");
    Ok(IssuedTokens {
        access_token,
        refresh_token: refresh.value,
        expires_in: reported_lifetime(kg),
        scopes: record.scopes,
        user_id: record.user_id,
        app_id: record.app_id,
        authorization_id: record.authorization_id,
        oidc,
    })
}

pub(crate) fn mint_access(
    kg: &Keygate,
    scopes: &ScopeSet,
    user: crate::ids::UserId,
    app: crate::ids::AppId,
    aui: crate::ids::AuthorizationId,
    now: i64,
) -> Result<String, TokenError> {
    Ok(kg.credentials.mint_access_token(
        user,
        app,
        aui,
        scopes,
        now,
        now + kg.lifetimes.access_token,
    )?)
}

/// The `expires_in` reported: the lifetime less the second already under way (3600 -> 3599).
pub(crate) fn reported_lifetime(kg: &Keygate) -> i64 {
    (kg.lifetimes.access_token - 1).max(0)
}

/// What a refresh request says about the redirect URI.
#[derive(Debug, Clone, Copy)]
pub enum RedirectRule<'a> {
    /// The Azure flavour: the registered callback URL must be repeated on refresh too.
    MustMatchCallback(Option<&'a str>),
    /// RFC 6749 §6: a refresh request has no `redirect_uri`.
    NotChecked,
}

/// What a refresh carries, whichever flavour sent it.
#[derive(Debug, Clone, Copy)]
pub struct RefreshGrant<'a> {
    /// The refresh token.
    pub refresh_token: Option<&'a str>,
    /// Whether and how `redirect_uri` is checked.
    pub redirect_uri: RedirectRule<'a>,
    /// RFC 6749 §6 `scope`: narrows the new access token to a subset of what was granted.
    pub scope: Option<&'a str>,
}

/// Exchanges a refresh token for a new pair (RFC 6749 §6), rotating it.
pub async fn refresh(
    kg: &Keygate,
    client: &Client,
    grant: RefreshGrant<'_>,
) -> Result<IssuedTokens, TokenError> {
    let token = non_empty(grant.refresh_token).ok_or(TokenError::GrantMissing)?;
    let redirect_uri = match grant.redirect_uri {
        RedirectRule::MustMatchCallback(uri) => {
            Some(non_empty(uri).ok_or(TokenError::RedirectUriMissing)?)
        }
        RedirectRule::NotChecked => None,
    };
    if !looks_like_jwt(token) {
        return Err(TokenError::RefreshInvalid);
    }
    let hash = TokenHash::of(token);
    let record = kg
        .store()
        .refresh_by_hash(hash)
        .await?
        .ok_or(TokenError::RefreshInvalid)?;
    if record.app_id != client.app_id() {
        return Err(TokenError::RefreshOfAnotherClient);
    }
    let now = kg.clock.now();
    let access_id = AccessId::new_random();
    let expires_at = now + kg.lifetimes.refresh_token;
    let successor = |hash| NewRefreshToken {
        hash,
        access_id,
        authorization_id: record.authorization_id,
        secret_id: client.secret_id(),
        created_at: now,
        expires_at,
    };
    if record.used_at.is_some() {
        // RFC 9700 §4.14.2: someone holds a copy; end the whole chain.
        kg.store()
            .revoke_authorization(
                record.authorization_id,
                now,
                crate::audit::refresh_reused(kg, record.app_id, record.authorization_id),
            )
            .await?;
        tracing::warn!(app.id = %record.app_id, aui = %record.authorization_id, "refresh token reused; authorization revoked");
        return Err(TokenError::RefreshAlreadyUsed);
    }
    if record.revoked_at.is_some() {
        return Err(TokenError::RefreshRevoked);
    }
    if now >= record.expires_at {
        return Err(TokenError::RefreshInvalid);
    }
    if let Some(redirect_uri) = redirect_uri {
        let app = kg
            .data()
            .app(client.app_id())
            .await?
            .ok_or(TokenError::ClientFailedValidation)?;
        if redirect_uri != app.callback_url {
            return Err(TokenError::RedirectUriMismatch);
        }
    }
    let granted = match non_empty(grant.scope) {
        None => record.scopes.clone(),
        Some(raw) => match ScopeSet::parse(raw) {
            Ok(s) if s.is_subset(&record.scopes) => s,
            _ => return Err(TokenError::ScopeInvalid),
        },
    };
    let oidc = record
        .scopes
        .contains(OPENID_SCOPE)
        .then(|| Credentials::oidc_context(token))
        .flatten();
    let refresh = kg.credentials.mint_refresh_token(
        access_id,
        record.user_id,
        &record.scopes,
        now,
        expires_at,
        oidc.as_ref(),
    )?;
    match kg
        .store()
        .rotate_refresh(
            hash,
            successor(refresh.hash),
            now,
            crate::audit::refresh_reused(kg, record.app_id, record.authorization_id),
        )
        .await?
    {
        ConsumeOutcome::Consumed => {}
        ConsumeOutcome::AlreadyUsed => {
            tracing::warn!(app.id = %record.app_id, aui = %record.authorization_id, "refresh token rotated concurrently; authorization revoked");
            return Err(TokenError::RefreshAlreadyUsed);
        }
        ConsumeOutcome::SecretRetired => return Err(TokenError::ClientFailedValidation),
    }
    let access_token = mint_access(
        kg,
        &granted,
        record.user_id,
        record.app_id,
        record.authorization_id,
        now,
    )?;
    tracing::info!(app.id = %record.app_id, user.id = %record.user_id, grant_type = "refresh_token", "tokens issued");
    Ok(IssuedTokens {
        access_token,
        refresh_token: refresh.value,
        expires_in: reported_lifetime(kg),
        scopes: granted,
        user_id: record.user_id,
        app_id: record.app_id,
        authorization_id: record.authorization_id,
        oidc,
    })
}
