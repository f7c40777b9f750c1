//! The second half of an import: apps and the credentials hanging off them, the change feed,
//! builds and work items, the audit log and admin tokens, each table with one `unnest` insert
//! keeping its stored numbers.

use keygate_core::dump::Dump;
use keygate_core::secrets::TokenHash;
use keygate_core::StoreError;
use sqlx::PgConnection;

use super::ids;
use crate::error::DbResultExt;

fn opt_ids<T: ToString>(values: impl Iterator<Item = Option<T>>) -> Vec<Option<String>> {
    values.map(|v| v.map(|v| v.to_string())).collect()
}

fn bytes<'a>(values: impl Iterator<Item = &'a TokenHash>) -> Vec<Vec<u8>> {
    values.map(|h| h.0.to_vec()).collect()
}

pub(super) async fn import_apps(conn: &mut PgConnection, d: &Dump) -> Result<(), StoreError> {
    let a = &d.apps;
    sqlx::query(
        "INSERT INTO apps (id, owner_id, name, company_name, description, website,
             company_website, terms_url, privacy_url, logo_url, callback_url, scopes, kind,
             created_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
             $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[],
             $12::text[], $13::text[], $14::bigint[])",
    )
    .bind(ids(a.iter().map(|x| x.id)))
    .bind(ids(a.iter().map(|x| x.owner_id)))
    .bind(a.iter().map(|x| x.name.clone()).collect::<Vec<_>>())
    .bind(a.iter().map(|x| x.company_name.clone()).collect::<Vec<_>>())
    .bind(a.iter().map(|x| x.description.clone()).collect::<Vec<_>>())
    .bind(a.iter().map(|x| x.website.clone()).collect::<Vec<_>>())
    .bind(
        a.iter()
            .map(|x| x.company_website.clone())
            .collect::<Vec<_>>(),
    )
    .bind(a.iter().map(|x| x.terms_url.clone()).collect::<Vec<_>>())
    .bind(a.iter().map(|x| x.privacy_url.clone()).collect::<Vec<_>>())
    .bind(a.iter().map(|x| x.logo_url.clone()).collect::<Vec<_>>())
    .bind(a.iter().map(|x| x.callback_url.clone()).collect::<Vec<_>>())
    .bind(ids(a.iter().map(|x| &x.scopes)))
    .bind(
        a.iter()
            .map(|x| x.kind.as_str().to_owned())
            .collect::<Vec<_>>(),
    )
    .bind(a.iter().map(|x| x.created_at).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await
    .db()?;
    let s = &d.client_secrets;
    sqlx::query(
        "INSERT INTO client_secrets (id, app_id, hash, created_at, expires_at, slot)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[], $5::bigint[],
             $6::text[])",
    )
    .bind(ids(s.iter().map(|x| x.secret.id)))
    .bind(ids(s.iter().map(|x| x.secret.app_id)))
    .bind(bytes(s.iter().map(|x| &x.hash)))
    .bind(s.iter().map(|x| x.secret.created_at).collect::<Vec<_>>())
    .bind(s.iter().map(|x| x.secret.expires_at).collect::<Vec<_>>())
    .bind(
        s.iter()
            .map(|x| x.slot.as_str().to_owned())
            .collect::<Vec<_>>(),
    )
    .execute(&mut *conn)
    .await
    .db()?;
    let g = &d.authorizations;
    sqlx::query(
        "INSERT INTO authorizations (id, user_id, app_id, scopes, created_at, revoked_at,
             secret_id, client_credentials)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[],
             $6::bigint[], $7::text[], $8::boolean[])",
    )
    .bind(ids(g.iter().map(|x| x.id)))
    .bind(ids(g.iter().map(|x| x.user_id)))
    .bind(ids(g.iter().map(|x| x.app_id)))
    .bind(ids(g.iter().map(|x| &x.scopes)))
    .bind(g.iter().map(|x| x.created_at).collect::<Vec<_>>())
    .bind(g.iter().map(|x| x.revoked_at).collect::<Vec<_>>())
    .bind(opt_ids(g.iter().map(|x| x.secret_id)))
    .bind(g.iter().map(|x| x.client_credentials).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await
    .db()?;
    let c = &d.codes;
    sqlx::query(
        "INSERT INTO codes (hash, authorization_id, redirect_uri, code_challenge, expires_at,
             used_at)
         SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[], $5::bigint[],
             $6::bigint[])",
    )
    .bind(bytes(c.iter().map(|x| &x.hash)))
    .bind(ids(c.iter().map(|x| x.authorization_id)))
    .bind(c.iter().map(|x| x.redirect_uri.clone()).collect::<Vec<_>>())
    .bind(
        c.iter()
            .map(|x| x.code_challenge.clone())
            .collect::<Vec<_>>(),
    )
    .bind(c.iter().map(|x| x.expires_at).collect::<Vec<_>>())
    .bind(c.iter().map(|x| x.used_at).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await
    .db()?;
    let r = &d.refresh_tokens;
    sqlx::query(
        "INSERT INTO refresh_tokens (hash, access_id, authorization_id, parent_hash, secret_id,
             created_at, expires_at, used_at)
         SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::bytea[], $5::text[],
             $6::bigint[], $7::bigint[], $8::bigint[])",
    )
    .bind(bytes(r.iter().map(|x| &x.hash)))
    .bind(ids(r.iter().map(|x| x.access_id)))
    .bind(ids(r.iter().map(|x| x.authorization_id)))
    .bind(
        r.iter()
            .map(|x| x.parent_hash.map(|p| p.0.to_vec()))
            .collect::<Vec<_>>(),
    )
    .bind(opt_ids(r.iter().map(|x| x.secret_id)))
    .bind(r.iter().map(|x| x.created_at).collect::<Vec<_>>())
    .bind(r.iter().map(|x| x.expires_at).collect::<Vec<_>>())
    .bind(r.iter().map(|x| x.used_at).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await
    .db()?;
    let f = &d.changes;
    sqlx::query(
        "INSERT INTO changes (seq, kind, subject, at)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[])",
    )
    .bind(f.iter().map(|x| x.seq).collect::<Vec<_>>())
    .bind(f.iter().map(|x| x.kind.clone()).collect::<Vec<_>>())
    .bind(f.iter().map(|x| x.subject.clone()).collect::<Vec<_>>())
    .bind(f.iter().map(|x| x.at).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await
    .db()?;
    import_work(conn, d).await
}

async fn import_work(conn: &mut PgConnection, d: &Dump) -> Result<(), StoreError> {
    let b = &d.builds;
    sqlx::query(
        "INSERT INTO builds (id, project_id, build_number, definition_name, status, result,
             source_branch, requested_for, queue_time)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[],
             $6::text[], $7::text[], $8::text[], $9::bigint[])",
    )
    .bind(b.iter().map(|x| x.id).collect::<Vec<_>>())
    .bind(ids(b.iter().map(|x| x.project_id)))
    .bind(b.iter().map(|x| x.build_number.clone()).collect::<Vec<_>>())
    .bind(
        b.iter()
            .map(|x| x.definition_name.clone())
            .collect::<Vec<_>>(),
    )
    .bind(b.iter().map(|x| x.status.clone()).collect::<Vec<_>>())
    .bind(b.iter().map(|x| x.result.clone()).collect::<Vec<_>>())
    .bind(
        b.iter()
            .map(|x| x.source_branch.clone())
            .collect::<Vec<_>>(),
    )
    .bind(ids(b.iter().map(|x| x.requested_for)))
    .bind(b.iter().map(|x| x.queue_time).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await
    .db()?;
    let w = &d.work_items;
    sqlx::query(
        "INSERT INTO work_items (id, project_id, rev, work_item_type, fields_json, created_by,
             created_at)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[],
             $6::text[], $7::bigint[])",
    )
    .bind(w.iter().map(|x| x.id).collect::<Vec<_>>())
    .bind(ids(w.iter().map(|x| x.project_id)))
    .bind(w.iter().map(|x| x.rev).collect::<Vec<_>>())
    .bind(
        w.iter()
            .map(|x| x.work_item_type.clone())
            .collect::<Vec<_>>(),
    )
    .bind(w.iter().map(|x| x.fields_json.clone()).collect::<Vec<_>>())
    .bind(ids(w.iter().map(|x| x.created_by)))
    .bind(w.iter().map(|x| x.created_at).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await
    .db()?;
    import_operations(conn, d).await
}

