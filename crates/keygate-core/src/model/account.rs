//! Users, sessions, organizations and projects.

use crate::clock::UnixTime;
use crate::ids::{OrgId, ProjectId, RepositoryId, UserId};
use crate::secrets::TokenHash;

/// A person who signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// The user's GUID (`nameid`).
    pub id: UserId,
    /// Lower-case email, unique.
    pub email: String,
    /// The name shown on pages and in the profile API.
    pub display_name: String,
    /// The public alias of the profile API.
    pub public_alias: String,
    /// When the account was made.
    pub created_at: UnixTime,
}

/// A user with the password hash, only for sign-in.
#[derive(Debug, Clone)]
pub struct UserCredentials {
    /// The user.
    pub user: User,
    /// Argon2id PHC string.
    pub password_hash: String,
}

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// The new id.
    pub id: UserId,
    /// Lower-case, validated email.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Public alias.
    pub public_alias: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Creation time.
    pub created_at: UnixTime,
}

/// A browser session to create; only the hash of its cookie value is stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// SHA-256 of the cookie value.
    pub hash: TokenHash,
    /// Who signed in.
    pub user_id: UserId,
    /// When.
    pub created_at: UnixTime,
    /// When it stops working.
    pub expires_at: UnixTime,
}

/// An organization (the `{org}` of REST URLs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Org {
    /// Its id.
    pub id: OrgId,
    /// Its name as typed at creation; compared case-insensitively.
    pub name: String,
    /// The owner, who may change its policies.
    pub owner_id: UserId,
    /// Whether third-party apps may call its APIs with OAuth tokens.
    pub third_party_oauth_allowed: bool,
    /// Creation time.
    pub created_at: UnixTime,
}

/// A project inside an organization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    /// Its id.
    pub id: ProjectId,
    /// The organization it belongs to.
    pub org_id: OrgId,
    /// Its name, unique in the organization (case-insensitively).
    pub name: String,
    /// Free text.
    pub description: String,
    /// Creation time.
    pub created_at: UnixTime,
}

/// A project to create, with the default repository made beside it.
#[derive(Debug, Clone)]
pub struct NewProject {
    /// The project.
    pub project: Project,
    /// The id of its default git repository (named after the project).
    pub repository_id: RepositoryId,
}

/// A git repository of a project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repository {
    /// Its id.
    pub id: RepositoryId,
    /// The project it belongs to.
    pub project_id: ProjectId,
    /// Its name.
    pub name: String,
    /// The default branch ref.
    pub default_branch: String,
}

/// Recent failed sign-ins, counted three ways for throttling (see `crate::sign_in_throttle`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignInFailures {
    /// Failures for the account (the email typed), from any address.
    pub account: u32,
    /// Failures from the address, for any account.
    pub address: u32,
    /// Failures for the account from the address.
    pub pair: u32,
}
