//! Service hooks subscriptions (`/_apis/hooks/subscriptions`): an organization member asks for
//! `workitem.created` / `workitem.updated` events of the organization (or one project) to be
//! POSTed to a webhook. Deliveries come from the outbox a work item change writes (see
//! [`crate::store::Store::create_work_item`]) and are sent by the server's delivery task.

use std::net::IpAddr;

use crate::audit::{self, Entry};
use crate::context::Keygate;
use crate::directory::{self, AccessError, OrgAccess};
use crate::ids::HookSubscriptionId;
use crate::model::{Actor, AuditKind, HookEventType, HookStatus, HookSubscription};
use crate::store::StoreError;

/// The longest consumer URL accepted.
pub const MAX_URL_LEN: usize = 2048;
/// The longest `httpHeaders` input accepted.
pub const MAX_HEADERS_LEN: usize = 4096;

/// A subscription as a client asks for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SubscriptionRequest {
    /// Must be `tfs`.
    pub publisher_id: String,
    /// `workitem.created` or `workitem.updated`.
    pub event_type: String,
    /// Must be `webHooks`.
    pub consumer_id: String,
    /// Must be `httpRequest`.
    pub consumer_action_id: String,
    /// The `projectId` publisher input (a project id or name), if any.
    pub project: Option<String>,
    /// The `url` consumer input.
    pub url: String,
    /// The `httpHeaders` consumer input (`Name: value` lines), if any.
    pub http_headers: Option<String>,
}

/// Why a subscription request was refused.
#[derive(Debug, thiserror::Error)]
pub enum HookError {
    /// The request is unusable; the message says why.
    #[error("{0}")]
    Invalid(String),
    /// No subscription of this organization has this id.
    #[error("The subscription {0} does not exist.")]
    NotFound(String),
    /// The member may not open the organization, or the project is unknown.
    #[error(transparent)]
    Access(#[from] AccessError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(message: impl Into<String>) -> HookError {
    HookError::Invalid(message.into())
}

/// Checks a consumer URL: absolute `https`, or `http` to a loopback host when
/// `allow_loopback` (emulator mode); no credentials in it.
pub fn check_consumer_url(raw: &str, allow_loopback: bool) -> Result<url::Url, HookError> {
    if raw.len() > MAX_URL_LEN {
        return Err(invalid("The consumer url is too long."));
    }
    let url = url::Url::parse(raw).map_err(|_| invalid("The consumer url is not a valid URL."))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "The consumer url must not carry credentials; use the basic authentication inputs.",
        ));
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => return Err(invalid("The consumer url has no host.")),
    };
    match url.scheme() {
        "https" => Ok(url),
        "http" if loopback && allow_loopback => Ok(url),
        "http" if loopback => Err(invalid(
            "The consumer url must use https (http to a loopback address only in emulator mode).",
        )),
        _ => Err(invalid("The consumer url must use https.")),
    }
}

/// Checks the `httpHeaders` input: `Name: value` lines with token names and no control
/// characters in values.
fn check_headers(raw: &str) -> Result<(), HookError> {
    if raw.len() > MAX_HEADERS_LEN {
        return Err(invalid("The httpHeaders input is too long."));
    }
    for line in raw.lines().filter(|l| !l.trim().is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| invalid("Each httpHeaders line must be `Name: value`."))?;
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
        if !name_ok || value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(invalid("The httpHeaders input holds an invalid header."));
        }
    }
    Ok(())
}

/// The validated parts of a request.
struct Checked {
    event_type: HookEventType,
    project_id: Option<crate::ids::ProjectId>,
    url: String,
    http_headers: String,
}

async fn check(
    kg: &Keygate,
    access: &OrgAccess,
    request: &SubscriptionRequest,
    allow_loopback: bool,
) -> Result<Checked, HookError> {
    if !request.publisher_id.eq_ignore_ascii_case("tfs") {
        return Err(invalid("The publisherId must be tfs."));
    }
    let event_type = HookEventType::parse(&request.event_type)
        .ok_or_else(|| invalid("The eventType must be workitem.created or workitem.updated."))?;
    if !request.consumer_id.eq_ignore_ascii_case("webHooks") {
        return Err(invalid("The consumerId must be webHooks."));
    }
    if !request
        .consumer_action_id
        .eq_ignore_ascii_case("httpRequest")
    {
        return Err(invalid("The consumerActionId must be httpRequest."));
    }
    let url = check_consumer_url(&request.url, allow_loopback)?;
    let http_headers = request.http_headers.clone().unwrap_or_default();
    check_headers(&http_headers)?;
    let project_id = match request.project.as_deref().filter(|p| !p.is_empty()) {
        Some(p) => Some(
            directory::project_of(kg, access.clone(), p)
                .await?
                .project()
                .id,
        ),
        None => None,
    };
    Ok(Checked {
        event_type,
        project_id,
        url: url.to_string(),
        http_headers,
    })
}

