//! Service hooks: subscriptions (`/_apis/hooks/subscriptions`) and the event a webhook receives.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A service hooks subscription, as sent to create or replace one and as answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    /// Its id (answered; ignored in a request).
    #[serde(default)]
    pub id: String,
    /// Where it is served (answered).
    #[serde(default)]
    pub url: String,
    /// `enabled`, or `disabledBySystem` once its consumer kept failing (answered).
    #[serde(default)]
    pub status: String,
    /// `tfs`.
    #[serde(default)]
    pub publisher_id: String,
    /// `workitem.created` or `workitem.updated`.
    #[serde(default)]
    pub event_type: String,
    /// The event's resource version (`1.0`).
    #[serde(default)]
    pub resource_version: String,
    /// `webHooks`.
    #[serde(default)]
    pub consumer_id: String,
    /// `httpRequest`.
    #[serde(default)]
    pub consumer_action_id: String,
    /// Publisher inputs: `projectId` (optional) narrows it to one project.
    #[serde(default)]
    pub publisher_inputs: BTreeMap<String, String>,
    /// Consumer inputs: `url` (required) and `httpHeaders` (`Name: value` lines).
    #[serde(default)]
    pub consumer_inputs: BTreeMap<String, String>,
    /// Who created it (answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<IdRef>,
    /// When (answered, ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_date: Option<String>,
    /// Who last changed it (answered).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_by: Option<IdRef>,
    /// When (answered, ISO 8601).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified_date: Option<String>,
    /// Failed deliveries since the last success (answered).
    #[serde(default)]
    pub probation_retries: i64,
    /// Why the last delivery failed, if one did (answered; Keygate's own field).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// An identity named only by its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct IdRef {
    /// The id.
    #[serde(default)]
    pub id: String,
}

/// The event a webhook receives (the hosted service's service hooks event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HookEvent {
    /// The subscription it was sent for.
    pub subscription_id: String,
    /// The delivery's number.
    pub notification_id: i64,
    /// The event's id (shared by every subscription's copy).
    pub id: String,
    /// `workitem.created` or `workitem.updated`.
    pub event_type: String,
    /// `tfs`.
    pub publisher_id: String,
    /// A one-line description.
    pub message: Value,
    /// A longer description.
    pub detailed_message: Value,
    /// The work item (created) or the update (updated).
    pub resource: Value,
    /// `1.0`.
    pub resource_version: String,
    /// The collection, account and project it happened in.
    pub resource_containers: Value,
    /// When it happened (ISO 8601).
    pub created_date: String,
}
