//! Organizations, their members, and their third-party OAuth policy.
//!
//! Names compare case-insensitively: SQLite's `orgs.name` is `COLLATE NOCASE`, so `=` and
//! `ORDER BY name` fold case and use its index; PostgreSQL's unique index is on `lower(name)`
//! (under the "C" collation `lower` folds exactly the ASCII letters, as NOCASE does), so its
//! statements compare and sort through `lower()`.

use keygate_core::clock::UnixTime;
use keygate_core::ids::{AppId, OrgId, UserId};
use keygate_core::model::{ChangeKind, Org};
use keygate_core::StoreError;

use super::changes::{append_change, lock_feed};
use super::firsts;
use crate::arg::text;
use crate::conn::{Conn, PerDialect};
use crate::error::DbResultExt;
use crate::rows::accounts::{org_columns, OrgAppRow, OrgMemberRow, OrgRow};
use crate::rows::all;
use crate::table::Table;

const ORG_BY_NAME: PerDialect = PerDialect {
    sqlite: concat!("SELECT ", org_columns!(), " FROM orgs WHERE name = $1"),
    postgres: concat!(
        "SELECT ",
        org_columns!(),
        r#" FROM orgs WHERE lower(name) = lower($1 COLLATE "C")"#
    ),
};

const ORGS_OF_USER: PerDialect = PerDialect {
    sqlite: concat!(
        "SELECT ",
        org_columns!(),
        " FROM org_members m JOIN orgs o ON o.id = m.org_id
         WHERE m.user_id = $1 ORDER BY o.name, o.id"
    ),
    postgres: concat!(
        "SELECT ",
        org_columns!(),
        " FROM org_members m JOIN orgs o ON o.id = m.org_id
         WHERE m.user_id = $1 ORDER BY lower(o.name), o.id"
    ),
};

const ORGS_DENYING_OAUTH: PerDialect = PerDialect {
    sqlite: "SELECT name FROM orgs WHERE third_party_oauth_allowed = 0 ORDER BY name",
    postgres:
        "SELECT name FROM orgs WHERE NOT third_party_oauth_allowed ORDER BY lower(name), name",
};

/// Creates an organization with its owner as first member, inside the caller's transaction.
pub async fn create_org<C: Conn>(conn: &mut C, org: Org) -> Result<Org, StoreError> {
    let row = OrgRow::from(org);
    conn.execute(OrgRow::insert(), &row.bind())
        .await
        .or_conflict("organization")?;
    let member = OrgMemberRow {
        org_id: row.id.clone(),
        user_id: row.owner_id.clone(),
    };
    conn.execute(OrgMemberRow::insert(), &member.bind())
        .await
        .or_conflict("membership")?;
    Org::try_from(row)
}

/// An organization by id.
pub async fn org_by_id<C: Conn>(conn: &mut C, id: OrgId) -> Result<Option<Org>, StoreError> {
    const SQL: &str = concat!("SELECT ", org_columns!(), " FROM orgs WHERE id = $1");
    let row: Option<OrgRow> = conn.fetch_optional(SQL, &[text(id)]).await.db()?;
    row.map(Org::try_from).transpose()
}

/// An organization by name (case-insensitive).
pub async fn org_by_name<C: Conn>(conn: &mut C, name: &str) -> Result<Option<Org>, StoreError> {
    let row: Option<OrgRow> = conn
        .fetch_optional(C::DIALECT.pick(&ORG_BY_NAME), &[name.into()])
        .await
        .db()?;
    row.map(Org::try_from).transpose()
}

/// Adds a member; `Conflict("membership")` when already a member.
pub async fn add_org_member<C: Conn>(
    conn: &mut C,
    org: OrgId,
    user: UserId,
) -> Result<(), StoreError> {
    let member = OrgMemberRow {
        org_id: org.to_string(),
        user_id: user.to_string(),
    };
    conn.execute(OrgMemberRow::insert(), &member.bind())
        .await
        .or_conflict("membership")?;
    Ok(())
}

/// Whether a user belongs to an organization.
pub async fn is_org_member<C: Conn>(
    conn: &mut C,
    org: OrgId,
    user: UserId,
) -> Result<bool, StoreError> {
    let found: Option<(i32,)> = conn
        .fetch_optional(
            "SELECT 1 FROM org_members WHERE org_id = $1 AND user_id = $2",
            &[text(org), text(user)],
        )
        .await
        .db()?;
    Ok(found.is_some())
}

/// Adds an app to an organization as a member.
pub async fn add_org_app<C: Conn>(conn: &mut C, org: OrgId, app: AppId) -> Result<(), StoreError> {
    let row = OrgAppRow {
        org_id: org.to_string(),
        app_id: app.to_string(),
    };
    conn.execute(OrgAppRow::insert(), &row.bind())
        .await
        .or_conflict("app membership")?;
    Ok(())
}

/// Whether an app was added to an organization.
pub async fn is_org_app<C: Conn>(conn: &mut C, org: OrgId, app: AppId) -> Result<bool, StoreError> {
    let found: Option<(i32,)> = conn
        .fetch_optional(
            "SELECT 1 FROM org_apps WHERE org_id = $1 AND app_id = $2",
            &[text(org), text(app)],
        )
        .await
        .db()?;
    Ok(found.is_some())
}

/// The organizations a user belongs to, by name.
pub async fn orgs_of_user<C: Conn>(conn: &mut C, user: UserId) -> Result<Vec<Org>, StoreError> {
    let found: Vec<OrgRow> = conn
        .fetch_all(C::DIALECT.pick(&ORGS_OF_USER), &[text(user)])
        .await
        .db()?;
    all(found)
}

/// Sets an organization's policy and appends it to the feed, inside the caller's transaction.
pub async fn set_org_oauth_policy<C: Conn>(
    conn: &mut C,
    org: OrgId,
    allowed: bool,
    at: UnixTime,
) -> Result<(), StoreError> {
    let feed = lock_feed(conn).await?;
    let updated = conn
        .execute(
            "UPDATE orgs SET third_party_oauth_allowed = $1 WHERE id = $2",
            &[allowed.into(), text(org)],
        )
        .await
        .db()?;
    if updated == 0 {
        return Err(StoreError::NotFound("organization"));
    }
    let subject = org.to_string();
    append_change(conn, &feed, ChangeKind::OrgPolicyChanged, &subject, at).await
}

/// Names of every organization that currently disallows third-party OAuth.
pub async fn orgs_denying_oauth<C: Conn>(conn: &mut C) -> Result<Vec<String>, StoreError> {
    let found: Vec<(String,)> = conn
        .fetch_all(C::DIALECT.pick(&ORGS_DENYING_OAUTH), &[])
        .await
        .db()?;
    Ok(firsts(found))
}
