//! The service hooks delivery task: every node runs one. It leases due outbox rows (so nodes
//! sharing one database never send one event at the same time), POSTs each event to its
//! consumer with a timeout, marks it delivered or schedules a retry with backoff. It runs
//! beside the request handlers, so a webhook never slows the request that changed a work item;
//! undelivered rows stay in the store across restarts and delivered ones are never re-sent.
//! Outside emulator mode it connects only to public internet addresses (`consumer_addresses`).

use std::time::Duration;

use keygate_api_types as wire;
use keygate_core::context::Keygate;
use keygate_core::hooks;
use keygate_core::model::{HookDelivery, HookEventType};
use serde_json::{json, Map, Value};

use crate::consumer_addresses::{literal_host_is_public, PublicOnly};

/// How often the task looks for due deliveries.
const POLL_INTERVAL: Duration = Duration::from_millis(250);
/// How many deliveries one pass leases and sends concurrently.
const BATCH: i64 = 16;
/// How often delivered events older than their retention are deleted.
const PURGE_INTERVAL: Duration = Duration::from_secs(3600);
/// How long one delivery may take before it counts as failed.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP client deliveries use: no redirects followed, a timeout on every request, and
/// (unless `any_address`, emulator mode) names resolved to public addresses only.
pub(crate) fn client(any_address: bool) -> Result<reqwest::Client, reqwest::Error> {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .user_agent(concat!("Keygate-ServiceHooks/", env!("CARGO_PKG_VERSION")));
    let builder = if any_address {
        builder
    } else {
        builder.dns_resolver(std::sync::Arc::new(PublicOnly))
    };
    builder.build()
}

/// Delivers due events until the task is dropped. Outside emulator mode (`any_address`), a
/// consumer on a non-public address is never connected to (see `consumer_addresses`).
pub(crate) async fn deliver_hooks(kg: Keygate, base: String, any_address: bool) {
    let client = match client(any_address) {
        Ok(client) => client,
        Err(e) => {
            tracing::error!(error = %e, "service hooks are not delivered: no HTTP client");
            return;
        }
    };
    let owner = uuid::Uuid::new_v4().to_string();
    let mut ticker = tokio::time::interval(POLL_INTERVAL);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut purged_at = tokio::time::Instant::now();
    loop {
        ticker.tick().await;
        if purged_at.elapsed() >= PURGE_INTERVAL {
            purged_at = tokio::time::Instant::now();
            match hooks::purge_delivered(&kg).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(purged = n, "old delivered service hook events deleted"),
                Err(e) => {
                    tracing::warn!(error = %e, "could not purge delivered service hook events")
                }
            }
        }
        let due = match hooks::claim_due(&kg, &owner, BATCH).await {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "could not claim service hook deliveries");
                continue;
            }
        };
        let mut sends = tokio::task::JoinSet::new();
        for d in due {
            let (kg, client, owner, base) =
                (kg.clone(), client.clone(), owner.clone(), base.clone());
            sends.spawn(
                async move { deliver_one(&kg, &client, &owner, &base, d, any_address).await },
            );
        }
        while sends.join_next().await.is_some() {}
    }
}

async fn deliver_one(
    kg: &Keygate,
    client: &reqwest::Client,
    owner: &str,
    base: &str,
    d: HookDelivery,
    any_address: bool,
) {
    let id = d.event.id;
    let outcome = if any_address || literal_host_is_public(&d.consumer_url) {
        send(kg, client, base, &d).await
    } else {
        Err("the consumer's address is not a public internet address".to_owned())
    };
    let recorded = match &outcome {
        Ok(()) => hooks::delivered(kg, id, owner).await,
        Err(error) => {
            tracing::info!(notification = id, subscription = %d.event.subscription_id,
                attempt = d.event.attempts, error = %error, "service hook delivery failed");
            hooks::failed(kg, id, d.event.attempts, owner, error).await
        }
    };
    match recorded {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            notification = id,
            "a service hook lease ran out mid-delivery"
        ),
        Err(e) => {
            tracing::warn!(notification = id, error = %e, "could not record a service hook delivery")
        }
    }
}

