//! The second half of an import: apps and the credentials hanging off them, the change feed
//! with its sequence numbers, builds and work items with their numbers, the audit log and admin
//! tokens.

use keygate_core::dump::Dump;
use keygate_core::secrets::TokenHash;
use keygate_core::StoreError;
use sqlx::SqliteConnection;

use crate::error::DbResultExt;

pub(super) async fn import_apps(conn: &mut SqliteConnection, d: &Dump) -> Result<(), StoreError> {
    for a in &d.apps {
        sqlx::query(
            "INSERT INTO apps (id, owner_id, name, company_name, description, website,
                 company_website, terms_url, privacy_url, logo_url, callback_url, scopes, kind,
                 created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(a.id.to_string())
        .bind(a.owner_id.to_string())
        .bind(&a.name)
        .bind(&a.company_name)
        .bind(&a.description)
        .bind(&a.website)
        .bind(&a.company_website)
        .bind(&a.terms_url)
        .bind(&a.privacy_url)
        .bind(&a.logo_url)
        .bind(&a.callback_url)
        .bind(a.scopes.to_string())
        .bind(a.kind.as_str())
        .bind(a.created_at)
        .execute(&mut *conn)
        .await
        .db()?;
    }
    for s in &d.client_secrets {
        sqlx::query(
            "INSERT INTO client_secrets (id, app_id, hash, created_at, expires_at, slot)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(s.secret.id.to_string())
        .bind(s.secret.app_id.to_string())
        .bind(s.hash.as_bytes())
        .bind(s.secret.created_at)
        .bind(s.secret.expires_at)
        .bind(s.slot.as_str())
        .execute(&mut *conn)
        .await
        .db()?;
    }
    for g in &d.authorizations {
        sqlx::query(
            "INSERT INTO authorizations (id, user_id, app_id, scopes, created_at, revoked_at,
                 secret_id, client_credentials)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(g.id.to_string())
        .bind(g.user_id.to_string())
        .bind(g.app_id.to_string())
        .bind(g.scopes.to_string())
        .bind(g.created_at)
        .bind(g.revoked_at)
        .bind(g.secret_id.map(|s| s.to_string()))
        .bind(g.client_credentials)
        .execute(&mut *conn)
        .await
        .db()?;
    }
    for c in &d.codes {
        sqlx::query(
            "INSERT INTO codes (hash, authorization_id, redirect_uri, code_challenge, expires_at,
                 used_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(c.hash.as_bytes())
        .bind(c.authorization_id.to_string())
        .bind(&c.redirect_uri)
        .bind(&c.code_challenge)
        .bind(c.expires_at)
        .bind(c.used_at)
        .execute(&mut *conn)
        .await
        .db()?;
    }
    for r in &d.refresh_tokens {
        sqlx::query(
            "INSERT INTO refresh_tokens (hash, access_id, authorization_id, parent_hash,
                 secret_id, created_at, expires_at, used_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(r.hash.as_bytes())
        .bind(r.access_id.to_string())
        .bind(r.authorization_id.to_string())
        .bind(r.parent_hash.as_ref().map(TokenHash::as_bytes))
        .bind(r.secret_id.map(|s| s.to_string()))
        .bind(r.created_at)
        .bind(r.expires_at)
        .bind(r.used_at)
        .execute(&mut *conn)
        .await
        .db()?;
    }
    // Explicit values in AUTOINCREMENT columns move their counters past them.
    for c in &d.changes {
        sqlx::query("INSERT INTO changes (seq, kind, subject, at) VALUES (?, ?, ?, ?)")
            .bind(c.seq)
            .bind(&c.kind)
            .bind(&c.subject)
            .bind(c.at)
            .execute(&mut *conn)
            .await
            .db()?;
    }
    for b in &d.builds {
        sqlx::query(
            "INSERT INTO builds (id, project_id, build_number, definition_name, status, result,
                 source_branch, requested_for, queue_time)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(b.id)
        .bind(b.project_id.to_string())
        .bind(&b.build_number)
        .bind(&b.definition_name)
        .bind(&b.status)
        .bind(&b.result)
        .bind(&b.source_branch)
        .bind(b.requested_for.to_string())
        .bind(b.queue_time)
        .execute(&mut *conn)
        .await
        .db()?;
    }
    for w in &d.work_items {
        sqlx::query(
            "INSERT INTO work_items (id, project_id, rev, work_item_type, fields_json, created_by,
                 created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(w.id)
        .bind(w.project_id.to_string())
        .bind(w.rev)
        .bind(&w.work_item_type)
        .bind(&w.fields_json)
        .bind(w.created_by.to_string())
        .bind(w.created_at)
        .execute(&mut *conn)
        .await
        .db()?;
    }
    for e in &d.audit_events {
        sqlx::query(
            "INSERT INTO audit_events (id, at, kind, actor, target, app_id, org_id, client_addr,
                 detail)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(e.id)
        .bind(e.at)
        .bind(&e.kind)
        .bind(&e.actor)
        .bind(&e.target)
        .bind(&e.app_id)
        .bind(&e.org_id)
        .bind(&e.client_addr)
        .bind(&e.detail)
        .execute(&mut *conn)
        .await
        .db()?;
    }
    for t in &d.admin_tokens {
        sqlx::query(
            "INSERT INTO admin_tokens (id, name, hash, created_at, revoked_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&t.token.id)
        .bind(&t.token.name)
        .bind(t.hash.as_bytes())
        .bind(t.token.created_at)
        .bind(t.token.revoked_at)
        .execute(&mut *conn)
        .await
        .db()?;
    }
    Ok(())
}
