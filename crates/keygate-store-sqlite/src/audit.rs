//! The audit log and admin tokens.

use keygate_core::clock::UnixTime;
use keygate_core::model::{
    Actor, AdminToken, AuditEvent, AuditKind, AuditQuery, NewAdminToken, NewAuditEvent,
};
use keygate_core::secrets::TokenHash;
use keygate_core::StoreError;

use crate::error::DbResultExt;
use crate::rows;
use crate::SqliteStore;

pub(crate) async fn record_audit_event(
    store: &SqliteStore,
    e: NewAuditEvent,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_events (at, kind, actor, target, app_id, org_id, client_addr, detail)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(e.at)
    .bind(e.kind.as_str())
    .bind(e.actor.to_stored())
    .bind(&e.target)
    .bind(e.app_id.map(|id| id.to_string()))
    .bind(e.org_id.map(|id| id.to_string()))
    .bind(e.client_addr.map(|a| a.to_string()))
    .bind(&e.detail)
    .execute(&store.writer)
    .await
    .db()?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct AuditRow {
    id: i64,
    at: i64,
    kind: String,
    actor: String,
    target: String,
    app_id: Option<String>,
    org_id: Option<String>,
    client_addr: Option<String>,
    detail: String,
}

impl TryFrom<AuditRow> for AuditEvent {
    type Error = StoreError;

    fn try_from(r: AuditRow) -> Result<Self, StoreError> {
        Ok(AuditEvent {
            id: r.id,
            event: NewAuditEvent {
                at: r.at,
                kind: AuditKind::from_stored(&r.kind),
                actor: Actor::from_stored(&r.actor),
                target: r.target,
                app_id: r
                    .app_id
                    .map(|id| rows::id(&id, "audit_events.app_id"))
                    .transpose()?,
                org_id: r
                    .org_id
                    .map(|id| rows::id(&id, "audit_events.org_id"))
                    .transpose()?,
                client_addr: r.client_addr.and_then(|a| a.parse().ok()),
                detail: r.detail,
            },
        })
    }
}

pub(crate) async fn audit_events(
    store: &SqliteStore,
    q: AuditQuery,
) -> Result<Vec<AuditEvent>, StoreError> {
    // Each filter is on or off by its own parameter, so one statement serves every query.
    let found: Vec<AuditRow> = sqlx::query_as(
        "SELECT id, at, kind, actor, target, app_id, org_id, client_addr, detail
         FROM audit_events
         WHERE (?1 IS NULL OR app_id = ?1) AND (?2 IS NULL OR org_id = ?2)
           AND (?3 IS NULL OR at >= ?3)
         ORDER BY id DESC LIMIT ?4",
    )
    .bind(q.app.map(|id| id.to_string()))
    .bind(q.org.map(|id| id.to_string()))
    .bind(q.since)
    .bind(i64::from(q.limit))
    .fetch_all(&store.reader)
    .await
    .db()?;
    rows::all(found)
}

pub(crate) async fn create_admin_token(
    store: &SqliteStore,
    t: NewAdminToken,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO admin_tokens (id, name, hash, created_at, revoked_at) VALUES (?, ?, ?, ?, ?)",
    )
    .bind(&t.token.id)
    .bind(&t.token.name)
    .bind(t.hash.as_bytes())
    .bind(t.token.created_at)
    .bind(t.token.revoked_at)
    .execute(&store.writer)
    .await
    .or_conflict("admin token")?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct AdminTokenRow {
    id: String,
    name: String,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl From<AdminTokenRow> for AdminToken {
    fn from(r: AdminTokenRow) -> Self {
        AdminToken {
            id: r.id,
            name: r.name,
            created_at: r.created_at,
            revoked_at: r.revoked_at,
        }
    }
}

pub(crate) async fn admin_token_by_hash(
    store: &SqliteStore,
    hash: TokenHash,
) -> Result<Option<AdminToken>, StoreError> {
    let row: Option<AdminTokenRow> = sqlx::query_as(
        "SELECT id, name, created_at, revoked_at FROM admin_tokens
         WHERE hash = ? AND revoked_at IS NULL",
    )
    .bind(hash.as_bytes())
    .fetch_optional(&store.reader)
    .await
    .db()?;
    Ok(row.map(AdminToken::from))
}

pub(crate) async fn admin_tokens(store: &SqliteStore) -> Result<Vec<AdminToken>, StoreError> {
    let found: Vec<AdminTokenRow> = sqlx::query_as(
        "SELECT id, name, created_at, revoked_at FROM admin_tokens ORDER BY created_at, id",
    )
    .fetch_all(&store.reader)
    .await
    .db()?;
    Ok(found.into_iter().map(AdminToken::from).collect())
}

pub(crate) async fn revoke_admin_token(
    store: &SqliteStore,
    id: &str,
    at: UnixTime,
) -> Result<bool, StoreError> {
    let done =
        sqlx::query("UPDATE admin_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
            .bind(at)
            .bind(id)
            .execute(&store.writer)
            .await
            .db()?;
    Ok(done.rows_affected() > 0)
}