/// Sends one event; the error says why the consumer did not take it (never its body).
async fn send(
    kg: &Keygate,
    client: &reqwest::Client,
    base: &str,
    d: &HookDelivery,
) -> Result<(), String> {
    let (org, project) = hooks::names(kg, d.org_id, d.event.project_id)
        .await
        .map_err(|e| format!("store: {e}"))?
        .ok_or_else(|| "the project no longer exists".to_owned())?;
    let event = event_json(base, &org, &project, d);
    let mut request = client
        .post(&d.consumer_url)
        .header("content-type", "application/json; charset=utf-8")
        .body(event.to_string());
    for line in d.http_headers.lines() {
        if let Some((name, value)) = line.split_once(':') {
            request = request.header(name.trim(), value.trim());
        }
    }
    let response = request.send().await.map_err(|e| {
        if e.is_timeout() {
            "the consumer did not answer in time".to_owned()
        } else if e.is_connect() {
            "could not connect to the consumer".to_owned()
        } else {
            "the request to the consumer failed".to_owned()
        }
    })?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(format!("the consumer answered HTTP {}", status.as_u16()))
    }
}

fn fields(text: &str) -> Map<String, Value> {
    match serde_json::from_str(text) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

/// The event as the hosted service sends it: `resource` is the work item (created) or the
/// update with its old and new field values and the revision (updated).
pub(crate) fn event_json(base: &str, org: &str, project: &str, d: &HookDelivery) -> Value {
    let e = &d.event;
    let url = format!("{base}/{org}/_apis/wit/workItems/{}", e.work_item_id);
    let new_fields = fields(&e.fields_json);
    let item = wire::WorkItem {
        id: e.work_item_id,
        rev: e.work_item_rev,
        fields: new_fields.clone(),
        links: wire::SelfLink {
            self_: wire::Link { href: url.clone() },
        },
        url: url.clone(),
    };
    let item = serde_json::to_value(&item).unwrap_or(Value::Null);
    let title = new_fields
        .get("System.Title")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let kind = new_fields
        .get("System.WorkItemType")
        .and_then(Value::as_str)
        .unwrap_or("Work item");
    let (verb, resource) = match e.event_type {
        HookEventType::WorkItemCreated => ("created", item),
        HookEventType::WorkItemUpdated => {
            let old = fields(e.old_fields_json.as_deref().unwrap_or("{}"));
            let mut changed = Map::new();
            for (name, value) in &new_fields {
                if old.get(name) != Some(value) {
                    let mut pair = Map::new();
                    if let Some(before) = old.get(name) {
                        pair.insert("oldValue".into(), before.clone());
                    }
                    pair.insert("newValue".into(), value.clone());
                    changed.insert(name.clone(), Value::Object(pair));
                }
            }
            for (name, before) in &old {
                if !new_fields.contains_key(name) {
                    changed.insert(name.clone(), json!({"oldValue": before}));
                }
            }
            let update = json!({
                "id": e.work_item_rev - 1,
                "workItemId": e.work_item_id,
                "rev": e.work_item_rev,
                "revisedDate": keygate_core::clock::rfc3339(e.created_at),
                "fields": changed,
                "revision": item,
                "url": url,
                "_links": {"self": {"href": url}, "parent": {"href": url}},
            });
            ("updated", update)
        }
    };
    let text = format!("{kind} #{} ({title}) {verb}", e.work_item_id);
    let event = wire::HookEvent {
        subscription_id: e.subscription_id.to_string(),
        notification_id: e.id,
        id: e.event_id.clone(),
        event_type: e.event_type.as_str().to_owned(),
        publisher_id: "tfs".to_owned(),
        message: json!({"text": text, "html": text, "markdown": text}),
        detailed_message: json!({"text": text, "html": text, "markdown": text}),
        resource,
        resource_version: "1.0".to_owned(),
        resource_containers: json!({
            "collection": {"id": d.org_id.to_string(), "baseUrl": format!("{base}/{org}/")},
            "account": {"id": d.org_id.to_string(), "baseUrl": format!("{base}/{org}/")},
            "project": {"id": e.project_id.to_string(), "name": project,
                        "baseUrl": format!("{base}/{org}/")},
        }),
        created_date: keygate_core::clock::rfc3339(e.created_at),
    };
    serde_json::to_value(&event).unwrap_or(Value::Null)
}