/// Creates a subscription of the member's organization.
pub async fn create(
    kg: &Keygate,
    access: &OrgAccess,
    request: &SubscriptionRequest,
    allow_loopback: bool,
) -> Result<HookSubscription, HookError> {
    let c = check(kg, access, request, allow_loopback).await?;
    let now = kg.clock.now();
    let sub = HookSubscription {
        id: HookSubscriptionId::new_random(),
        org_id: access.org().id,
        event_type: c.event_type,
        project_id: c.project_id,
        consumer_url: c.url,
        http_headers: c.http_headers,
        status: HookStatus::Enabled,
        created_by: access.user(),
        created_at: now,
        modified_at: now,
        failure_count: 0,
        last_error: None,
        last_error_at: None,
    };
    let event = audit_event(kg, access, AuditKind::HookSubscriptionCreated, &sub);
    kg.store().create_hook_subscription(&sub, event).await?;
    Ok(sub)
}

/// The audit event of a subscription change by the member, shown to the organization's owner:
/// the event and the consumer's host (never its path or headers, which may carry secrets).
fn audit_event(
    kg: &Keygate,
    access: &OrgAccess,
    kind: AuditKind,
    sub: &HookSubscription,
) -> crate::model::NewAuditEvent {
    let host = url::Url::parse(&sub.consumer_url)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    audit::event(
        kg,
        Entry::new(kind, format!("hook-subscription:{}", sub.id))
            .org(access.org().id)
            .by(Actor::User(access.user()))
            .detail(format!("event={} host={host}", sub.event_type.as_str())),
    )
}

fn parse_id(id: &str) -> Result<HookSubscriptionId, HookError> {
    id.parse()
        .map_err(|_| HookError::NotFound(id.chars().take(64).collect()))
}

/// One subscription of the member's organization.
pub async fn get(
    kg: &Keygate,
    access: &OrgAccess,
    id: &str,
) -> Result<HookSubscription, HookError> {
    kg.store()
        .hook_subscription(access.org().id, parse_id(id)?)
        .await?
        .ok_or_else(|| HookError::NotFound(id.chars().take(64).collect()))
}

/// The organization's subscriptions.
pub async fn list(kg: &Keygate, access: &OrgAccess) -> Result<Vec<HookSubscription>, HookError> {
    Ok(kg
        .store()
        .hook_subscriptions_of_org(access.org().id)
        .await?)
}

/// Replaces a subscription's event, project, URL and headers; a replaced subscription is
/// enabled again with its failures cleared.
pub async fn replace(
    kg: &Keygate,
    access: &OrgAccess,
    id: &str,
    request: &SubscriptionRequest,
    allow_loopback: bool,
) -> Result<HookSubscription, HookError> {
    let current = get(kg, access, id).await?;
    let c = check(kg, access, request, allow_loopback).await?;
    let sub = HookSubscription {
        event_type: c.event_type,
        project_id: c.project_id,
        consumer_url: c.url,
        http_headers: c.http_headers,
        status: HookStatus::Enabled,
        modified_at: kg.clock.now(),
        failure_count: 0,
        ..current
    };
    let event = audit_event(kg, access, AuditKind::HookSubscriptionReplaced, &sub);
    if kg.store().replace_hook_subscription(&sub, event).await? {
        Ok(sub)
    } else {
        Err(HookError::NotFound(id.chars().take(64).collect()))
    }
}

/// Deletes a subscription and its undelivered events.
pub async fn delete(kg: &Keygate, access: &OrgAccess, id: &str) -> Result<(), HookError> {
    let sub = get(kg, access, id).await?;
    let event = audit_event(kg, access, AuditKind::HookSubscriptionDeleted, &sub);
    if kg
        .store()
        .delete_hook_subscription(access.org().id, sub.id, event)
        .await?
    {
        Ok(())
    } else {
        Err(HookError::NotFound(id.chars().take(64).collect()))
    }
}

/// How long a claimed delivery stays leased to its worker: longer than one attempt may take.
pub const LEASE_SECONDS: i64 = 60;
/// The first retry waits this long; each further one twice as long as the one before.
pub const FIRST_RETRY_SECONDS: i64 = 5;
/// No retry waits longer than this.
pub const MAX_RETRY_SECONDS: i64 = 3600;
/// After this many consecutive failed deliveries a subscription is disabled.
pub const DISABLE_AFTER_FAILURES: i64 = 20;

