//! The audit events an owner sees on the app's page and on the organization's policy page.

use keygate_core::audit;
use keygate_core::model::{AuditEvent, AuditQuery};
use keygate_core::StoreError;

use crate::pages::{timestamp, AuditRow};
use crate::state::AppState;

/// How many events a page shows.
const SHOWN: u32 = 50;

fn row(e: AuditEvent) -> AuditRow {
    let e = e.event;
    AuditRow {
        when: timestamp(e.at),
        kind: e.kind.to_string(),
        actor: e.actor.to_string(),
        target: e.target,
        address: e.client_addr.map(|a| a.to_string()).unwrap_or_default(),
        detail: e.detail,
    }
}

/// The newest events `query` selects (its limit is the page's), as rows.
pub(crate) async fn rows(state: &AppState, query: AuditQuery) -> Result<Vec<AuditRow>, StoreError> {
    let query = AuditQuery {
        limit: SHOWN,
        ..query
    };
    let events = audit::events(&state.kg, query).await?;
    Ok(events.into_iter().map(row).collect())
}
