//! The audit log and admin tokens.

use keygate_core::clock::UnixTime;
use keygate_core::model::{AdminToken, AuditEvent, AuditQuery, NewAdminToken, NewAuditEvent};
use keygate_core::secrets::TokenHash;
use keygate_core::StoreError;

use crate::arg::opt_text;
use crate::conn::Conn;
use crate::error::DbResultExt;
use crate::rows::all;
use crate::rows::operations::{admin_token_columns, audit_columns, AdminTokenRow, AuditRow};
use crate::table::Table;

/// Appends an event; the database numbers it.
pub async fn record_audit_event<C: Conn>(conn: &mut C, e: NewAuditEvent) -> Result<(), StoreError> {
    let row = AuditRow::new(&e);
    conn.execute(AuditRow::insert_numbered(), &row.bind()[1..])
        .await
        .db()?;
    Ok(())
}

/// Appends `event` with how many authorizations its change revoked added to its detail
/// (` revoked_authorizations=N`).
pub async fn record_counted<C: Conn>(
    conn: &mut C,
    mut event: NewAuditEvent,
    revoked: u64,
) -> Result<(), StoreError> {
    if !event.detail.is_empty() {
        event.detail.push(' ');
    }
    event
        .detail
        .push_str(&format!("revoked_authorizations={revoked}"));
    record_audit_event(conn, event).await
}

/// The events `q` selects, newest first.
pub async fn audit_events<C: Conn>(
    conn: &mut C,
    q: AuditQuery,
) -> Result<Vec<AuditEvent>, StoreError> {
    // Each filter is on or off by its own parameter, so one statement serves every query.
    const SQL: &str = concat!(
        "SELECT ",
        audit_columns!(),
        " FROM audit_events
         WHERE (CAST($1 AS TEXT) IS NULL OR app_id = $1)
           AND (CAST($2 AS TEXT) IS NULL OR org_id = $2)
           AND (CAST($3 AS BIGINT) IS NULL OR at >= $3)
         ORDER BY id DESC LIMIT $4"
    );
    let args = [
        opt_text(q.app),
        opt_text(q.org),
        q.since.into(),
        i64::from(q.limit).into(),
    ];
    let found: Vec<AuditRow> = conn.fetch_all(SQL, &args).await.db()?;
    all(found)
}

/// Stores an admin token (its hash only); `Conflict("admin token")` when the id is taken.
pub async fn create_admin_token<C: Conn>(conn: &mut C, t: NewAdminToken) -> Result<(), StoreError> {
    let row = AdminTokenRow::from(t);
    conn.execute(AdminTokenRow::insert(), &row.bind())
        .await
        .or_conflict("admin token")?;
    Ok(())
}

/// A live admin token by the hash of its value.
pub async fn admin_token_by_hash<C: Conn>(
    conn: &mut C,
    hash: TokenHash,
) -> Result<Option<AdminToken>, StoreError> {
    const SQL: &str = concat!(
        "SELECT ",
        admin_token_columns!(),
        " FROM admin_tokens WHERE hash = $1 AND revoked_at IS NULL"
    );
    let row: Option<AdminTokenRow> = conn.fetch_optional(SQL, &[(&hash).into()]).await.db()?;
    Ok(row.map(AdminToken::from))
}

/// Every admin token, oldest first.
pub async fn admin_tokens<C: Conn>(conn: &mut C) -> Result<Vec<AdminToken>, StoreError> {
    const SQL: &str = concat!(
        "SELECT ",
        admin_token_columns!(),
        " FROM admin_tokens ORDER BY created_at, id"
    );
    let found: Vec<AdminTokenRow> = conn.fetch_all(SQL, &[]).await.db()?;
    Ok(found.into_iter().map(AdminToken::from).collect())
}

/// Revokes an admin token; `false` when there is no live token with that id.
pub async fn revoke_admin_token<C: Conn>(
    conn: &mut C,
    id: &str,
    at: UnixTime,
) -> Result<bool, StoreError> {
    let done = conn
        .execute(
            "UPDATE admin_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            &[at.into(), id.into()],
        )
        .await
        .db()?;
    Ok(done > 0)
}
