//! `keygate serve --seed seed.toml`: users, organizations, projects and apps with fixed App IDs
//! and client secrets, created at start so another project's test suite has stable credentials.
//!
//! Seeding is idempotent: what already exists (a user by email, an organization or project by
//! name, an app by App ID) is left as it is, except that an app's seeded secrets are put back in
//! their slots if they were changed.

use std::path::Path;

use anyhow::Context;
use keygate_core::accounts::{self, AccountError};
use keygate_core::apps::{self, AppError, Manager, Registration};
use keygate_core::ids::AppId;
use keygate_core::model::{ClientKind, SecretSlot};
use keygate_core::Keygate;
use serde::Deserialize;

/// The seed file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeedFile {
    /// `[[users]]`.
    #[serde(default)]
    pub users: Vec<SeedUser>,
    /// `[[organizations]]`.
    #[serde(default)]
    pub organizations: Vec<SeedOrg>,
    /// `[[projects]]`.
    #[serde(default)]
    pub projects: Vec<SeedProject>,
    /// `[[apps]]`.
    #[serde(default)]
    pub apps: Vec<SeedApp>,
}

/// A user.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeedUser {
    /// Email (unique).
    pub email: String,
    /// Display name; the email when absent.
    pub name: Option<String>,
    /// Password (at least 8 characters).
    pub password: String,
}

/// An organization.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeedOrg {
    /// Name.
    pub name: String,
    /// The owner's email.
    pub owner: String,
    /// Other members' emails.
    #[serde(default)]
    pub members: Vec<String>,
    /// Third-party OAuth access; allowed when absent.
    pub third_party_oauth: Option<bool>,
}

/// A project (with its default git repository).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeedProject {
    /// The organization's name.
    pub organization: String,
    /// Name.
    pub name: String,
    /// Description.
    #[serde(default)]
    pub description: String,
}

/// An app with a fixed App ID and, for a confidential app, fixed secrets.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SeedApp {
    /// The App ID (a GUID).
    pub id: String,
    /// The owner's email.
    pub owner: String,
    /// Application name.
    pub name: String,
    /// Company name.
    pub company: String,
    /// Application website.
    pub website: String,
    /// Authorization callback URL.
    pub callback_url: String,
    /// Scopes, space separated.
    pub scopes: String,
    /// Description.
    #[serde(default)]
    pub description: String,
    /// `confidential` (the default) or `public`.
    pub client_type: Option<String>,
    /// The primary client secret: a JWT-shaped string, as Keygate prints one. Minted (and
    /// printed) when absent.
    pub client_secret: Option<String>,
    /// An alternative client secret to hold as well.
    pub alternative_secret: Option<String>,
}

/// What seeding did.
#[derive(Debug, Default)]
pub(crate) struct Seeded {
    /// Every seeded user's lower-case email (existing or new).
    pub emails: Vec<String>,
    /// How many records were created.
    pub created: usize,
    /// Secrets minted for apps the file gave none: (App ID, secret), to print once.
    pub minted_secrets: Vec<(String, String)>,
}

/// Reads a seed file.
pub(crate) fn load(path: &Path) -> anyhow::Result<SeedFile> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("could not read seed file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("invalid seed file {}", path.display()))
}

/// Treats "already exists" as done.
fn created<T>(result: Result<T, AccountError>) -> anyhow::Result<bool> {
    match result {
        Ok(_) => Ok(true),
        Err(AccountError::Duplicate(_)) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Creates what `file` describes and is missing.
pub(crate) async fn apply(kg: &Keygate, file: &SeedFile) -> anyhow::Result<Seeded> {
    let (data, clock) = (kg.data(), kg.clock.as_ref());
    let mut seeded = Seeded::default();
    for u in &file.users {
        let name = u.name.clone().unwrap_or_else(|| u.email.clone());
        let made = accounts::create_user(data, clock, &u.email, &name, &u.password).await;
        seeded.created +=
            usize::from(created(made).with_context(|| format!("seeding user {}", u.email))?);
        seeded.emails.push(u.email.trim().to_ascii_lowercase());
    }
    for o in &file.organizations {
        let made = accounts::create_org(data, clock, &o.name, &o.owner).await;
        seeded.created +=
            usize::from(created(made).with_context(|| format!("seeding organization {}", o.name))?);
        for member in &o.members {
            let added = accounts::add_org_member(data, &o.name, member).await;
            created(added).with_context(|| format!("adding {member} to {}", o.name))?;
        }
        if let Some(allowed) = o.third_party_oauth {
            let org = accounts::require_org(data, &o.name).await?;
            if org.third_party_oauth_allowed != allowed {
                accounts::set_org_oauth_policy(kg, &org, allowed).await?;
            }
        }
    }
    for p in &file.projects {
        let made =
            accounts::create_project(data, clock, &p.organization, &p.name, &p.description).await;
        seeded.created += usize::from(
            created(made)
                .with_context(|| format!("seeding project {}/{}", p.organization, p.name))?,
        );
    }
    for a in &file.apps {
        seed_app(kg, a, &mut seeded)
            .await
            .with_context(|| format!("seeding app {} ({})", a.id, a.name))?;
    }
    Ok(seeded)
}

async fn seed_app(kg: &Keygate, a: &SeedApp, seeded: &mut Seeded) -> anyhow::Result<()> {
    let id: AppId =
        a.id.parse()
            .map_err(|_| anyhow::anyhow!("id {} is not a GUID", a.id))?;
    let owner = accounts::find_user(kg.data(), &a.owner)
        .await?
        .with_context(|| format!("no user with email {}", a.owner))?;
    let kind = match a.client_type.as_deref() {
        None | Some("confidential") => ClientKind::Confidential,
        Some("public") => ClientKind::Public,
        Some(other) => anyhow::bail!("client_type {other} is neither confidential nor public"),
    };
    let app = match apps::managed_app(kg, &Manager::Admin, id).await {
        Ok(app) => app,
        Err(AppError::NotFound) => {
            let registration = Registration {
                company_name: a.company.clone(),
                name: a.name.clone(),
                description: a.description.clone(),
                website: a.website.clone(),
                callback_url: a.callback_url.clone(),
                scopes: a.scopes.clone(),
                kind: Some(kind),
                ..Default::default()
            };
            let secret = a.client_secret.as_deref();
            let registered =
                apps::register_app_with_secret(kg, owner.id, &registration, Some(id), secret)
                    .await?;
            seeded.created += 1;
            if let (None, Some(minted)) = (secret, registered.client_secret) {
                seeded.minted_secrets.push((id.to_upper(), minted));
            }
            registered.app
        }
        Err(e) => return Err(e.into()),
    };
    if app.kind == ClientKind::Public {
        return Ok(());
    }
    for (slot, wanted) in [
        (SecretSlot::Primary, a.client_secret.as_deref()),
        (SecretSlot::Alternative, a.alternative_secret.as_deref()),
    ] {
        let Some(wanted) = wanted else { continue };
        if !apps::holds_secret_in(kg, &app, slot, wanted).await? {
            apps::rotate_secret(kg, &app, slot, Some(wanted)).await?;
        }
    }
    Ok(())
}
