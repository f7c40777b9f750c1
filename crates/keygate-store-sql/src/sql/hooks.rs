//! Service hooks: subscriptions, the outbox rows a work item change queues in its own
//! transaction, and the leases delivery workers take on them.

use keygate_core::ids::{HookSubscriptionId, OrgId};
use keygate_core::model::{
    HookDelivery, HookEventDraft, HookEventType, HookFailure, HookOutboxRecord, HookSubscription,
    WorkItem, HOOK_QUEUE_CAP,
};
use keygate_core::StoreError;

use crate::arg::{opt_text, text};
use crate::conn::Conn;
use crate::error::DbResultExt;
use crate::rows::all;
use crate::rows::hooks::{
    hook_outbox_columns, hook_subscription_columns, HookOutboxRow, HookSubscriptionRow,
};
use crate::table::Table;

/// Why a subscription was disabled when an event found its queue full.
const QUEUE_FULL: &str = "the queue of undelivered events is full";

/// Queues `event_type` for `item` (whose fields were `old_fields` before an update) for every
/// enabled subscription following its project; subscriptions whose queue is full are disabled
/// first and get nothing. Runs inside the caller's transaction.
pub async fn queue_events<C: Conn>(
    conn: &mut C,
    event_type: HookEventType,
    item: &WorkItem,
    old_fields: Option<&str>,
    draft: &HookEventDraft,
) -> Result<(), StoreError> {
    const FULL: &str = "UPDATE hook_subscriptions
           SET status = 'disabledBySystem', last_error = $1, last_error_at = $2
         WHERE status = 'enabled' AND event_type = $3
           AND org_id = (SELECT org_id FROM projects WHERE id = $4)
           AND (project_id IS NULL OR project_id = $4)
           AND (SELECT COUNT(*) FROM hook_outbox o
                 WHERE o.subscription_id = hook_subscriptions.id
                   AND o.delivered_at IS NULL) >= $5";
    conn.execute(
        FULL,
        &[
            QUEUE_FULL.into(),
            draft.at.into(),
            event_type.as_str().into(),
            text(item.project_id),
            HOOK_QUEUE_CAP.into(),
        ],
    )
    .await
    .db()?;
    const QUEUE: &str = "INSERT INTO hook_outbox (subscription_id, event_id, event_type,
             work_item_id, work_item_rev, project_id, fields_json, old_fields_json, created_at,
             attempts, next_attempt_at)
         SELECT id, $1, $2, $3, $4, $5, $6, $7, $8, 0, $8 FROM hook_subscriptions
          WHERE status = 'enabled' AND event_type = $2
            AND org_id = (SELECT org_id FROM projects WHERE id = $5)
            AND (project_id IS NULL OR project_id = $5)";
    conn.execute(
        QUEUE,
        &[
            (&draft.event_id).into(),
            event_type.as_str().into(),
            item.id.into(),
            item.rev.into(),
            text(item.project_id),
            (&item.fields_json).into(),
            old_fields.map(str::to_owned).into(),
            draft.at.into(),
        ],
    )
    .await
    .db()?;
    Ok(())
}

/// Stores a new subscription.
pub async fn create_subscription<C: Conn>(
    conn: &mut C,
    sub: &HookSubscription,
) -> Result<(), StoreError> {
    let row = HookSubscriptionRow::from(sub.clone());
    conn.execute(HookSubscriptionRow::insert(), &row.bind())
        .await
        .db()?;
    Ok(())
}

/// A subscription of `org` by id.
pub async fn subscription<C: Conn>(
    conn: &mut C,
    org: OrgId,
    id: HookSubscriptionId,
) -> Result<Option<HookSubscription>, StoreError> {
    const SQL: &str = concat!(
        "SELECT ",
        hook_subscription_columns!(),
        " FROM hook_subscriptions WHERE id = $1 AND org_id = $2"
    );
    let row: Option<HookSubscriptionRow> = conn
        .fetch_optional(SQL, &[text(id), text(org)])
        .await
        .db()?;
    row.map(HookSubscription::try_from).transpose()
}

