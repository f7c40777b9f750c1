//! Copies the write-ahead log back into the database file off the writer's path.
//!
//! By default SQLite checkpoints inside the commit that pushes the WAL past 1000 pages, so one
//! unlucky token grant (and every grant batched behind it) waits for pages to be written all over
//! the database file and synced. The writer instead runs with automatic checkpoints off, and this
//! task checkpoints on its own connection every [`INTERVAL`] in `PASSIVE` mode, which never blocks
//! the writer or the readers: it copies what no reader still needs, and the writer reuses the log
//! from the start once a checkpoint has caught up.

use std::time::Duration;

use sqlx::SqlitePool;

/// How often the log is copied back.
pub(crate) const INTERVAL: Duration = Duration::from_millis(250);

/// Checkpoints through `pool` (its own connection) until the pool is closed.
pub(crate) fn start(pool: SqlitePool) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(INTERVAL);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if pool.is_closed() {
                break;
            }
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await
            {
                if pool.is_closed() {
                    break;
                }
                tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use keygate_core::ids::UserId;
    use keygate_core::model::NewUser;
    use keygate_core::Store;

    use crate::SqliteStore;

    #[tokio::test]
    async fn committed_writes_reach_the_database_file_without_closing_the_store() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("keygate.db");
        let store = SqliteStore::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("connect");
        let autocheckpoint: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
            .fetch_one(&store.engine().writer)
            .await
            .expect("pragma");
        assert_eq!(
            autocheckpoint, 0,
            "the writer leaves checkpoints to the task"
        );
        for i in 0..200 {
            store
                .create_user(NewUser {
                    id: UserId::new_random(),
                    email: format!("user{i}@example.com"),
                    display_name: format!("User {i} {}", "x".repeat(200)),
                    public_alias: format!("user{i}"),
                    password_hash: "$argon2id$...".to_owned(),
                    created_at: 1_700_000_000,
                })
                .await
                .expect("user");
        }
        // The main file only grows when a checkpoint copies the log into it.
        let mut size = 0;
        for _ in 0..100 {
            size = std::fs::metadata(&path).expect("db file").len();
            if size > 64 * 1024 {
                break;
            }
            tokio::time::sleep(super::INTERVAL / 5).await;
        }
        assert!(size > 64 * 1024, "database file still {size} bytes");
        store.close().await;
    }
}
