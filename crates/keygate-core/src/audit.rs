//! Recording security events (see [`crate::model::AuditEvent`]) from inside the use cases.
//!
//! A use case builds the event of its change ([`event`]) and hands it to the store with the
//! change, which writes both in one transaction: the log cannot miss a change that happened nor
//! show one that rolled back. An event that goes with no change ([`record`]) is written on its
//! own; if that write fails it is logged and counted, never turned into a failure of the caller.

use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::context::Keygate;
use crate::ids::{AppId, AuthorizationId, OrgId};
use crate::model::{Actor, AuditEvent, AuditKind, AuditQuery, NewAuditEvent, NewAuthorization};
use crate::store::StoreError;

/// Who is acting, and from which network address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The actor.
    pub actor: Actor,
    /// The peer address of the request, if it came over the network.
    pub client_addr: Option<IpAddr>,
}

impl Origin {
    /// An actor reached over the network from `addr`.
    pub fn new(actor: Actor, client_addr: Option<IpAddr>) -> Self {
        Self { actor, client_addr }
    }

    /// An operator at the command line.
    pub fn cli() -> Self {
        Self::new(Actor::Cli, None)
    }
}

impl Default for Origin {
    /// Keygate itself, with no address: what a context acts as until told otherwise.
    fn default() -> Self {
        Self::new(Actor::System, None)
    }
}

/// Audit writes that failed since start (reported on `/metrics`).
static FAILED_WRITES: AtomicU64 = AtomicU64::new(0);

/// How many audit events could not be written since the process started.
pub fn failed_writes() -> u64 {
    FAILED_WRITES.load(Ordering::Relaxed)
}

/// One event, as a use case describes it; the actor, address and time come from the context.
#[derive(Debug, Clone)]
pub struct Entry {
    kind: AuditKind,
    target: String,
    app_id: Option<AppId>,
    org_id: Option<OrgId>,
    actor: Option<Actor>,
    detail: String,
}

impl Entry {
    /// An event of `kind` about `target` (`kind:id`).
    pub fn new(kind: AuditKind, target: impl Into<String>) -> Self {
        Self {
            kind,
            target: target.into(),
            app_id: None,
            org_id: None,
            actor: None,
            detail: String::new(),
        }
    }

    /// Shown to the owner of `app`.
    pub fn app(mut self, app: AppId) -> Self {
        self.app_id = Some(app);
        self
    }

    /// Shown to the owner of `org`.
    pub fn org(mut self, org: OrgId) -> Self {
        self.org_id = Some(org);
        self
    }

    /// Done by `actor` rather than the context's actor (the app at the token endpoint).
    pub fn by(mut self, actor: Actor) -> Self {
        self.actor = Some(actor);
        self
    }

    /// A short description; never a credential.
    pub fn detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }
}

/// The event `entry` describes, acting as `kg.origin` at `kg.clock`'s time, for the store to
/// write in the transaction of the change it records.
pub fn event(kg: &Keygate, entry: Entry) -> NewAuditEvent {
    let origin = &kg.origin;
    NewAuditEvent {
        at: kg.clock.now(),
        kind: entry.kind,
        actor: entry.actor.unwrap_or_else(|| origin.actor.clone()),
        target: entry.target,
        app_id: entry.app_id,
        org_id: entry.org_id,
        client_addr: origin.client_addr,
        detail: entry.detail,
    }
}

/// Appends an event that goes with no change of its own (a throttled sign-in, say). A change's
/// event goes to the store with the change instead ([`event`]), so the two cannot part.
pub async fn record(kg: &Keygate, entry: Entry) {
    let event = event(kg, entry);
    let kind = event.kind.clone();
    if let Err(e) = kg.store().record_audit_event(event).await {
        FAILED_WRITES.fetch_add(1, Ordering::Relaxed);
        tracing::error!(error = %e, audit.kind = %kind, "could not write an audit event");
    }
}

/// The audit events `query` selects, newest first (for an owner's page, already checked to be
/// theirs, or an operator at the command line).
pub async fn events(kg: &Keygate, query: AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
    kg.store().audit_events(query).await
}

/// The event of a redeemed code of `authorization` presented again by `app`, and the
/// authorization revoked (RFC 6749 §4.1.2).
pub fn code_reused(kg: &Keygate, app: AppId, authorization: AuthorizationId) -> NewAuditEvent {
    reuse_detected(kg, AuditKind::CodeReuseDetected, app, authorization)
}

/// The event of a spent refresh token of `authorization` presented again by `app`, and the
/// authorization revoked (RFC 9700 §4.14.2).
pub fn refresh_reused(kg: &Keygate, app: AppId, authorization: AuthorizationId) -> NewAuditEvent {
    reuse_detected(kg, AuditKind::RefreshTokenReuseDetected, app, authorization)
}

fn reuse_detected(
    kg: &Keygate,
    kind: AuditKind,
    app: AppId,
    authorization: AuthorizationId,
) -> NewAuditEvent {
    event(
        kg,
        Entry::new(kind, format!("authorization:{authorization}"))
            .app(app)
            .by(Actor::App(app))
            .detail("authorization revoked"),
    )
}

/// The event of a user's Accept on the consent page.
pub fn authorization_granted(kg: &Keygate, authorization: &NewAuthorization) -> NewAuditEvent {
    event(
        kg,
        Entry::new(
            AuditKind::AuthorizationGranted,
            format!("authorization:{}", authorization.id),
        )
        .app(authorization.app_id)
        .by(Actor::User(authorization.user_id))
        .detail(format!("scopes={}", authorization.scopes)),
    )
}