/// An organization's subscriptions, by id.
pub async fn subscriptions_of_org<C: Conn>(
    conn: &mut C,
    org: OrgId,
) -> Result<Vec<HookSubscription>, StoreError> {
    const SQL: &str = concat!(
        "SELECT ",
        hook_subscription_columns!(),
        " FROM hook_subscriptions WHERE org_id = $1 ORDER BY id"
    );
    let found: Vec<HookSubscriptionRow> = conn.fetch_all(SQL, &[text(org)]).await.db()?;
    all(found)
}

/// Replaces a subscription's settings and state; `false` if `sub.org_id` has none by its id.
pub async fn replace_subscription<C: Conn>(
    conn: &mut C,
    sub: &HookSubscription,
) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE hook_subscriptions
           SET event_type = $1, project_id = $2, consumer_url = $3, http_headers = $4,
               status = $5, modified_at = $6, failure_count = $7, last_error = $8,
               last_error_at = $9
         WHERE id = $10 AND org_id = $11";
    let changed = conn
        .execute(
            SQL,
            &[
                sub.event_type.as_str().into(),
                opt_text(sub.project_id),
                (&sub.consumer_url).into(),
                (&sub.http_headers).into(),
                sub.status.as_str().into(),
                sub.modified_at.into(),
                sub.failure_count.into(),
                sub.last_error.clone().into(),
                sub.last_error_at.into(),
                text(sub.id),
                text(sub.org_id),
            ],
        )
        .await
        .db()?;
    Ok(changed == 1)
}

/// Deletes a subscription of `org` and its outbox rows; `false` if there is none.
pub async fn delete_subscription<C: Conn>(
    conn: &mut C,
    org: OrgId,
    id: HookSubscriptionId,
) -> Result<bool, StoreError> {
    const OUTBOX: &str = "DELETE FROM hook_outbox WHERE subscription_id =
         (SELECT id FROM hook_subscriptions WHERE id = $1 AND org_id = $2)";
    conn.execute(OUTBOX, &[text(id), text(org)]).await.db()?;
    const SQL: &str = "DELETE FROM hook_subscriptions WHERE id = $1 AND org_id = $2";
    let gone = conn.execute(SQL, &[text(id), text(org)]).await.db()?;
    Ok(gone == 1)
}

