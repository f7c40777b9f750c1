//! Who may see and change an app: its owner, or an administrator (an admin token over the
//! registration API, an operator at the command line). Written once for the pages, the
//! registration API and the admin commands.

use super::{register_app, AppError, Registered, Registration};
use crate::context::Keygate;
use crate::ids::{AppId, UserId};
use crate::model::App;

/// Who is managing apps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manager {
    /// A user, managing the apps they own.
    Owner(UserId),
    /// An administrator, managing every app.
    Admin,
}

impl Manager {
    /// Whether this manager may see and change `app`.
    pub fn may_manage(&self, app: &App) -> bool {
        match self {
            Manager::Owner(user) => app.owner_id == *user,
            Manager::Admin => true,
        }
    }

    /// The owner of an app this manager registers, where `named` is the owner the request names
    /// (if any): a user registers only for themselves, an administrator for the existing user
    /// they name.
    async fn owner_of_new_app(
        &self,
        kg: &Keygate,
        named: Option<UserId>,
    ) -> Result<UserId, AppError> {
        match (self, named) {
            (Manager::Owner(me), None) => Ok(*me),
            (Manager::Owner(me), Some(named)) if named == *me => Ok(*me),
            (Manager::Owner(_), Some(_)) => Err(AppError::OwnerNotCaller),
            (Manager::Admin, None) => Err(AppError::OwnerRequired),
            (Manager::Admin, Some(named)) => match kg.data().user(named).await? {
                Some(user) => Ok(user.id),
                None => Err(AppError::NoSuchOwner),
            },
        }
    }

    /// Registers an app owned as [`Manager::owner_of_new_app`] decides.
    pub async fn register_app(
        &self,
        kg: &Keygate,
        named_owner: Option<UserId>,
        registration: &Registration,
    ) -> Result<Registered, AppError> {
        let owner = self.owner_of_new_app(kg, named_owner).await?;
        register_app(kg, owner, registration, None).await
    }
}

/// The app `id`, if it exists and `manager` may manage it. Someone else's app is
/// [`AppError::NotFound`] like a missing one, so its existence is not revealed.
pub async fn managed_app(kg: &Keygate, manager: &Manager, id: AppId) -> Result<App, AppError> {
    match kg.data().app(id).await? {
        Some(app) if manager.may_manage(&app) => Ok(std::sync::Arc::unwrap_or_clone(app)),
        _ => Err(AppError::NotFound),
    }
}

/// The apps `manager` may manage: an owner's own, or every app for an administrator.
pub async fn apps_of(kg: &Keygate, manager: &Manager) -> Result<Vec<App>, AppError> {
    let owner = match manager {
        Manager::Owner(user) => Some(*user),
        Manager::Admin => None,
    };
    Ok(kg.store().list_apps(owner).await?)
}
