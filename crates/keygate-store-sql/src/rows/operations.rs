//! The audit log and admin tokens.

use keygate_core::dump::{DumpedAdminToken, DumpedAuditEvent};
use keygate_core::model::{Actor, AdminToken, AuditEvent, AuditKind, NewAdminToken, NewAuditEvent};
use keygate_core::StoreError;

use super::{hash, opt_id};
use crate::table::table;

table! {
    /// An audit event exactly as stored (kinds and actors of newer builds included).
    pub struct AuditRow in "audit_events" by "id", columns audit_columns {
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
}

impl AuditRow {
    /// The row `event` becomes; the store numbers it (`id` is not written).
    pub fn new(e: &NewAuditEvent) -> Self {
        AuditRow {
            id: 0,
            at: e.at,
            kind: e.kind.as_str().to_owned(),
            actor: e.actor.to_stored(),
            target: e.target.clone(),
            app_id: e.app_id.map(|id| id.to_string()),
            org_id: e.org_id.map(|id| id.to_string()),
            client_addr: e.client_addr.map(|a| a.to_string()),
            detail: e.detail.clone(),
        }
    }
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
                app_id: opt_id(r.app_id.as_deref(), "audit_events.app_id")?,
                org_id: opt_id(r.org_id.as_deref(), "audit_events.org_id")?,
                client_addr: r.client_addr.and_then(|a| a.parse().ok()),
                detail: r.detail,
            },
        })
    }
}

impl From<AuditRow> for DumpedAuditEvent {
    fn from(r: AuditRow) -> Self {
        DumpedAuditEvent {
            id: r.id,
            at: r.at,
            kind: r.kind,
            actor: r.actor,
            target: r.target,
            app_id: r.app_id,
            org_id: r.org_id,
            client_addr: r.client_addr,
            detail: r.detail,
        }
    }
}

impl From<DumpedAuditEvent> for AuditRow {
    fn from(e: DumpedAuditEvent) -> Self {
        AuditRow {
            id: e.id,
            at: e.at,
            kind: e.kind,
            actor: e.actor,
            target: e.target,
            app_id: e.app_id,
            org_id: e.org_id,
            client_addr: e.client_addr,
            detail: e.detail,
        }
    }
}

table! {
    /// An admin token, by the hash of its value.
    pub struct AdminTokenRow in "admin_tokens" by "id", columns admin_token_columns {
        id: String,
        name: String,
        hash: Vec<u8>,
        created_at: i64,
        revoked_at: Option<i64>,
    }
}

impl From<NewAdminToken> for AdminTokenRow {
    fn from(t: NewAdminToken) -> Self {
        AdminTokenRow {
            id: t.token.id,
            name: t.token.name,
            hash: t.hash.as_bytes().to_vec(),
            created_at: t.token.created_at,
            revoked_at: t.token.revoked_at,
        }
    }
}

impl TryFrom<AdminTokenRow> for DumpedAdminToken {
    type Error = StoreError;

    fn try_from(r: AdminTokenRow) -> Result<Self, StoreError> {
        Ok(DumpedAdminToken {
            hash: hash(&r.hash, "admin_tokens.hash")?,
            token: AdminToken::from(r),
        })
    }
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

impl From<DumpedAdminToken> for AdminTokenRow {
    fn from(t: DumpedAdminToken) -> Self {
        AdminTokenRow::from(NewAdminToken {
            token: t.token,
            hash: t.hash,
        })
    }
}
