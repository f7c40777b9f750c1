//! Bulk seeding for benchmarks: many authorizations with their codes and refresh tokens in one
//! transaction of multi-row `INSERT`s.
//!
//! This is not a use case and not part of the `Store` contract: it appends nothing to the change
//! feed and checks nothing a real grant checks. It exists so `keygate-bench seed` can put a
//! million authorizations in a database in seconds instead of a million fsynced transactions.
//!
//! A seed runs between [`BulkSeed::begin_bulk_seed`] and [`BulkSeed::end_bulk_seed`]. In between,
//! the writer does not wait for the disk at each batch's COMMIT (`synchronous=OFF`), and when the
//! three tables start empty their secondary indexes are dropped and built again at the end (one
//! sort each instead of a million inserts at random places). `end_bulk_seed` puts
//! `synchronous=FULL` back and checkpoints the WAL into the database file, synced, before the
//! file is handed to a server. A seed interrupted in between leaves a database to throw away.

use keygate_core::clock::UnixTime;
use keygate_core::ids::SecretId;
use keygate_core::model::{NewAuthorization, NewCode, NewRefreshToken};
use keygate_core::StoreError;
use keygate_store_sql::error::DbResultExt;
use keygate_store_sql::Engine;
use sqlx::{QueryBuilder, Sqlite};

use crate::SqliteStore;

/// Rows per `INSERT` statement (8 bound values each stays far below SQLite's variable limit).
const ROWS_PER_STATEMENT: usize = 500;
/// The writer's page cache while seeding, in KiB (SQLite reads a negative `cache_size` as KiB):
/// keys are random (ids, hashes), so each insert lands on a random page of every index, and
/// with SQLite's default 2 MiB cache a million authorizations spend most of their time reading
/// back pages just evicted. Enough for the whole database of a million-authorization seed; the
/// memory is taken only as pages are used, and only by the seeding process.
const SEED_CACHE_KIB: i64 = 1 << 20;

/// One seeded authorization: the authorization, its code (redeemed or not) and optionally the
/// live end of its refresh-token chain.
#[derive(Debug, Clone)]
pub struct SeedAuthorization {
    /// The authorization.
    pub authorization: NewAuthorization,
    /// The client secret version that exchanged its code.
    pub secret_id: Option<SecretId>,
    /// Its authorization code.
    pub code: NewCode,
    /// When the code was redeemed, if it was.
    pub code_used_at: Option<UnixTime>,
    /// Its live refresh token, if the code was redeemed.
    pub refresh: Option<NewRefreshToken>,
}

/// What [`BulkSeed::begin_bulk_seed`] changed, for [`BulkSeed::end_bulk_seed`] to restore.
#[derive(Debug)]
#[must_use = "end the seed with `end_bulk_seed`, which restores the indexes and synchronous=FULL"]
pub struct SeedSession {
    /// The `CREATE INDEX` statements of the indexes dropped for the seed.
    dropped_indexes: Vec<String>,
}

impl SeedSession {
    /// How many secondary indexes were dropped, to be built again at the end.
    pub fn dropped_indexes(&self) -> usize {
        self.dropped_indexes.len()
    }
}

/// The tables a seed fills.
const SEEDED_TABLES: [&str; 3] = ["authorizations", "codes", "refresh_tokens"];

/// Bulk seeding on a [`SqliteStore`], for benchmarks (`keygate-bench seed`).
///
/// Inserts are fastest in primary-key order (authorization ids, code and refresh hashes
/// ascending, across batches): every B-tree insert is then an append to its last page.
pub trait BulkSeed {
    /// Prepares the writer for a bulk seed: a 1 GiB page cache, `synchronous=OFF`, and, when
    /// `authorizations`, `codes` and `refresh_tokens` are all empty, their secondary indexes
    /// dropped (kept in the session, to be built again by `end_bulk_seed`).
    fn begin_bulk_seed(
        &self,
    ) -> impl std::future::Future<Output = Result<SeedSession, StoreError>> + Send;