/// Leases up to `limit` due rows to `owner`, oldest first. Each lease is a compare-and-set on
/// the row, so two workers racing for one row never both get it.
pub async fn claim<C: Conn>(
    conn: &mut C,
    owner: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<HookDelivery>, StoreError> {
    const DUE: &str = "SELECT o.id FROM hook_outbox o
           JOIN hook_subscriptions s ON s.id = o.subscription_id
         WHERE o.delivered_at IS NULL AND o.next_attempt_at <= $1
           AND (o.lease_until IS NULL OR o.lease_until <= $1) AND s.status = 'enabled'
         ORDER BY o.id LIMIT $2";
    let due: Vec<(i64,)> = conn
        .fetch_all(DUE, &[now.into(), limit.into()])
        .await
        .db()?;
    const LEASE: &str = "UPDATE hook_outbox
           SET lease_owner = $1, lease_until = $2, attempts = attempts + 1
         WHERE id = $3 AND delivered_at IS NULL AND (lease_until IS NULL OR lease_until <= $4)";
    const ROW: &str = concat!(
        "SELECT ",
        hook_outbox_columns!(),
        " FROM hook_outbox WHERE id = $1"
    );
    const SUB: &str = "SELECT org_id, consumer_url, http_headers FROM hook_subscriptions
         WHERE id = $1";
    let mut claimed = Vec::with_capacity(due.len());
    for (id,) in due {
        let won = conn
            .execute(
                LEASE,
                &[owner.into(), lease_until.into(), id.into(), now.into()],
            )
            .await
            .db()?;
        if won != 1 {
            continue;
        }
        let row: Option<HookOutboxRow> = conn.fetch_optional(ROW, &[id.into()]).await.db()?;
        let Some(row) = row else { continue };
        let event = HookOutboxRecord::try_from(row)?;
        let sub: Option<(String, String, String)> = conn
            .fetch_optional(SUB, &[text(event.subscription_id)])
            .await
            .db()?;
        let Some((org_id, consumer_url, http_headers)) = sub else {
            continue;
        };
        claimed.push(HookDelivery {
            event,
            org_id: crate::rows::id(&org_id, "hook_subscriptions.org_id")?,
            consumer_url,
            http_headers,
        });
    }
    Ok(claimed)
}

/// Marks a row leased to `owner` delivered and clears its subscription's failure count.
pub async fn delivered<C: Conn>(
    conn: &mut C,
    id: i64,
    owner: &str,
    at: i64,
) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE hook_outbox
           SET delivered_at = $1, lease_owner = NULL, lease_until = NULL, last_error = NULL
         WHERE id = $2 AND lease_owner = $3 AND delivered_at IS NULL";
    if conn
        .execute(SQL, &[at.into(), id.into(), owner.into()])
        .await
        .db()?
        != 1
    {
        return Ok(false);
    }
    const SUB: &str = "UPDATE hook_subscriptions SET failure_count = 0
         WHERE id = (SELECT subscription_id FROM hook_outbox WHERE id = $1)";
    conn.execute(SUB, &[id.into()]).await.db()?;
    Ok(true)
}

/// Records a failed attempt of a row leased to `owner` and counts it on its subscription,
/// disabling the subscription at `failure.disable_after` consecutive failures.
pub async fn failed<C: Conn>(
    conn: &mut C,
    id: i64,
    owner: &str,
    failure: &HookFailure,
) -> Result<bool, StoreError> {
    const SQL: &str = "UPDATE hook_outbox
           SET lease_owner = NULL, lease_until = NULL, last_error = $1, next_attempt_at = $2
         WHERE id = $3 AND lease_owner = $4 AND delivered_at IS NULL";
    let released = conn
        .execute(
            SQL,
            &[
                (&failure.error).into(),
                failure.next_attempt_at.into(),
                id.into(),
                owner.into(),
            ],
        )
        .await
        .db()?;
    if released != 1 {
        return Ok(false);
    }
    const SUB: &str = "UPDATE hook_subscriptions
           SET failure_count = failure_count + 1, last_error = $1, last_error_at = $2,
               status = CASE WHEN failure_count + 1 >= $3 THEN 'disabledBySystem'
                             ELSE status END
         WHERE id = (SELECT subscription_id FROM hook_outbox WHERE id = $4)";
    conn.execute(
        SUB,
        &[
            (&failure.error).into(),
            failure.at.into(),
            failure.disable_after.into(),
            id.into(),
        ],
    )
    .await
    .db()?;
    Ok(true)
}

/// A subscription's outbox rows, oldest first.
pub async fn outbox_of<C: Conn>(
    conn: &mut C,
    sub: HookSubscriptionId,
) -> Result<Vec<HookOutboxRecord>, StoreError> {
    const SQL: &str = concat!(
        "SELECT ",
        hook_outbox_columns!(),
        " FROM hook_outbox WHERE subscription_id = $1 ORDER BY id"
    );
    let found: Vec<HookOutboxRow> = conn.fetch_all(SQL, &[text(sub)]).await.db()?;
    all(found)
}

/// Deletes outbox rows delivered before `before`.
pub async fn purge_delivered<C: Conn>(conn: &mut C, before: i64) -> Result<u64, StoreError> {
    const SQL: &str =
        "DELETE FROM hook_outbox WHERE delivered_at IS NOT NULL AND delivered_at < $1";
    conn.execute(SQL, &[before.into()]).await.db()
}
