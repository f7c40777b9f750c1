//! App registration use cases: register, regenerate the secret, delete (protocol §2).

use std::collections::BTreeMap;

use crate::audit::{self, Entry};
use crate::context::Keygate;
use crate::credentials::{looks_like_jwt, MintError};
use crate::ids::{AppId, SecretId, UserId};
use crate::model::{
    App, AuditKind, ClientKind, ClientSecret, NewClientSecret, SecretSlot, SlottedSecret,
};
use crate::oauth::redirect::validate_callback;
use crate::scopes::{catalogue, ScopeSet};
use crate::store::StoreError;
use crate::validate;

/// What the registration form (or CLI) submits, as typed.
#[derive(Debug, Clone, Default)]
pub struct Registration {
    /// Company name (required, <= 128).
    pub company_name: String,
    /// Company website (optional URL).
    pub company_website: String,
    /// Terms of service URL (optional).
    pub terms_url: String,
    /// Privacy statement URL (optional).
    pub privacy_url: String,
    /// Application name (required, <= 128).
    pub name: String,
    /// Description (optional, <= 1024).
    pub description: String,
    /// Logo URL (optional, https).
    pub logo_url: String,
    /// Application website (required URL).
    pub website: String,
    /// Authorization callback URL (required, https).
    pub callback_url: String,
    /// Scopes, space separated.
    pub scopes: String,
    /// Confidential (with a secret) or public.
    pub kind: Option<ClientKind>,
}

impl Registration {
    /// Whether the app registers as a public client (for re-rendering the form).
    pub fn is_public(&self) -> bool {
        self.kind == Some(ClientKind::Public)
    }
}

/// Field name -> what is wrong with it, for re-rendering the form.
pub type FieldErrors = BTreeMap<&'static str, String>;

/// Why an app operation failed.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The registration has invalid fields.
    #[error("the registration is invalid: {}", summary(.0))]
    Invalid(FieldErrors),
    /// No such app.
    #[error("no app with that App ID")]
    NotFound,
    /// Public apps have no secret to regenerate.
    #[error("public apps have no client secret")]
    NoSecret,
    /// Signing failed.
    #[error(transparent)]
    Mint(#[from] MintError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn summary(errors: &FieldErrors) -> String {
    errors
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// A registered app with its secret, which is shown once and never again.
#[derive(Debug)]
pub struct Registered {
    /// The app.
    pub app: App,
    /// The client secret (`None` for public apps).
    pub client_secret: Option<String>,
}

/// Checks every field, collecting all errors at once.
pub fn validate_registration(
    reg: &Registration,
    allow_http_callbacks: bool,
) -> Result<ValidRegistration, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut take = |field: &'static str, r: Result<String, String>| match r {
        Ok(v) => v,
        Err(e) => {
            errors.insert(field, e);
            String::new()
        }
    };
    let valid = ValidRegistration {
        company_name: take(
            "company_name",
            validate::required_text(&reg.company_name, 128),
        ),
        company_website: take(
            "company_website",
            validate::web_url(&reg.company_website, true, true),
        ),
        terms_url: take("terms_url", validate::web_url(&reg.terms_url, true, true)),
        privacy_url: take(
            "privacy_url",
            validate::web_url(&reg.privacy_url, true, true),
        ),
        name: take("name", validate::required_text(&reg.name, 128)),
        description: take(
            "description",
            validate::optional_text(&reg.description, 1024),
        ),
        logo_url: take("logo_url", validate::web_url(&reg.logo_url, true, false)),
        website: take("website", validate::web_url(&reg.website, false, true)),
        callback_url: take(
            "callback_url",
            validate_callback(
                &reg.callback_url,
                reg.kind.unwrap_or(ClientKind::Confidential),
                allow_http_callbacks,
            ),
        ),
        scopes: ScopeSet::default(),
        kind: reg.kind.unwrap_or(ClientKind::Confidential),
    };
    let scopes = match ScopeSet::parse(&reg.scopes) {
        Ok(s) => {
            let not_offered: Vec<&str> = s
                .iter()
                .filter(|x| {
                    catalogue()
                        .get(x)
                        .is_none_or(|info| !info.offered_at_registration())
                })
                .collect();
            if not_offered.is_empty() {
                s
            } else {
                errors.insert(
                    "scopes",
                    format!("cannot be requested by apps: {}", not_offered.join(" ")),
                );
                ScopeSet::default()
            }
        }
        Err(e) => {
            errors.insert("scopes", e.to_string());
            ScopeSet::default()
        }
    };
    if errors.is_empty() {
        Ok(ValidRegistration { scopes, ..valid })
    } else {
        Err(errors)
    }
}

/// A registration whose every field passed validation.
#[derive(Debug, Clone)]
pub struct ValidRegistration {
    company_name: String,
    company_website: String,
    terms_url: String,
    privacy_url: String,
    name: String,
    description: String,
    logo_url: String,
    website: String,
    callback_url: String,
    scopes: ScopeSet,
    kind: ClientKind,
}

