//! App registration use cases: register, change, delete, who may manage an app, and its client
//! secrets (protocol §2) and certificates (`private_key_jwt`).

mod certificates;
mod manager;
mod registration;
mod secrets;

use crate::audit::{self, Entry};
use crate::context::Keygate;
use crate::credentials::MintError;
use crate::ids::{AppId, UserId};
use crate::model::{App, AuditKind, ClientKind};
use crate::store::StoreError;

pub use certificates::{
    add_certificate, certificates_of, names_certificate, remove_certificate, CERTIFICATE_FIELD,
};
pub use manager::{apps_of, managed_app, Manager};
pub use registration::{validate_registration, FieldErrors, Registration, ValidRegistration};
use secrets::new_secret;
pub use secrets::{
    create_alternative_secret, holds_secret_in, regenerate_secret, rotate_secret, secrets_of,
};

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
    /// The app already has an alternative secret; replacing it is a rotation.
    #[error("the app already has an alternative secret")]
    AlternativeSecretExists,
    /// A new app's owner is not the calling user (a user registers apps only for themselves).
    #[error("a user may register apps only for themselves")]
    OwnerNotCaller,
    /// An administrator registered an app without naming its owner.
    #[error("an administrator must name the owner of a new app")]
    OwnerRequired,
    /// The named owner of a new app does not exist.
    #[error("the named owner does not exist")]
    NoSuchOwner,
    /// The app holds no certificate with that thumbprint.
    #[error("the app has no certificate with that thumbprint")]
    CertificateNotFound,
    /// Only an administrator may do this (e.g. let an app introspect other apps' tokens).
    #[error("only an administrator may do this")]
    AdminOnly,
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
        may_introspect: false,
        post_logout_redirect_uris: v.post_logout_redirect_uris,
        pairwise_subject: v.pairwise_subject,
    };
    let (secret, value) = new_secret(kg, app.id, owner, secret)?;
    let public = app.kind == ClientKind::Public;
    let event = audit::event(
        kg,
        Entry::new(AuditKind::AppRegistered, format!("app:{}", app.id))
            .app(app.id)
            .detail(format!("scopes={}", app.scopes)),
    );
    let app = kg.store().create_app(app, secret, event).await?;
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
        post_logout_redirect_uris: v.post_logout_redirect_uris,
        pairwise_subject: v.pairwise_subject,
        ..app.clone()
    };
    let event = audit::event(
        kg,
        Entry::new(AuditKind::AppUpdated, format!("app:{}", app.id)).app(app.id),
    );
    let stored = kg.store().update_app(updated, kg.clock.now(), event).await;
    kg.data().forget_app(app.id);
    let updated = stored.map_err(not_found)?;
    Ok(updated)
}
/// Lets `app` introspect tokens minted for other apps (a resource server, RFC 7662 §4), or takes
/// that away. Only an administrator may: an app owner could otherwise read every user's tokens.
pub async fn set_resource_server(
    kg: &Keygate,
    manager: &Manager,
    app: &App,
    allowed: bool,
) -> Result<App, AppError> {
    if *manager != Manager::Admin {
        return Err(AppError::AdminOnly);
    }
    let updated = App {
        may_introspect: allowed,
        ..app.clone()
    };
    let detail = format!("resource_server={}", if allowed { "allow" } else { "deny" });
    let event = audit::event(
        kg,
        Entry::new(AuditKind::AppUpdated, format!("app:{}", app.id))
            .app(app.id)
            .detail(detail),
    );
    let stored = kg.store().update_app(updated, kg.clock.now(), event).await;
    kg.data().forget_app(app.id);
    stored.map_err(not_found)
}

pub(super) fn not_found(e: StoreError) -> AppError {
    match e {
        StoreError::NotFound(_) => AppError::NotFound,
        other => other.into(),
    }
}

/// Deletes an app; its tokens stop working and its App ID is refused from then on.
pub async fn delete_app(kg: &Keygate, app: AppId) -> Result<(), AppError> {
    let event = audit::event(
        kg,
        Entry::new(AuditKind::AppDeleted, format!("app:{app}")).app(app),
    );
    let deleted = kg.store().delete_app(app, kg.clock.now(), event).await;
    kg.data().forget_app(app);
    deleted.map_err(not_found)?;
    tracing::info!(app.id = %app, "app deleted");
    Ok(())
}
