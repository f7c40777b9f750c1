//! `keygate audit list`: the audit log of security events, for people or (`--json`) machines.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use keygate_core::ids::AppId;
use keygate_core::model::{AuditEvent, AuditQuery};
use serde_json::{json, Value};

use crate::cli::AuditCommand;
use crate::commands::context;
use crate::output::print;

/// `--since`: an RFC 3339 time, or a span back from `now` (`30m`, `24h`, `7d`).
fn since(raw: &str, now: i64) -> anyhow::Result<i64> {
    let raw = raw.trim();
    if let Ok(span) = humantime::parse_duration(raw) {
        return Ok(now - i64::try_from(span.as_secs()).unwrap_or(i64::MAX / 2));
    }
    let at = humantime::parse_rfc3339_weak(raw).with_context(|| {
        format!("--since {raw:?} is neither a time (2026-11-25T09:00:00Z) nor a span (24h)")
    })?;
    Ok(at
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64)
}

fn rfc3339(t: i64) -> String {
    let at = UNIX_EPOCH + Duration::from_secs(u64::try_from(t).unwrap_or(0));
    humantime::format_rfc3339_seconds(at).to_string()
}

fn describe(e: &AuditEvent) -> Value {
    let ev = &e.event;
    json!({
        "id": e.id,
        "at": rfc3339(ev.at),
        "kind": ev.kind.as_str(),
        "actor": ev.actor.to_stored(),
        "target": ev.target,
        "app_id": ev.app_id.map(|a| a.to_upper()),
        "org_id": ev.org_id,
        "client_addr": ev.client_addr.map(|a| a.to_string()),
        "detail": ev.detail,
    })
}

/// Runs an audit subcommand.
pub(super) async fn run(cmd: AuditCommand) -> anyhow::Result<()> {
    let AuditCommand::List {
        since: since_arg,
        app,
        limit,
        db,
        json,
    } = cmd;
    let kg = context(&db).await?;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs() as i64;
    let app = match app {
        Some(id) => Some(
            id.parse::<AppId>()
                .map_err(|_| anyhow::anyhow!("{id} is not an App ID (a GUID)"))?,
        ),
        None => None,
    };
    let query = AuditQuery {
        app,
        org: None,
        since: since_arg.as_deref().map(|s| since(s, now)).transpose()?,
        limit,
    };
    let events = keygate_core::audit::events(&kg, query).await?;
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            let ev = &e.event;
            vec![
                rfc3339(ev.at),
                ev.kind.to_string(),
                ev.actor.to_string(),
                ev.target.clone(),
                ev.client_addr.map(|a| a.to_string()).unwrap_or_default(),
                ev.detail.clone(),
            ]
        })
        .collect();
    print(
        json,
        &Value::Array(events.iter().map(describe).collect()),
        &["AT", "EVENT", "ACTOR", "TARGET", "FROM", "DETAIL"],
        &rows,
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_spans_back_from_now_and_absolute_times() {
        assert_eq!(since("1h", 10_000).unwrap(), 6_400);
        assert_eq!(since("2026-11-25T00:00:00Z", 0).unwrap(), 1_795_564_800);
        assert!(since("yesterday-ish", 0).is_err());
    }
}