    /// Ends a bulk seed: builds the dropped indexes again, puts `synchronous=FULL` back and
    /// checkpoints the WAL into the database file (synced), so the file is durable and complete
    /// before a server opens it.
    fn end_bulk_seed(
        &self,
        session: SeedSession,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;

    /// Inserts seeded authorizations, their codes and refresh tokens in one write transaction.
    /// For benchmark seeding only: nothing is announced on the change feed. `Conflict` when a
    /// row already exists (the whole batch is rolled back).
    fn bulk_insert_seed_authorizations(
        &self,
        rows: &[SeedAuthorization],
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
}

impl BulkSeed for SqliteStore {
    async fn begin_bulk_seed(&self) -> Result<SeedSession, StoreError> {
        // The writer pool has one connection, so every statement here and in the inserts runs
        // on that one connection, which keeps these per-connection settings until the end.
        let writer = &self.engine().writer;
        sqlx::query(&format!("PRAGMA cache_size = -{SEED_CACHE_KIB}"))
            .execute(writer)
            .await
            .db()?;
        sqlx::query("PRAGMA synchronous = OFF")
            .execute(writer)
            .await
            .db()?;
        let mut tx = self.engine().begin().await?;
        let mut empty = true;
        for table in SEEDED_TABLES {
            let any: bool = sqlx::query_scalar(&format!("SELECT EXISTS (SELECT 1 FROM {table})"))
                .fetch_one(&mut *tx)
                .await
                .db()?;
            empty &= !any;
        }
        let mut dropped_indexes = Vec::new();
        if empty {
            // Indexes SQLite made itself (primary keys, UNIQUE) have no SQL and stay.
            let indexes: Vec<(String, String)> = sqlx::query_as(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
                 AND tbl_name IN ('authorizations', 'codes', 'refresh_tokens') ORDER BY name",
            )
            .fetch_all(&mut *tx)
            .await
            .db()?;
            for (name, sql) in indexes {
                sqlx::query(&format!("DROP INDEX \"{}\"", name.replace('"', "\"\"")))
                    .execute(&mut *tx)
                    .await
                    .db()?;
                dropped_indexes.push(sql);
            }
        }
        tx.commit().await.db()?;
        Ok(SeedSession { dropped_indexes })
    }

    async fn end_bulk_seed(&self, session: SeedSession) -> Result<(), StoreError> {
        let writer = &self.engine().writer;
        let mut tx = self.engine().begin().await?;
        for sql in &session.dropped_indexes {
            sqlx::query(sql).execute(&mut *tx).await.db()?;
        }
        tx.commit().await.db()?;
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(writer)
            .await
            .db()?;
        // Copies the whole WAL into the database file and syncs it (the checkpointer's PASSIVE
        // runs may have been left behind by the seed's pace).
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(writer)
            .await
            .db()?;
        Ok(())
    }

    async fn bulk_insert_seed_authorizations(
        &self,
        rows: &[SeedAuthorization],
    ) -> Result<(), StoreError> {
        let mut tx = self.engine().begin().await?;
        for chunk in rows.chunks(ROWS_PER_STATEMENT) {
            let mut q: QueryBuilder<'_, Sqlite> = QueryBuilder::new(
                "INSERT INTO authorizations (id, user_id, app_id, scopes, created_at, revoked_at, secret_id) ",
            );
            q.push_values(chunk, |mut b, r| {
                let a = &r.authorization;
                b.push_bind(a.id.to_string())
                    .push_bind(a.user_id.to_string())
                    .push_bind(a.app_id.to_string())
                    .push_bind(a.scopes.to_string())
                    .push_bind(a.created_at)
                    .push("NULL")
                    .push_bind(r.secret_id.map(|s| s.to_string()));
            });
            q.build()
                .execute(&mut *tx)
                .await
                .or_conflict("authorization")?;

            let mut q: QueryBuilder<'_, Sqlite> = QueryBuilder::new(
                "INSERT INTO codes (hash, authorization_id, redirect_uri, code_challenge, expires_at, used_at) ",
            );
            q.push_values(chunk, |mut b, r| {
                b.push_bind(r.code.hash.as_bytes().to_vec())
                    .push_bind(r.authorization.id.to_string())
                    .push_bind(r.code.redirect_uri.clone())
                    .push_bind(r.code.code_challenge.clone())
                    .push_bind(r.code.expires_at)
                    .push_bind(r.code_used_at);
            });
            q.build().execute(&mut *tx).await.or_conflict("code")?;

            let refresh: Vec<&NewRefreshToken> =
                chunk.iter().filter_map(|r| r.refresh.as_ref()).collect();
            if refresh.is_empty() {
                continue;
            }
            let mut q: QueryBuilder<'_, Sqlite> = QueryBuilder::new(
                "INSERT INTO refresh_tokens (hash, access_id, authorization_id, parent_hash, secret_id, created_at, expires_at, used_at) ",
            );
            q.push_values(refresh, |mut b, t| {
                b.push_bind(t.hash.as_bytes().to_vec())
                    .push_bind(t.access_id.to_string())
                    .push_bind(t.authorization_id.to_string())
                    .push("NULL")
                    .push_bind(t.secret_id.map(|s| s.to_string()))
                    .push_bind(t.created_at)
                    .push_bind(t.expires_at)
                    .push("NULL");
            });
            q.build()
                .execute(&mut *tx)
                .await
                .or_conflict("refresh token")?;
        }
        tx.commit().await.db()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use keygate_core::ids::{AccessId, AppId, AuthorizationId, UserId};
    use keygate_core::scopes::ScopeSet;
    use keygate_core::secrets::TokenHash;
    use keygate_core::Store;

