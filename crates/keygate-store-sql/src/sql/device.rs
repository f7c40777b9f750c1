//! Device codes (RFC 8628): storing a request, a user claiming and deciding it, a device polling
//! it, and redeeming it exactly once.
//!
//! Every step is one conditional `UPDATE` (or a row locked for the poll's read-modify-write),
//! so two nodes can never both claim, both decide, or both redeem one code: the same reasoning
//! as for authorization codes (see `grants.rs`).

use keygate_core::clock::UnixTime;
use keygate_core::ids::UserId;
use keygate_core::model::{
    DeviceCodeRecord, DeviceCodeStatus, DeviceDecision, DevicePoll, NewDeviceCode, NewRefreshToken,
};
use keygate_core::secrets::TokenHash;
use keygate_core::store::ConsumeOutcome;
use keygate_core::StoreError;

use super::grants::{insert_refresh, secret_still_exists};
use crate::arg::{opt_text, text};
use crate::conn::{Conn, PerDialect};
use crate::error::DbResultExt;
use crate::rows::device::{DeviceCodeRow, DeviceLookupRow};
use crate::rows::grants::AuthorizationRow;
use crate::table::Table;

/// How long an expired device code is kept before a new request sweeps it away (a day, so the
/// device still hears `expired_token` rather than "invalid" for a while).
const KEEP_EXPIRED: i64 = 86_400;

/// What `slow_down` adds to a device code's interval (RFC 8628 §3.5).
const SLOW_DOWN_STEP: i64 = 5;

/// Forgets long-expired device codes, then stores `code`; `Conflict("user code")` when its user
/// code is taken.
pub async fn create_device_code<C: Conn>(
    conn: &mut C,
    code: NewDeviceCode,
) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM device_codes WHERE expires_at < $1",
        &[(code.created_at - KEEP_EXPIRED).into()],
    )
    .await
    .db()?;
    let row = DeviceCodeRow::from(code);
    conn.execute(DeviceCodeRow::insert(), &row.bind())
        .await
        .or_conflict("user code")?;
    Ok(())
}

/// Claims a pending, unexpired code for `user` (unless another user has), returning it.
pub async fn claim_device_code<C: Conn>(
    conn: &mut C,
    user_code_hash: TokenHash,
    user: UserId,
    now: UnixTime,
) -> Result<Option<DeviceCodeRecord>, StoreError> {
    const SQL: &str = "UPDATE device_codes SET user_id = $1
         WHERE user_code_hash = $2 AND status = 'pending' AND used_at IS NULL AND expires_at > $3
           AND (user_id IS NULL OR user_id = $1)
         RETURNING app_id, scopes, expires_at, poll_interval, last_polled_at, status, user_id,
                   authorization_id, used_at, CAST(NULL AS BIGINT) AS revoked_at";
    let row: Option<DeviceLookupRow> = conn
        .fetch_optional(SQL, &[text(user), (&user_code_hash).into(), now.into()])
        .await
        .db()?;
    row.map(DeviceCodeRecord::try_from).transpose()
}

/// Records `user`'s decision on the code they claimed, inside the caller's transaction (an
/// approval stores its authorization first); `NotFound("device code")` when it is no longer
/// pending for them, which rolls the authorization back with the transaction.
pub async fn decide_device_code<C: Conn>(
    conn: &mut C,
    user_code_hash: TokenHash,
    user: UserId,
    decision: DeviceDecision,
    now: UnixTime,
) -> Result<(), StoreError> {
    const SQL: &str = "UPDATE device_codes SET status = $1, authorization_id = $2, decided_at = $3
         WHERE user_code_hash = $4 AND user_id = $5 AND status = 'pending' AND used_at IS NULL
           AND expires_at > $3
         RETURNING app_id";
    let (status, authorization) = match decision {
        DeviceDecision::Approve(authorization) => {
            let id = authorization.id;
            let row = AuthorizationRow::from(authorization);
            conn.execute(AuthorizationRow::insert(), &row.bind())
                .await
                .or_conflict("authorization")?;
            (DeviceCodeStatus::Approved, Some(id))
        }
        DeviceDecision::Deny => (DeviceCodeStatus::Denied, None),
    };
    let decided: Option<(String,)> = conn
        .fetch_optional(
            SQL,
            &[
                status.as_str().into(),
                opt_text(authorization),
                now.into(),
                (&user_code_hash).into(),
                text(user),
            ],
        )
        .await
        .db()?;
    decided
        .map(|_| ())
        .ok_or(StoreError::NotFound("device code"))
}