/// A new secret version for `app`: minted, or (seeding) the `fixed` JWT-shaped string given.
fn new_secret(
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

/// Registers an app for `owner`; `id` fixes the App ID (seeding), otherwise a random one is made.
pub async fn register_app(
    kg: &Keygate,
    owner: UserId,
    reg: &Registration,
    id: Option<AppId>,
) -> Result<Registered, AppError> {
    register_app_with_secret(kg, owner, reg, id, None).await
}

/// As [`register_app`], with the primary secret fixed to `secret` when given (seeding: a test
/// suite keeps stable credentials). A fixed secret must be JWT-shaped, as the token endpoint
/// requires of a client assertion.
pub async fn register_app_with_secret(
    kg: &Keygate,
    owner: UserId,
    reg: &Registration,
    id: Option<AppId>,
    secret: Option<&str>,
) -> Result<Registered, AppError> {
    let v =
        validate_registration(reg, kg.policy.allow_http_callbacks).map_err(AppError::Invalid)?;
    let app = App {
        id: id.unwrap_or_else(AppId::new_random),
        owner_id: owner,
        name: v.name,
        company_name: v.company_name,
        description: v.description,
        website: v.website,
        company_website: v.company_website,
        terms_url: v.terms_url,
        privacy_url: v.privacy_url,
        logo_url: v.logo_url,
        callback_url: v.callback_url,
        scopes: v.scopes,
        kind: v.kind,
        created_at: kg.clock.now(),
    };
    let (secret, value) = new_secret(kg, app.id, owner, secret)?;
    let public = app.kind == ClientKind::Public;
    let app = kg.store.create_app(app, secret).await?;
    audit::record(
        kg,
        Entry::new(AuditKind::AppRegistered, format!("app:{}", app.id))
            .app(app.id)
            .detail(format!("scopes={}", app.scopes)),
    )
    .await;
    Ok(Registered {
        app,
        client_secret: (!public).then_some(value),
    })
}

/// Changes an app's registration details. Scopes cannot change after creation (protocol §2):
/// a registration whose scopes differ is refused.
pub async fn update_app(kg: &Keygate, app: &App, reg: &Registration) -> Result<App, AppError> {
    let v =
        validate_registration(reg, kg.policy.allow_http_callbacks).map_err(AppError::Invalid)?;
    if v.scopes != app.scopes {
        let mut errors = FieldErrors::new();
        errors.insert(
            "scopes",
            "cannot be changed after registration; register a new app instead".into(),
        );
        return Err(AppError::Invalid(errors));
    }
    let updated = App {
        name: v.name,
        company_name: v.company_name,
        description: v.description,
        website: v.website,
        company_website: v.company_website,
        terms_url: v.terms_url,
        privacy_url: v.privacy_url,
        logo_url: v.logo_url,
        callback_url: v.callback_url,
        ..app.clone()
    };
    let stored = kg.store.update_app(updated, kg.clock.now()).await;
    kg.clients.forget_app(app.id);
    let updated = stored.map_err(not_found)?;
    audit::record(
        kg,
        Entry::new(AuditKind::AppUpdated, format!("app:{}", app.id)).app(app.id),
    )
    .await;
    Ok(updated)
}

fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound(_) => AppError::NotFound,
        other => other.into(),
    }
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
    let replaced = kg
        .store
        .replace_client_secret(app.id, slot, secret, kg.clock.now())
        .await;
    // Other nodes learn it from the change feed; this one must not wait for it.
    kg.clients.forget_app(app.id);
    let revoked = replaced.map_err(not_found)?;
    tracing::info!(app.id = %app.id, slot = %slot, revoked, "client secret regenerated");
    audit::record(
        kg,
        Entry::new(AuditKind::SecretRegenerated, format!("app:{}", app.id))
            .app(app.id)
            .detail(format!(
                "slot={slot} version={secret_id} revoked_authorizations={revoked}"
            )),
    )
    .await;
    Ok(value)
}

/// The app's secret versions (never the secrets), primary first.
pub async fn secrets_of(kg: &Keygate, app: AppId) -> Result<Vec<SlottedSecret>, AppError> {
    Ok(kg.store.client_secrets_of_app(app).await?)
}

/// Deletes an app; its tokens stop working and its App ID is refused from then on.
pub async fn delete_app(kg: &Keygate, app: AppId) -> Result<(), AppError> {
    let deleted = kg.store.delete_app(app, kg.clock.now()).await;
    kg.clients.forget_app(app);
    deleted.map_err(not_found)?;
    tracing::info!(app.id = %app, "app deleted");
    audit::record(
        kg,
        Entry::new(AuditKind::AppDeleted, format!("app:{app}")).app(app),
    )
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Registration {
        Registration {
            company_name: "Fabrikam".into(),
            name: "Fiber app".into(),
            website: "https://fabrikam.example".into(),
            callback_url: "https://localhost:5001/oauth/callback".into(),
            scopes: "vso.work vso.code".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_registration_passes() {
        assert!(validate_registration(&good(), false).is_ok());
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let reg = Registration {
            company_name: "x".repeat(129),
            callback_url: "http://app.example/cb".into(),
            scopes: "".into(),
            ..good()
        };
        let errors = validate_registration(&reg, false).unwrap_err();
        assert!(errors.contains_key("company_name"));
        assert!(errors.contains_key("callback_url"));
        assert!(errors.contains_key("scopes"));
    }

    #[test]
    fn internal_scopes_cannot_be_registered() {
        let reg = Registration {
            scopes: "vso.base".into(),
            ..good()
        };
        assert!(validate_registration(&reg, false)
            .unwrap_err()
            .contains_key("scopes"));
    }
}