    use super::*;

    fn seeded(user: UserId, app: AppId, secret: SecretId, i: usize) -> SeedAuthorization {
        let id = AuthorizationId::new_random();
        SeedAuthorization {
            authorization: NewAuthorization {
                id,
                user_id: user,
                app_id: app,
                scopes: ScopeSet::parse("vso.profile").expect("scope"),
                created_at: 100,
            },
            secret_id: Some(secret),
            code: NewCode {
                hash: TokenHash::of(&format!("code {i}")),
                redirect_uri: "https://localhost/cb".into(),
                code_challenge: None,
                expires_at: 1000,
            },
            code_used_at: Some(110),
            refresh: Some(NewRefreshToken {
                hash: TokenHash::of(&format!("refresh {i}")),
                access_id: AccessId::new_random(),
                authorization_id: id,
                secret_id: Some(secret),
                created_at: 110,
                expires_at: 100_000,
            }),
        }
    }

    /// A user and a confidential app of theirs with one secret version, as the seeder expects.
    async fn user_and_app(store: &SqliteStore) -> (UserId, AppId, SecretId) {
        let user = keygate_store_conformance::fixtures::user(store, "seed@example.com").await;
        let app = keygate_store_conformance::fixtures::app(store, user.id, "A").await;
        (user.id, app.app.id, app.secret.id)
    }

    #[tokio::test]
    async fn seeded_authorizations_are_found_like_granted_ones() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("keygate.db").display());
        let store = SqliteStore::connect(&url).await.expect("connect");
        let (user, app, secret) = user_and_app(&store).await;
        let rows: Vec<SeedAuthorization> =
            (0..1200).map(|i| seeded(user, app, secret, i)).collect();
        store
            .bulk_insert_seed_authorizations(&rows)
            .await
            .expect("bulk insert");

        let code = store
            .code_by_hash(TokenHash::of("code 1199"))
            .await
            .expect("code")
            .expect("stored");
        assert_eq!(code.used_at, Some(110));
        let refresh = store
            .refresh_by_hash(TokenHash::of("refresh 7"))
            .await
            .expect("refresh")
            .expect("stored");
        assert_eq!(refresh.authorization_id, rows[7].authorization.id);
        assert_eq!(refresh.used_at, None);

        let again = store.bulk_insert_seed_authorizations(&rows[..1]).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

        // Not empty any more: a second seed keeps every index.
        let session = store.begin_bulk_seed().await.expect("begin");
        assert_eq!(session.dropped_indexes(), 0);
        store.end_bulk_seed(session).await.expect("end");
    }

    async fn index_names(store: &SqliteStore) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'index' \
             AND tbl_name IN ('authorizations', 'codes', 'refresh_tokens') ORDER BY name",
        )
        .fetch_all(&store.engine().writer)
        .await
        .expect("indexes")
    }

    #[tokio::test]
    async fn a_seed_of_a_fresh_file_drops_and_rebuilds_the_indexes_and_syncs_fully_again() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("keygate.db").display());
        let store = SqliteStore::connect(&url).await.expect("connect");
        let (user, app, secret) = user_and_app(&store).await;
        let before = index_names(&store).await;

        let session = store.begin_bulk_seed().await.expect("begin");
        assert!(session.dropped_indexes() >= 5, "{session:?}");
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&store.engine().writer)
            .await
            .expect("pragma");
        assert_eq!(synchronous, 0, "OFF while seeding");
        let rows: Vec<SeedAuthorization> = (0..100).map(|i| seeded(user, app, secret, i)).collect();
        store
            .bulk_insert_seed_authorizations(&rows)
            .await
            .expect("bulk insert");
        store.end_bulk_seed(session).await.expect("end");

        assert_eq!(index_names(&store).await, before);
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&store.engine().writer)
            .await
            .expect("pragma");
        assert_eq!(synchronous, 2, "FULL again");
        let refresh = store
            .refresh_by_hash(TokenHash::of("refresh 42"))
            .await
            .expect("refresh")
            .expect("stored");
        assert_eq!(refresh.authorization_id, rows[42].authorization.id);
    }
}
