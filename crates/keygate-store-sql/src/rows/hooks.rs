//! Service hooks subscriptions and their outbox rows.

use keygate_core::model::{HookEventType, HookOutboxRecord, HookStatus, HookSubscription};
use keygate_core::StoreError;

use super::{id, opt_id};
use crate::table::table;

table! {
    /// A subscription to one work item event of an organization.
    pub struct HookSubscriptionRow in "hook_subscriptions" by "id",
        columns hook_subscription_columns {
        id: String,
        org_id: String,
        event_type: String,
        project_id: Option<String>,
        consumer_url: String,
        http_headers: String,
        status: String,
        created_by: String,
        created_at: i64,
        modified_at: i64,
        failure_count: i64,
        last_error: Option<String>,
        last_error_at: Option<i64>,
    }
}

fn event_type(stored: &str, column: &str) -> Result<HookEventType, StoreError> {
    HookEventType::parse(stored)
        .ok_or_else(|| StoreError::Corrupt(format!("{column} is {stored:?}")))
}

impl TryFrom<HookSubscriptionRow> for HookSubscription {
    type Error = StoreError;

    fn try_from(r: HookSubscriptionRow) -> Result<Self, StoreError> {
        Ok(HookSubscription {
            id: id(&r.id, "hook_subscriptions.id")?,
            org_id: id(&r.org_id, "hook_subscriptions.org_id")?,
            event_type: event_type(&r.event_type, "hook_subscriptions.event_type")?,
            project_id: opt_id(r.project_id.as_deref(), "hook_subscriptions.project_id")?,
            consumer_url: r.consumer_url,
            http_headers: r.http_headers,
            status: HookStatus::parse(&r.status).ok_or_else(|| {
                StoreError::Corrupt(format!("hook_subscriptions.status is {:?}", r.status))
            })?,
            created_by: id(&r.created_by, "hook_subscriptions.created_by")?,
            created_at: r.created_at,
            modified_at: r.modified_at,
            failure_count: r.failure_count,
            last_error: r.last_error,
            last_error_at: r.last_error_at,
        })
    }
}

impl From<HookSubscription> for HookSubscriptionRow {
    fn from(s: HookSubscription) -> Self {
        HookSubscriptionRow {
            id: s.id.to_string(),
            org_id: s.org_id.to_string(),
            event_type: s.event_type.as_str().to_owned(),
            project_id: s.project_id.map(|p| p.to_string()),
            consumer_url: s.consumer_url,
            http_headers: s.http_headers,
            status: s.status.as_str().to_owned(),
            created_by: s.created_by.to_string(),
            created_at: s.created_at,
            modified_at: s.modified_at,
            failure_count: s.failure_count,
            last_error: s.last_error,
            last_error_at: s.last_error_at,
        }
    }
}

table! {
    /// One event queued for one subscription.
    pub struct HookOutboxRow in "hook_outbox" by "id", columns hook_outbox_columns {
        id: i64,
        subscription_id: String,
        event_id: String,
        event_type: String,
        work_item_id: i64,
        work_item_rev: i64,
        project_id: String,
        fields_json: String,
        old_fields_json: Option<String>,
        created_at: i64,
        attempts: i64,
        next_attempt_at: i64,
        lease_owner: Option<String>,
        lease_until: Option<i64>,
        last_error: Option<String>,
        delivered_at: Option<i64>,
    }
}

impl TryFrom<HookOutboxRow> for HookOutboxRecord {
    type Error = StoreError;

    fn try_from(r: HookOutboxRow) -> Result<Self, StoreError> {
        Ok(HookOutboxRecord {
            id: r.id,
            subscription_id: id(&r.subscription_id, "hook_outbox.subscription_id")?,
            event_id: r.event_id,
            event_type: event_type(&r.event_type, "hook_outbox.event_type")?,
            work_item_id: r.work_item_id,
            work_item_rev: r.work_item_rev,
            project_id: id(&r.project_id, "hook_outbox.project_id")?,
            fields_json: r.fields_json,
            old_fields_json: r.old_fields_json,
            created_at: r.created_at,
            attempts: r.attempts,
            next_attempt_at: r.next_attempt_at,
            lease_owner: r.lease_owner,
            lease_until: r.lease_until,
            last_error: r.last_error,
            delivered_at: r.delivered_at,
        })
    }
}

impl From<HookOutboxRecord> for HookOutboxRow {
    fn from(o: HookOutboxRecord) -> Self {
        HookOutboxRow {
            id: o.id,
            subscription_id: o.subscription_id.to_string(),
            event_id: o.event_id,
            event_type: o.event_type.as_str().to_owned(),
            work_item_id: o.work_item_id,
            work_item_rev: o.work_item_rev,
            project_id: o.project_id.to_string(),
            fields_json: o.fields_json,
            old_fields_json: o.old_fields_json,
            created_at: o.created_at,
            attempts: o.attempts,
            next_attempt_at: o.next_attempt_at,
            lease_owner: o.lease_owner,
            lease_until: o.lease_until,
            last_error: o.last_error,
            delivered_at: o.delivered_at,
        }
    }
}