/// Leases up to `limit` due deliveries to the worker `owner`.
pub async fn claim_due(
    kg: &Keygate,
    owner: &str,
    limit: i64,
) -> Result<Vec<crate::model::HookDelivery>, StoreError> {
    let now = kg.clock.now();
    kg.store()
        .claim_hook_deliveries(owner, now, now + LEASE_SECONDS, limit)
        .await
}

/// Records a delivery the consumer accepted; `false` if the worker had lost its lease.
pub async fn delivered(kg: &Keygate, id: i64, owner: &str) -> Result<bool, StoreError> {
    kg.store().hook_delivered(id, owner, kg.clock.now()).await
}

/// How long to wait before attempt `attempts + 1`, after `attempts` failed ones.
pub fn retry_delay(attempts: i64) -> i64 {
    let doublings = u32::try_from(attempts.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    FIRST_RETRY_SECONDS
        .saturating_mul(1_i64 << doublings)
        .min(MAX_RETRY_SECONDS)
}

/// Records a failed attempt (the `attempts` so far counted) and schedules the next one with
/// exponential backoff; `false` if the worker had lost its lease.
pub async fn failed(
    kg: &Keygate,
    id: i64,
    attempts: i64,
    owner: &str,
    error: &str,
) -> Result<bool, StoreError> {
    let now = kg.clock.now();
    let failure = crate::model::HookFailure {
        error: error.chars().take(500).collect(),
        at: now,
        next_attempt_at: now + retry_delay(attempts),
        disable_after: DISABLE_AFTER_FAILURES,
    };
    kg.store().hook_failed(id, owner, &failure).await
}

/// The names of an organization and a project, for the links and containers of an event;
/// `None` when either is gone.
pub async fn names(
    kg: &Keygate,
    org: crate::ids::OrgId,
    project: crate::ids::ProjectId,
) -> Result<Option<(String, String)>, StoreError> {
    let Some(org_name) = directory::org_name_by_id(kg, &org.to_string()).await? else {
        return Ok(None);
    };
    let project = kg
        .store()
        .projects_of_org(org)
        .await?
        .into_iter()
        .find(|p| p.id == project);
    Ok(project.map(|p| (org_name, p.name)))
}

/// How long a delivered event is kept (for operators to look at) before it is deleted.
pub const KEEP_DELIVERED_SECONDS: i64 = 7 * 24 * 3600;

/// Deletes events delivered longer ago than [`KEEP_DELIVERED_SECONDS`]; how many went.
pub async fn purge_delivered(kg: &Keygate) -> Result<u64, StoreError> {
    kg.store()
        .purge_delivered_hooks(kg.clock.now() - KEEP_DELIVERED_SECONDS)
        .await
}

/// A subscription's outbox rows, oldest first (for operators and tests).
pub async fn outbox(
    kg: &Keygate,
    sub: HookSubscriptionId,
) -> Result<Vec<crate::model::HookOutboxRecord>, StoreError> {
    kg.store().hook_outbox_of(sub).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumer_urls_are_https_or_loopback_in_emulator_mode() {
        assert!(check_consumer_url("https://hooks.example.com/in", false).is_ok());
        assert!(check_consumer_url("http://hooks.example.com/in", true).is_err());
        assert!(check_consumer_url("http://127.0.0.1:9000/in", false).is_err());
        assert!(check_consumer_url("http://127.0.0.1:9000/in", true).is_ok());
        assert!(check_consumer_url("http://[::1]:9000/in", true).is_ok());
        assert!(check_consumer_url("http://localhost/in", true).is_ok());
        assert!(check_consumer_url("ftp://hooks.example.com/", true).is_err());
        assert!(check_consumer_url("https://u:p@hooks.example.com/", false).is_err());
        assert!(check_consumer_url("not a url", true).is_err());
    }

    #[test]
    fn retries_back_off_exponentially_up_to_a_cap() {
        assert_eq!(retry_delay(1), FIRST_RETRY_SECONDS);
        assert_eq!(retry_delay(2), 2 * FIRST_RETRY_SECONDS);
        assert_eq!(retry_delay(3), 4 * FIRST_RETRY_SECONDS);
        assert_eq!(retry_delay(60), MAX_RETRY_SECONDS);
        assert_eq!(retry_delay(i64::MAX), MAX_RETRY_SECONDS);
    }

    #[test]
    fn header_lines_must_be_names_and_values() {
        assert!(check_headers("X-Token: abc\nX-Other: 1").is_ok());
        assert!(check_headers("").is_ok());
        assert!(check_headers("no colon").is_err());
        assert!(check_headers("Bad Name: 1").is_err());
    }
}
