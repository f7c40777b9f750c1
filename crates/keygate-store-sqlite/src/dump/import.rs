//! Writing a dump into an empty database, table by table, in one write transaction.

use keygate_core::dump::Dump;
use keygate_core::StoreError;
use sqlx::SqliteConnection;

use crate::error::DbResultExt;
use crate::SqliteStore;

/// Every table a dump fills, as named in the schema.
const TABLES: &[&str] = &[
    "users",
    "sign_in_failures",
    "orgs",
    "org_members",
    "projects",
    "repositories",
    "sessions",
    "settings",
    "signing_keys",
    "apps",
    "client_secrets",
    "authorizations",
    "codes",
    "refresh_tokens",
    "changes",
    "builds",
    "work_items",
    "audit_events",
    "admin_tokens",
];

/// Fails with `Conflict("data")` unless every table is empty.
async fn require_empty(conn: &mut SqliteConnection) -> Result<(), StoreError> {
    let any = TABLES
        .iter()
        .map(|t| format!("SELECT 1 FROM {t}"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let found: Option<i64> = sqlx::query_scalar(&format!("SELECT 1 WHERE EXISTS ({any})"))
        .fetch_optional(conn)
        .await
        .db()?;
    match found {
        Some(_) => Err(StoreError::Conflict("data")),
        None => Ok(()),
    }
}

pub(crate) async fn import_dump(store: &SqliteStore, d: Dump) -> Result<(), StoreError> {
    let mut tx = store.write().await?;
    // Foreign keys are checked at commit, so a refresh token may come before its parent.
    sqlx::query("PRAGMA defer_foreign_keys = ON")
        .execute(&mut *tx)
        .await
        .db()?;
    require_empty(&mut tx).await?;
    for u in &d.users {
        sqlx::query(
            "INSERT INTO users (id, email, display_name, public_alias, password_hash, created_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(u.user.id.to_string())
        .bind(&u.user.email)
        .bind(&u.user.display_name)
        .bind(&u.user.public_alias)
        .bind(&u.password_hash)
        .bind(u.user.created_at)
        .execute(&mut *tx)
        .await
        .db()?;
    }
    for f in &d.sign_in_failures {
        sqlx::query("INSERT INTO sign_in_failures (email, at) VALUES (?, ?)")
            .bind(&f.email)
            .bind(f.at)
            .execute(&mut *tx)
            .await
            .db()?;
    }
    for o in &d.orgs {
        sqlx::query(
            "INSERT INTO orgs (id, name, owner_id, third_party_oauth_allowed, created_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(o.id.to_string())
        .bind(&o.name)
        .bind(o.owner_id.to_string())
        .bind(o.third_party_oauth_allowed)
        .bind(o.created_at)
        .execute(&mut *tx)
        .await
        .db()?;
    }
    for m in &d.org_members {
        sqlx::query("INSERT INTO org_members (org_id, user_id) VALUES (?, ?)")
            .bind(m.org_id.to_string())
            .bind(m.user_id.to_string())
            .execute(&mut *tx)
            .await
            .db()?;
    }
    for p in &d.projects {
        sqlx::query(
            "INSERT INTO projects (id, org_id, name, description, created_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(p.id.to_string())
        .bind(p.org_id.to_string())
        .bind(&p.name)
        .bind(&p.description)
        .bind(p.created_at)
        .execute(&mut *tx)
        .await
        .db()?;
    }
    for r in &d.repositories {
        sqlx::query(
            "INSERT INTO repositories (id, project_id, name, default_branch) VALUES (?, ?, ?, ?)",
        )
        .bind(r.id.to_string())
        .bind(r.project_id.to_string())
        .bind(&r.name)
        .bind(&r.default_branch)
        .execute(&mut *tx)
        .await
        .db()?;
    }
    for s in &d.sessions {
        sqlx::query(
            "INSERT INTO sessions (hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(s.hash.as_bytes())
        .bind(s.user_id.to_string())
        .bind(s.created_at)
        .bind(s.expires_at)
        .execute(&mut *tx)
        .await
        .db()?;
    }
    for s in &d.settings {
        sqlx::query("INSERT INTO settings (name, value) VALUES (?, ?)")
            .bind(&s.name)
            .bind(&s.value)
            .execute(&mut *tx)
            .await
            .db()?;
    }
    for k in &d.signing_keys {
        sqlx::query(
            "INSERT INTO signing_keys (kid, algorithm, private_der, state, created_at, retired_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(&k.kid)
        .bind(&k.algorithm)
        .bind(&k.private_der)
        .bind(&k.state)
        .bind(k.created_at)
        .bind(k.retired_at)
        .execute(&mut *tx)
        .await
        .db()?;
    }
    super::import_apps::import_apps(&mut tx, &d).await?;
    tx.commit().await.db()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::TABLES;

    #[test]
    fn the_import_covers_every_table_a_dump_counts() {
        let counted: Vec<&str> = keygate_core::dump::Dump::default()
            .counts()
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        assert_eq!(counted, TABLES);
    }
}
