//! Writing a dump into an empty database: one `unnest` insert per table, parents first, in one
//! transaction, then the identity sequences moved past the copied numbers.
//!
//! Foreign keys are checked at the end of each statement, so a table that refers to itself
//! (refresh tokens and their parents) goes in with one statement in any row order.

use keygate_core::dump::Dump;
use keygate_core::StoreError;
use sqlx::PgConnection;

use super::ids;
use crate::error::DbResultExt;
use crate::PgStore;

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
async fn require_empty(conn: &mut PgConnection) -> Result<(), StoreError> {
    let any = TABLES
        .iter()
        .map(|t| format!("SELECT 1 FROM {t}"))
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    let found: Option<i32> = sqlx::query_scalar(&format!("SELECT 1 WHERE EXISTS ({any})"))
        .fetch_optional(conn)
        .await
        .db()?;
    match found {
        Some(_) => Err(StoreError::Conflict("data")),
        None => Ok(()),
    }
}

pub(crate) async fn import_dump(store: &PgStore, d: Dump) -> Result<(), StoreError> {
    let mut tx = store.write().await?;
    // Nothing else may write while the copy goes in: a node started on this database by mistake
    // waits for the copy instead of interleaving with it.
    sqlx::query(&format!(
        "LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE",
        TABLES.join(", ")
    ))
    .execute(&mut *tx)
    .await
    .db()?;
    require_empty(&mut tx).await?;

    sqlx::query(
        "INSERT INTO users (id, email, display_name, public_alias, password_hash, created_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                              $6::bigint[])",
    )
    .bind(ids(d.users.iter().map(|u| u.user.id)))
    .bind(
        d.users
            .iter()
            .map(|u| u.user.email.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        d.users
            .iter()
            .map(|u| u.user.display_name.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        d.users
            .iter()
            .map(|u| u.user.public_alias.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        d.users
            .iter()
            .map(|u| u.password_hash.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        d.users
            .iter()
            .map(|u| u.user.created_at)
            .collect::<Vec<_>>(),
    )
    .execute(&mut *tx)
    .await
    .db()?;
    sqlx::query(
        "INSERT INTO sign_in_failures (email, at)
         SELECT * FROM unnest($1::text[], $2::bigint[])",
    )
    .bind(
        d.sign_in_failures
            .iter()
            .map(|f| f.email.clone())
            .collect::<Vec<_>>(),
    )
    .bind(d.sign_in_failures.iter().map(|f| f.at).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await
    .db()?;
    sqlx::query(
        "INSERT INTO orgs (id, name, owner_id, third_party_oauth_allowed, created_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::bigint[])",
    )
    .bind(ids(d.orgs.iter().map(|o| o.id)))
    .bind(d.orgs.iter().map(|o| o.name.clone()).collect::<Vec<_>>())
    .bind(ids(d.orgs.iter().map(|o| o.owner_id)))
    .bind(
        d.orgs
            .iter()
            .map(|o| o.third_party_oauth_allowed)
            .collect::<Vec<_>>(),
    )
    .bind(d.orgs.iter().map(|o| o.created_at).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await
    .db()?;
    sqlx::query(
        "INSERT INTO org_members (org_id, user_id) SELECT * FROM unnest($1::text[], $2::text[])",
    )
    .bind(ids(d.org_members.iter().map(|m| m.org_id)))
    .bind(ids(d.org_members.iter().map(|m| m.user_id)))
    .execute(&mut *tx)
    .await
    .db()?;
    sqlx::query(
        "INSERT INTO projects (id, org_id, name, description, created_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[])",
    )
    .bind(ids(d.projects.iter().map(|p| p.id)))
    .bind(ids(d.projects.iter().map(|p| p.org_id)))
    .bind(
        d.projects
            .iter()
            .map(|p| p.name.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        d.projects
            .iter()
            .map(|p| p.description.clone())
            .collect::<Vec<_>>(),
    )
    .bind(d.projects.iter().map(|p| p.created_at).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await
    .db()?;
    sqlx::query(
        "INSERT INTO repositories (id, project_id, name, default_branch)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])",
    )
    .bind(ids(d.repositories.iter().map(|r| r.id)))
    .bind(ids(d.repositories.iter().map(|r| r.project_id)))
    .bind(
        d.repositories
            .iter()
            .map(|r| r.name.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        d.repositories
            .iter()
            .map(|r| r.default_branch.clone())
            .collect::<Vec<_>>(),
    )
    .execute(&mut *tx)
    .await
    .db()?;
    sqlx::query(
        "INSERT INTO sessions (hash, user_id, created_at, expires_at)
         SELECT * FROM unnest($1::bytea[], $2::text[], $3::bigint[], $4::bigint[])",
    )
    .bind(
        d.sessions
            .iter()
            .map(|s| s.hash.0.to_vec())
            .collect::<Vec<_>>(),
    )
    .bind(ids(d.sessions.iter().map(|s| s.user_id)))
    .bind(d.sessions.iter().map(|s| s.created_at).collect::<Vec<_>>())
    .bind(d.sessions.iter().map(|s| s.expires_at).collect::<Vec<_>>())
    .execute(&mut *tx)
    .await
    .db()?;
    sqlx::query("INSERT INTO settings (name, value) SELECT * FROM unnest($1::text[], $2::bytea[])")
        .bind(
            d.settings
                .iter()
                .map(|s| s.name.clone())
                .collect::<Vec<_>>(),
        )
        .bind(
            d.settings
                .iter()
                .map(|s| s.value.clone())
                .collect::<Vec<_>>(),
        )
        .execute(&mut *tx)
        .await
        .db()?;
    sqlx::query(
        "INSERT INTO signing_keys (kid, algorithm, private_der, state, created_at, retired_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::text[], $5::bigint[],
                              $6::bigint[])",
    )
    .bind(
        d.signing_keys
            .iter()
            .map(|k| k.kid.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        d.signing_keys
            .iter()
            .map(|k| k.algorithm.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        d.signing_keys
            .iter()
            .map(|k| k.private_der.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        d.signing_keys
            .iter()
            .map(|k| k.state.clone())
            .collect::<Vec<_>>(),
    )
    .bind(
        d.signing_keys
            .iter()
            .map(|k| k.created_at)
            .collect::<Vec<_>>(),
    )
    .bind(
        d.signing_keys
            .iter()
            .map(|k| k.retired_at)
            .collect::<Vec<_>>(),
    )
    .execute(&mut *tx)
    .await
    .db()?;
    super::import_apps::import_apps(&mut tx, &d).await?;
    move_sequences(&mut tx).await?;
    tx.commit().await.db()?;
    Ok(())
}

/// Moves each identity past the highest number copied, so new rows continue the numbering.
async fn move_sequences(conn: &mut PgConnection) -> Result<(), StoreError> {
    for (table, column) in [
        ("changes", "seq"),
        ("builds", "id"),
        ("work_items", "id"),
        ("audit_events", "id"),
    ] {
        sqlx::query(&format!(
            "SELECT setval(pg_get_serial_sequence('{table}', '{column}'),
                           COALESCE(MAX({column}), 0) + 1, false)
             FROM {table}"
        ))
        .execute(&mut *conn)
        .await
        .db()?;
    }
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
