//! Users, failed sign-ins, sessions, organizations with their members, projects and their
//! repositories.

use keygate_core::dump::{DumpedSession, DumpedUser, OrgApp, OrgMember, SignInFailure};
use keygate_core::model::{NewSession, NewUser, Org, Project, Repository, User, UserCredentials};
use keygate_core::StoreError;

use super::{hash, id};
use crate::table::table;

table! {
    /// A user with their password hash.
    pub struct UserRow in "users" by "id", columns user_columns {
        id: String,
        email: String,
        display_name: String,
        public_alias: String,
        password_hash: String,
        created_at: i64,
    }
}

impl From<NewUser> for UserRow {
    fn from(u: NewUser) -> Self {
        UserRow {
            id: u.id.to_string(),
            email: u.email,
            display_name: u.display_name,
            public_alias: u.public_alias,
            password_hash: u.password_hash,
            created_at: u.created_at,
        }
    }
}

impl TryFrom<UserRow> for UserCredentials {
    type Error = StoreError;

    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(UserCredentials {
            user: User {
                id: id(&r.id, "users.id")?,
                email: r.email,
                display_name: r.display_name,
                public_alias: r.public_alias,
                created_at: r.created_at,
            },
            password_hash: r.password_hash,
        })
    }
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        UserCredentials::try_from(r).map(|c| c.user)
    }
}

impl TryFrom<UserRow> for DumpedUser {
    type Error = StoreError;

    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        let c = UserCredentials::try_from(r)?;
        Ok(DumpedUser {
            user: c.user,
            password_hash: c.password_hash,
        })
    }
}

impl From<DumpedUser> for UserRow {
    fn from(d: DumpedUser) -> Self {
        let u = d.user;
        UserRow::from(NewUser {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            public_alias: u.public_alias,
            password_hash: d.password_hash,
            created_at: u.created_at,
        })
    }
}

table! {
    /// One failed sign-in.
    pub struct SignInFailureRow in "sign_in_failures" by "email, at",
        columns sign_in_failure_columns {
        email: String,
        at: i64,
        address: Option<String>,
    }
}

impl From<SignInFailureRow> for SignInFailure {
    fn from(r: SignInFailureRow) -> Self {
        SignInFailure {
            email: r.email,
            at: r.at,
            address: r.address,
        }
    }
}

impl From<SignInFailure> for SignInFailureRow {
    fn from(f: SignInFailure) -> Self {
        SignInFailureRow {
            email: f.email,
            at: f.at,
            address: f.address,
        }
    }
}

table! {
    /// A browser session, by the hash of its cookie value.
    pub struct SessionRow in "sessions" by "hash", columns session_columns {
        hash: Vec<u8>,
        user_id: String,
        created_at: i64,
        expires_at: i64,
    }
}

impl From<NewSession> for SessionRow {
    fn from(s: NewSession) -> Self {
        SessionRow {
            hash: s.hash.as_bytes().to_vec(),
            user_id: s.user_id.to_string(),
            created_at: s.created_at,
            expires_at: s.expires_at,
        }
    }
}

impl TryFrom<SessionRow> for DumpedSession {
    type Error = StoreError;

    fn try_from(r: SessionRow) -> Result<Self, StoreError> {
        Ok(DumpedSession {
            hash: hash(&r.hash, "sessions.hash")?,
            user_id: id(&r.user_id, "sessions.user_id")?,
            created_at: r.created_at,
            expires_at: r.expires_at,
        })
    }
}

impl From<DumpedSession> for SessionRow {
    fn from(s: DumpedSession) -> Self {
        SessionRow::from(NewSession {
            hash: s.hash,
            user_id: s.user_id,
            created_at: s.created_at,
            expires_at: s.expires_at,
        })
    }
}

table! {
    /// An organization.
    pub struct OrgRow in "orgs" by "id", columns org_columns {
        id: String,
        name: String,
        owner_id: String,
        third_party_oauth_allowed: bool,
        created_at: i64,
    }
}

