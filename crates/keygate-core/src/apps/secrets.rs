//! An app's client secrets: its two slots (primary and alternative), replacing the secret in a
//! slot, and the rule that creating an alternative secret never replaces one.

use super::{not_found, AppError, FieldErrors};
use crate::audit::{self, Entry};
use crate::context::Keygate;
use crate::credentials::looks_like_jwt;
use crate::ids::{AppId, SecretId, UserId};
use crate::model::{
    App, AuditKind, ClientKind, ClientSecret, NewClientSecret, SecretSlot, SlottedSecret,
};
use crate::secrets::TokenHash;

/// A new secret version for `app`: minted, or (seeding) the `fixed` JWT-shaped string given.
pub(super) fn new_secret(
    kg: &Keygate,
    app: AppId,
    owner: UserId,
    fixed: Option<&str>,
) -> Result<(NewClientSecret, String), AppError> {
    let now = kg.clock.now();
    let secret = ClientSecret {
        id: SecretId::new_random(),
        app_id: app,
        created_at: now,
        expires_at: now + kg.lifetimes.client_secret,
    };
    let (value, hash) = match fixed {
        Some(value) => {
            // The token endpoint refuses a client assertion that is not shaped like a JWT.
            if !looks_like_jwt(value) || value.len() < 64 {
                let mut errors = FieldErrors::new();
                errors.insert(
                    "client_secret",
                    "must be a JWT-shaped client secret (as Keygate prints one)".into(),
                );
                return Err(AppError::Invalid(errors));
            }
            (value.to_owned(), crate::secrets::TokenHash::of(value))
        }
        None => {
            let minted =
                kg.credentials
                    .mint_client_secret(app, secret.id, owner, now, secret.expires_at)?;
            (minted.value, minted.hash)
        }
    };
    Ok((NewClientSecret { secret, hash }, value))
}
/// Replaces an app's primary secret. The old secret stops working at once, and so does every
/// token it minted. Returns the new secret.
pub async fn regenerate_secret(kg: &Keygate, app: &App) -> Result<String, AppError> {
    rotate_secret(kg, app, SecretSlot::Primary, None).await
}

/// Creates or replaces the secret in `slot`; the other slot keeps working, so clients move to
/// the new secret without downtime. The secret that held the slot stops working at once, and so
/// does every authorization whose code it redeemed. `fixed` stores a given JWT-shaped secret
/// (seeding) instead of minting one. Returns the new secret.
pub async fn rotate_secret(
    kg: &Keygate,
    app: &App,
    slot: SecretSlot,
    fixed: Option<&str>,
) -> Result<String, AppError> {
    if app.kind == ClientKind::Public {
        return Err(AppError::NoSecret);
    }
    let (secret, value) = new_secret(kg, app.id, app.owner_id, fixed)?;
    let secret_id = secret.secret.id;
    let event = audit::event(
        kg,
        Entry::new(AuditKind::SecretRegenerated, format!("app:{}", app.id))
            .app(app.id)
            .detail(format!("slot={slot} version={secret_id}")),
    );
    let replaced = kg
        .store()
        .replace_client_secret(app.id, slot, secret, kg.clock.now(), event)
        .await;
    // Other nodes learn it from the change feed; this one must not wait for it.
    kg.data().forget_app(app.id);
    let revoked = replaced.map_err(not_found)?;
    tracing::info!(app.id = %app.id, slot = %slot, revoked, "client secret regenerated");
    Ok(value)
}

/// The app's secret versions (never the secrets), primary first.
pub async fn secrets_of(kg: &Keygate, app: AppId) -> Result<Vec<SlottedSecret>, AppError> {
    Ok(kg.store().client_secrets_of_app(app).await?)
}

/// Creates the alternative secret of `app` and returns it. An alternative secret is created once:
/// when the app already has one this refuses ([`AppError::AlternativeSecretExists`]) rather than
/// replace it, since replacing is a rotation, which ends the tokens the old one minted and is
/// asked for as such ([`rotate_secret`]).
pub async fn create_alternative_secret(kg: &Keygate, app: &App) -> Result<String, AppError> {
    let held = secrets_of(kg, app.id).await?;
    if held.iter().any(|s| s.slot == SecretSlot::Alternative) {
        return Err(AppError::AlternativeSecretExists);
    }
    rotate_secret(kg, app, SecretSlot::Alternative, None).await
}

/// Whether `secret` is the unexpired secret held in `slot` of `app` (seeding puts a fixed secret
/// back in its slot only when it is not).
pub async fn holds_secret_in(
    kg: &Keygate,
    app: &App,
    slot: SecretSlot,
    secret: &str,
) -> Result<bool, AppError> {
    let held = secrets_of(kg, app.id).await?;
    let stored = kg.data().client_secret(TokenHash::of(secret)).await?;
    let now = kg.clock.now();
    Ok(stored.is_some_and(|s| {
        s.app_id == app.id
            && s.expires_at > now
            && held.iter().any(|h| h.slot == slot && h.secret.id == s.id)
    }))
}
