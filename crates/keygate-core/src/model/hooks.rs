//! Service hooks: subscriptions to work item events and the outbox rows that deliver them.

use crate::clock::UnixTime;
use crate::ids::{HookSubscriptionId, OrgId, ProjectId, UserId};

/// How many undelivered events one subscription may have queued; an event that finds its
/// subscription's queue full disables the subscription instead of growing the queue.
pub const HOOK_QUEUE_CAP: i64 = 500;

/// The work item event a subscription follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookEventType {
    /// `workitem.created`.
    WorkItemCreated,
    /// `workitem.updated`.
    WorkItemUpdated,
}

impl HookEventType {
    /// The name on the wire and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            HookEventType::WorkItemCreated => "workitem.created",
            HookEventType::WorkItemUpdated => "workitem.updated",
        }
    }

    /// Parses a wire or stored name (exactly as written).
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "workitem.created" => Some(HookEventType::WorkItemCreated),
            "workitem.updated" => Some(HookEventType::WorkItemUpdated),
            _ => None,
        }
    }
}

/// Whether a subscription's events are delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookStatus {
    /// Events are queued and delivered.
    Enabled,
    /// Its consumer kept failing or its queue was full: no new events are queued or sent
    /// until the subscription is replaced.
    DisabledBySystem,
}

impl HookStatus {
    /// The name on the wire (the hosted service's `status`) and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            HookStatus::Enabled => "enabled",
            HookStatus::DisabledBySystem => "disabledBySystem",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "enabled" => Some(HookStatus::Enabled),
            "disabledBySystem" => Some(HookStatus::DisabledBySystem),
            _ => None,
        }
    }
}

/// A subscription: which events of an organization go to which webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSubscription {
    /// Its id.
    pub id: HookSubscriptionId,
    /// The organization whose work items it follows.
    pub org_id: OrgId,
    /// The event it follows.
    pub event_type: HookEventType,
    /// Only this project's work items; `None` for every project of the organization.
    pub project_id: Option<ProjectId>,
    /// Where events are POSTed.
    pub consumer_url: String,
    /// Extra request headers, as `Name: value` lines (the consumer's `httpHeaders` input).
    pub http_headers: String,
    /// Whether events are delivered.
    pub status: HookStatus,
    /// Who created it.
    pub created_by: UserId,
    /// When.
    pub created_at: UnixTime,
    /// When it was last replaced (or created).
    pub modified_at: UnixTime,
    /// Failed deliveries since the last success.
    pub failure_count: i64,
    /// Why the last delivery failed, if one did.
    pub last_error: Option<String>,
    /// When it failed.
    pub last_error_at: Option<UnixTime>,
}

/// One event queued for one subscription, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookOutboxRecord {
    /// Store-assigned number (the notification id).
    pub id: i64,
    /// The subscription it is for.
    pub subscription_id: HookSubscriptionId,
    /// The event's id, shared by every subscription's copy of one change.
    pub event_id: String,
    /// What happened.
    pub event_type: HookEventType,
    /// The work item.
    pub work_item_id: i64,
    /// Its revision after the change.
    pub work_item_rev: i64,
    /// Its project.
    pub project_id: ProjectId,
    /// Its fields after the change (JSON object text).
    pub fields_json: String,
    /// Its fields before an update (JSON object text); `None` for a creation.
    pub old_fields_json: Option<String>,
    /// When the change was committed.
    pub created_at: UnixTime,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// Not tried again before this time.
    pub next_attempt_at: UnixTime,
    /// The worker holding it, while leased.
    pub lease_owner: Option<String>,
    /// Until when that worker holds it.
    pub lease_until: Option<UnixTime>,
    /// Why the last attempt failed, if one did.
    pub last_error: Option<String>,
    /// When it was delivered; delivered rows are never sent again.
    pub delivered_at: Option<UnixTime>,
}

/// A claimed delivery: the outbox row with the subscription's consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookDelivery {
    /// The outbox row, leased to the claiming worker.
    pub event: HookOutboxRecord,
    /// The subscription's organization.
    pub org_id: OrgId,
    /// Where to POST it.
    pub consumer_url: String,
    /// Extra request headers, as `Name: value` lines.
    pub http_headers: String,
}

/// What a work item change queues for each subscription that follows it: the change's event
/// id and time (the work item and its fields come from the change itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookEventDraft {
    /// The event's id (a fresh GUID per change).
    pub event_id: String,
    /// When the change is made.
    pub at: UnixTime,
}

/// How a failed delivery is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookFailure {
    /// Why it failed (status or transport error, never the body's secrets).
    pub error: String,
    /// When it failed.
    pub at: UnixTime,
    /// When to try again.
    pub next_attempt_at: UnixTime,
    /// After this many consecutive failures the subscription is disabled.
    pub disable_after: i64,
}
