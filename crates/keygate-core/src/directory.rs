//! Who belongs where: the user a token names, the organizations a user belongs to or owns, and
//! the proof of membership the project data asks for ([`OrgAccess`], [`ProjectAccess`]).
//!
//! The bearer-protected API and the organization pages ask here, so each rule is written once:
//! a member may read an organization's projects, only the owner may change its policy.

use crate::context::Keygate;
use crate::ids::UserId;
use crate::model::{Org, Project, User};
use crate::store::StoreError;

/// Why a token's user may not open an organization's resource.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The user no longer exists, the organization does not exist, or the user is not one of its
    /// members: one answer for all three, so a token cannot probe which organizations exist.
    #[error("user {0} may not access this resource")]
    Refused(UserId),
    /// The organization has no project by this name (only members learn this).
    #[error("no project named {0}")]
    NoSuchProject(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Why a user may not manage an organization.
#[derive(Debug, thiserror::Error)]
pub enum OwnedOrgError {
    /// No organization by that name.
    #[error("no organization by that name")]
    NotFound,
    /// The organization belongs to someone else.
    #[error("the organization belongs to someone else")]
    NotOwner,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Proof that a user belongs to an organization: only [`member_org`] makes one.
#[derive(Debug, Clone)]
pub struct OrgAccess {
    user: UserId,
    org: Org,
}

impl OrgAccess {
    /// The member.
    pub fn user(&self) -> UserId {
        self.user
    }

    /// The organization.
    pub fn org(&self) -> &Org {
        &self.org
    }
}

/// Proof that a user belongs to the organization of a project: only [`member_project`] makes
/// one.
#[derive(Debug, Clone)]
pub struct ProjectAccess {
    access: OrgAccess,
    project: Project,
}

impl ProjectAccess {
    /// The member.
    pub fn user(&self) -> UserId {
        self.access.user
    }

    /// The organization.
    pub fn org(&self) -> &Org {
        &self.access.org
    }

    /// The project.
    pub fn project(&self) -> &Project {
        &self.project
    }
}

/// The user a token names, from the user cache; a user who no longer exists is refused.
pub async fn token_user(kg: &Keygate, id: UserId) -> Result<User, AccessError> {
    kg.data().user(id).await?.ok_or(AccessError::Refused(id))
}

/// The organization `org_name`, if `user` is one of its members. An app-only token names its
/// app as the user; it is a member when the app was added to the organization.
pub async fn member_org(
    kg: &Keygate,
    user: UserId,
    org_name: &str,
) -> Result<OrgAccess, AccessError> {
    let Some(org) = kg.store().org_by_name(org_name).await? else {
        return Err(AccessError::Refused(user));
    };
    let member = kg.store().is_org_member(org.id, user).await?
        || kg
            .store()
            .is_org_app(org.id, crate::ids::AppId(user.0))
            .await?;
    if member {
        Ok(OrgAccess { user, org })
    } else {
        Err(AccessError::Refused(user))
    }
}

/// The project `project_name` (its name, or its id as the REST API's links carry it) of the
/// organization `org_name`, if `user` is one of its members.
pub async fn member_project(
    kg: &Keygate,
    user: UserId,
    org_name: &str,
    project_name: &str,
) -> Result<ProjectAccess, AccessError> {
    let access = member_org(kg, user, org_name).await?;
    project_of(kg, access, project_name).await
}

/// The project `project` (name or id) of an organization the member may already open.
pub async fn project_of(
    kg: &Keygate,
    access: OrgAccess,
    project: &str,
) -> Result<ProjectAccess, AccessError> {
    let mut found = kg.store().project_by_name(access.org.id, project).await?;
    if found.is_none() {
        if let Ok(id) = project.parse::<crate::ids::ProjectId>() {
            found = kg
                .store()
                .projects_of_org(access.org.id)
                .await?
                .into_iter()
                .find(|p| p.id == id);
        }
    }
    let project = found.ok_or_else(|| AccessError::NoSuchProject(project.to_owned()))?;
    Ok(ProjectAccess { access, project })
}

/// The name of the organization whose id is `id` (the `hostId` the resource-area lookup takes);
/// `None` for an unknown or malformed id. Organization names are public in URLs, so this needs
/// no token, as on the hosted service.
pub async fn org_name_by_id(kg: &Keygate, id: &str) -> Result<Option<String>, StoreError> {
    let Ok(id) = id.parse() else {
        return Ok(None);
    };
    Ok(kg.store().org_by_id(id).await?.map(|o| o.name))
}

/// The organization `name`, if `user` owns it (to change its policy or read its audit log).
pub async fn owned_org(kg: &Keygate, user: UserId, name: &str) -> Result<Org, OwnedOrgError> {
    match kg.store().org_by_name(name).await? {
        Some(org) if org.owner_id == user => Ok(org),
        Some(_) => Err(OwnedOrgError::NotOwner),
        None => Err(OwnedOrgError::NotFound),
    }
}

/// The organizations `user` belongs to, when `member` (the `memberId` a request names, if any)
/// is the user themselves (`me` or their id); nothing otherwise, so one user cannot list
/// another's organizations.
pub async fn organizations_of(
    kg: &Keygate,
    user: &User,
    member: Option<&str>,
) -> Result<Vec<Org>, StoreError> {
    let is_self = member.is_none_or(|m| m.eq_ignore_ascii_case("me") || m.parse() == Ok(user.id));
    if !is_self {
        return Ok(Vec::new());
    }
    kg.store().orgs_of_user(user.id).await
}
