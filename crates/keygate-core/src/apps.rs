//! App registration use cases: register, regenerate the secret, delete (protocol §2).

use std::collections::BTreeMap;

use crate::context::Keygate;
use crate::credentials::MintError;
use crate::ids::{AppId, SecretId, UserId};
use crate::model::{App, ClientKind, ClientSecret, NewClientSecret};
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

fn new_secret(
    kg: &Keygate,
    app: AppId,
    owner: UserId,
) -> Result<(NewClientSecret, String), MintError> {
    let now = kg.clock.now();
    let secret = ClientSecret {
        id: SecretId::new_random(),
        app_id: app,
        created_at: now,
        expires_at: now + kg.lifetimes.client_secret,
    };
    let minted =
        kg.credentials
            .mint_client_secret(app, secret.id, owner, now, secret.expires_at)?;
    Ok((
        NewClientSecret {
            secret,
            hash: minted.hash,
        },
        minted.value,
    ))
}

/// Registers an app for `owner`; `id` fixes the App ID (seeding), otherwise a random one is made.
pub async fn register_app(
    kg: &Keygate,
    owner: UserId,
    reg: &Registration,
    id: Option<AppId>,
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
    let (secret, value) = new_secret(kg, app.id, owner)?;
    let public = app.kind == ClientKind::Public;
    let app = kg.store.create_app(app, secret).await?;
    Ok(Registered {
        app,
        client_secret: (!public).then_some(value),
    })
}

/// Replaces an app's secret. The old secret stops working at once, and so does every token it
/// minted. Returns the new secret.
pub async fn regenerate_secret(kg: &Keygate, app: &App) -> Result<String, AppError> {
    if app.kind == ClientKind::Public {
        return Err(AppError::NoSecret);
    }
    let (secret, value) = new_secret(kg, app.id, app.owner_id)?;
    let revoked = kg
        .store
        .replace_client_secret(app.id, secret, kg.clock.now())
        .await?;
    tracing::info!(app.id = %app.id, revoked, "client secret regenerated");
    Ok(value)
}

/// Deletes an app; its tokens stop working and its App ID is refused from then on.
pub async fn delete_app(kg: &Keygate, app: AppId) -> Result<(), AppError> {
    kg.store
        .delete_app(app, kg.clock.now())
        .await
        .map_err(|e| match e {
            StoreError::NotFound(_) => AppError::NotFound,
            other => other.into(),
        })?;
    tracing::info!(app.id = %app, "app deleted");
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
