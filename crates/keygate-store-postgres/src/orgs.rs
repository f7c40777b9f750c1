//! Organizations, their members, and their third-party OAuth policy.

use keygate_core::clock::UnixTime;
use keygate_core::ids::{OrgId, UserId};
use keygate_core::model::{ChangeKind, Org};
use keygate_core::StoreError;

use crate::changes::{append_change, lock_feed};
use crate::error::DbResultExt;
use crate::rows;
use crate::PgStore;

#[derive(sqlx::FromRow)]
pub(crate) struct OrgRow {
    id: String,
    name: String,
    owner_id: String,
    third_party_oauth_allowed: bool,
    created_at: i64,
}

impl TryFrom<OrgRow> for Org {
    type Error = StoreError;

    fn try_from(r: OrgRow) -> Result<Self, StoreError> {
        Ok(Org {
            id: rows::id(&r.id, "orgs.id")?,
            name: r.name,
            owner_id: rows::id(&r.owner_id, "orgs.owner_id")?,
            third_party_oauth_allowed: r.third_party_oauth_allowed,
            created_at: r.created_at,
        })
    }
}

pub(crate) async fn create_org(store: &PgStore, org: Org) -> Result<Org, StoreError> {
    let mut tx = store.write().await?;
    sqlx::query(
        "INSERT INTO orgs (id, name, owner_id, third_party_oauth_allowed, created_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(org.id.to_string())
    .bind(&org.name)
    .bind(org.owner_id.to_string())
    .bind(org.third_party_oauth_allowed)
    .bind(org.created_at)
    .execute(&mut *tx)
    .await
    .or_conflict("organization")?;
    sqlx::query("INSERT INTO org_members (org_id, user_id) VALUES ($1, $2)")
        .bind(org.id.to_string())
        .bind(org.owner_id.to_string())
        .execute(&mut *tx)
        .await
        .or_conflict("membership")?;
    tx.commit().await.db()?;
    Ok(org)
}

pub(crate) async fn org_by_name(store: &PgStore, name: &str) -> Result<Option<Org>, StoreError> {
    // `lower(name)` is the unique index, so this compares as SQLite's NOCASE does and uses it.
    let row: Option<OrgRow> = sqlx::query_as(
        r#"SELECT id, name, owner_id, third_party_oauth_allowed, created_at FROM orgs
           WHERE lower(name) = lower($1 COLLATE "C")"#,
    )
    .bind(name)
    .fetch_optional(&store.pool)
    .await
    .db()?;
    row.map(Org::try_from).transpose()
}

pub(crate) async fn add_org_member(
    store: &PgStore,
    org: OrgId,
    user: UserId,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO org_members (org_id, user_id) VALUES ($1, $2)")
        .bind(org.to_string())
        .bind(user.to_string())
        .execute(&store.pool)
        .await
        .or_conflict("membership")?;
    Ok(())
}

pub(crate) async fn is_org_member(
    store: &PgStore,
    org: OrgId,
    user: UserId,
) -> Result<bool, StoreError> {
    let found: Option<i32> =
        sqlx::query_scalar("SELECT 1 FROM org_members WHERE org_id = $1 AND user_id = $2")
            .bind(org.to_string())
            .bind(user.to_string())
            .fetch_optional(&store.pool)
            .await
            .db()?;
    Ok(found.is_some())
}

pub(crate) async fn orgs_of_user(store: &PgStore, user: UserId) -> Result<Vec<Org>, StoreError> {
    let found: Vec<OrgRow> = sqlx::query_as(
        "SELECT o.id, o.name, o.owner_id, o.third_party_oauth_allowed, o.created_at
         FROM org_members m JOIN orgs o ON o.id = m.org_id
         WHERE m.user_id = $1 ORDER BY lower(o.name), o.id",
    )
    .bind(user.to_string())
    .fetch_all(&store.pool)
    .await
    .db()?;
    rows::all(found)
}

pub(crate) async fn set_org_oauth_policy(
    store: &PgStore,
    org: OrgId,
    allowed: bool,
    at: UnixTime,
) -> Result<(), StoreError> {
    let mut tx = store.write().await?;
    let feed = lock_feed(&mut tx).await?;
    let updated = sqlx::query("UPDATE orgs SET third_party_oauth_allowed = $1 WHERE id = $2")
        .bind(allowed)
        .bind(org.to_string())
        .execute(&mut *tx)
        .await
        .db()?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound("organization"));
    }
    append_change(
        &mut tx,
        &feed,
        ChangeKind::OrgPolicyChanged,
        &org.to_string(),
        at,
    )
    .await?;
    tx.commit().await.db()?;
    Ok(())
}

pub(crate) async fn orgs_denying_oauth(store: &PgStore) -> Result<Vec<String>, StoreError> {
    sqlx::query_scalar(
        "SELECT name FROM orgs WHERE NOT third_party_oauth_allowed ORDER BY lower(name), name",
    )
    .fetch_all(&store.pool)
    .await
    .db()
}