impl TryFrom<OrgRow> for Org {
    type Error = StoreError;

    fn try_from(r: OrgRow) -> Result<Self, StoreError> {
        Ok(Org {
            id: id(&r.id, "orgs.id")?,
            name: r.name,
            owner_id: id(&r.owner_id, "orgs.owner_id")?,
            third_party_oauth_allowed: r.third_party_oauth_allowed,
            created_at: r.created_at,
        })
    }
}

impl From<Org> for OrgRow {
    fn from(o: Org) -> Self {
        OrgRow {
            id: o.id.to_string(),
            name: o.name,
            owner_id: o.owner_id.to_string(),
            third_party_oauth_allowed: o.third_party_oauth_allowed,
            created_at: o.created_at,
        }
    }
}

table! {
    /// A user's membership in an organization.
    pub struct OrgMemberRow in "org_members" by "org_id, user_id", columns org_member_columns {
        org_id: String,
        user_id: String,
    }
}

impl TryFrom<OrgMemberRow> for OrgMember {
    type Error = StoreError;

    fn try_from(r: OrgMemberRow) -> Result<Self, StoreError> {
        Ok(OrgMember {
            org_id: id(&r.org_id, "org_members.org_id")?,
            user_id: id(&r.user_id, "org_members.user_id")?,
        })
    }
}

impl From<OrgMember> for OrgMemberRow {
    fn from(m: OrgMember) -> Self {
        OrgMemberRow {
            org_id: m.org_id.to_string(),
            user_id: m.user_id.to_string(),
        }
    }
}

table! {
    /// A project of an organization.
    pub struct ProjectRow in "projects" by "id", columns project_columns {
        id: String,
        org_id: String,
        name: String,
        description: String,
        created_at: i64,
    }
}

impl TryFrom<ProjectRow> for Project {
    type Error = StoreError;

    fn try_from(r: ProjectRow) -> Result<Self, StoreError> {
        Ok(Project {
            id: id(&r.id, "projects.id")?,
            org_id: id(&r.org_id, "projects.org_id")?,
            name: r.name,
            description: r.description,
            created_at: r.created_at,
        })
    }
}

impl From<Project> for ProjectRow {
    fn from(p: Project) -> Self {
        ProjectRow {
            id: p.id.to_string(),
            org_id: p.org_id.to_string(),
            name: p.name,
            description: p.description,
            created_at: p.created_at,
        }
    }
}

table! {
    /// A project's git repository.
    pub struct RepositoryRow in "repositories" by "id", columns repository_columns {
        id: String,
        project_id: String,
        name: String,
        default_branch: String,
    }
}

impl TryFrom<RepositoryRow> for Repository {
    type Error = StoreError;

    fn try_from(r: RepositoryRow) -> Result<Self, StoreError> {
        Ok(Repository {
            id: id(&r.id, "repositories.id")?,
            project_id: id(&r.project_id, "repositories.project_id")?,
            name: r.name,
            default_branch: r.default_branch,
        })
    }
}

impl From<Repository> for RepositoryRow {
    fn from(r: Repository) -> Self {
        RepositoryRow {
            id: r.id.to_string(),
            project_id: r.project_id.to_string(),
            name: r.name,
            default_branch: r.default_branch,
        }
    }
}

table! {
    /// An app's membership in an organization.
    pub struct OrgAppRow in "org_apps" by "org_id, app_id", columns org_app_columns {
        org_id: String,
        app_id: String,
    }
}

impl TryFrom<OrgAppRow> for OrgApp {
    type Error = StoreError;

    fn try_from(r: OrgAppRow) -> Result<Self, StoreError> {
        Ok(OrgApp {
            org_id: id(&r.org_id, "org_apps.org_id")?,
            app_id: id(&r.app_id, "org_apps.app_id")?,
        })
    }
}

impl From<OrgApp> for OrgAppRow {
    fn from(m: OrgApp) -> Self {
        OrgAppRow {
            org_id: m.org_id.to_string(),
            app_id: m.app_id.to_string(),
        }
    }
}