/// A device code with its authorization's revocation, its row locked (PostgreSQL) so that
/// concurrent polls of one code take turns.
const POLL_READ: PerDialect = PerDialect {
    sqlite: "SELECT d.app_id, d.scopes, d.expires_at, d.poll_interval, d.last_polled_at,
                d.status, d.user_id, d.authorization_id, d.used_at, a.revoked_at
         FROM device_codes d LEFT JOIN authorizations a ON a.id = d.authorization_id
         WHERE d.hash = $1",
    postgres: "SELECT d.app_id, d.scopes, d.expires_at, d.poll_interval, d.last_polled_at,
                d.status, d.user_id, d.authorization_id, d.used_at, a.revoked_at
         FROM device_codes d LEFT JOIN authorizations a ON a.id = d.authorization_id
         WHERE d.hash = $1 FOR UPDATE OF d",
};

/// Records a poll inside the caller's transaction, growing the interval of a pending code
/// polled too soon.
pub async fn poll_device_code<C: Conn>(
    conn: &mut C,
    hash: TokenHash,
    now: UnixTime,
) -> Result<Option<DevicePoll>, StoreError> {
    let row: Option<DeviceLookupRow> = conn
        .fetch_optional(C::DIALECT.pick(&POLL_READ), &[(&hash).into()])
        .await
        .db()?;
    let Some(row) = row else {
        return Ok(None);
    };
    let last_polled_at = row.last_polled_at;
    let mut record = DeviceCodeRecord::try_from(row)?;
    let too_fast = record.status == DeviceCodeStatus::Pending
        && record.used_at.is_none()
        && last_polled_at.is_some_and(|last| now - last < record.interval);
    if too_fast {
        record.interval += SLOW_DOWN_STEP;
    }
    conn.execute(
        "UPDATE device_codes SET last_polled_at = $1, poll_interval = $2 WHERE hash = $3",
        &[now.into(), record.interval.into(), (&hash).into()],
    )
    .await
    .db()?;
    Ok(Some(DevicePoll { record, too_fast }))
}

/// Marks an approved code used and stores the first refresh token of its authorization, inside
/// the caller's transaction.
pub async fn redeem_device_code<C: Conn>(
    conn: &mut C,
    hash: TokenHash,
    refresh: NewRefreshToken,
    now: UnixTime,
) -> Result<ConsumeOutcome, StoreError> {
    if !secret_still_exists(conn, &refresh).await? {
        return Ok(ConsumeOutcome::SecretRetired);
    }
    let spent: Option<(Option<String>,)> = conn
        .fetch_optional(
            "UPDATE device_codes SET used_at = $1
             WHERE hash = $2 AND used_at IS NULL AND status = 'approved'
             RETURNING authorization_id",
            &[now.into(), (&hash).into()],
        )
        .await
        .db()?;
    let Some((Some(authorization),)) = spent else {
        return Ok(ConsumeOutcome::AlreadyUsed);
    };
    if authorization != refresh.authorization_id.to_string() {
        return Err(StoreError::Backend(
            "the refresh token names another authorization than the device code".into(),
        ));
    }
    // Remember which secret version redeemed it: replacing that secret revokes what it minted.
    conn.execute(
        "UPDATE authorizations SET secret_id = $1 WHERE id = $2",
        &[opt_text(refresh.secret_id), authorization.into()],
    )
    .await
    .db()?;
    insert_refresh(conn, &refresh, None).await?;
    Ok(ConsumeOutcome::Consumed)
}