async fn import_operations(conn: &mut PgConnection, d: &Dump) -> Result<(), StoreError> {
    let e = &d.audit_events;
    sqlx::query(
        "INSERT INTO audit_events (id, at, kind, actor, target, app_id, org_id, client_addr,
             detail)
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[],
             $6::text[], $7::text[], $8::text[], $9::text[])",
    )
    .bind(e.iter().map(|x| x.id).collect::<Vec<_>>())
    .bind(e.iter().map(|x| x.at).collect::<Vec<_>>())
    .bind(e.iter().map(|x| x.kind.clone()).collect::<Vec<_>>())
    .bind(e.iter().map(|x| x.actor.clone()).collect::<Vec<_>>())
    .bind(e.iter().map(|x| x.target.clone()).collect::<Vec<_>>())
    .bind(e.iter().map(|x| x.app_id.clone()).collect::<Vec<_>>())
    .bind(e.iter().map(|x| x.org_id.clone()).collect::<Vec<_>>())
    .bind(e.iter().map(|x| x.client_addr.clone()).collect::<Vec<_>>())
    .bind(e.iter().map(|x| x.detail.clone()).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await
    .db()?;
    let t = &d.admin_tokens;
    sqlx::query(
        "INSERT INTO admin_tokens (id, name, hash, created_at, revoked_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::bigint[], $5::bigint[])",
    )
    .bind(t.iter().map(|x| x.token.id.clone()).collect::<Vec<_>>())
    .bind(t.iter().map(|x| x.token.name.clone()).collect::<Vec<_>>())
    .bind(bytes(t.iter().map(|x| &x.hash)))
    .bind(t.iter().map(|x| x.token.created_at).collect::<Vec<_>>())
    .bind(t.iter().map(|x| x.token.revoked_at).collect::<Vec<_>>())
    .execute(&mut *conn)
    .await
    .db()?;
    Ok(())
}
