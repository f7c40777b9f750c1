//! What only the SQLite backend promises: how it opens files, and how it reads a feed written by
//! a newer build.
#![allow(
    clippy::expect_used,
    reason = "test setup: a failure here is a failed test"
)]

use std::str::FromStr;

use keygate_core::ids::UserId;
use keygate_core::model::{ChangeKind, NewUser};
use keygate_core::{Store, StoreError};
use keygate_store_sqlite::SqliteStore;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Row};

fn ada() -> NewUser {
    NewUser {
        id: UserId::new_random(),
        email: "ada@example.com".to_owned(),
        display_name: "Ada".to_owned(),
        public_alias: "ada".to_owned(),
        password_hash: "$argon2id$...".to_owned(),
        created_at: 1_700_000_000,
    }
}

#[tokio::test]
async fn a_sqlite_colon_url_creates_a_missing_file_in_wal_mode() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("new.db");
    let store = SqliteStore::connect(&format!("sqlite:{}", path.display()))
        .await
        .expect("connect");
    store.ping().await.expect("ping");
    assert!(path.exists());
    store.close().await;

    let mut raw = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
        .expect("options")
        .connect()
        .await
        .expect("raw connection");
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut raw)
        .await
        .expect("journal mode");
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn reopening_a_database_keeps_its_data_and_migrates_it_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("keygate.db").display());
    let user = {
        let store = SqliteStore::connect(&url).await.expect("connect");
        let user = store.create_user(ada()).await.expect("create user");
        store.close().await;
        user
    };
    let store = SqliteStore::connect(&url).await.expect("reconnect");
    assert_eq!(
        store.user_by_id(user.id).await.expect("user by id"),
        Some(user)
    );
}

#[tokio::test]
async fn in_memory_databases_are_refused() {
    for url in ["sqlite::memory:", "sqlite://x.db?mode=memory"] {
        let result = SqliteStore::connect(url).await;
        assert!(matches!(result, Err(StoreError::Backend(_))), "{url}");
    }
}

#[tokio::test]
async fn changes_of_a_kind_this_build_does_not_know_come_back_as_unknown() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("keygate.db").display());
    let store = SqliteStore::connect(&url).await.expect("connect");
    let org = keygate_core::ids::OrgId::new_random();

    // A newer build, sharing the file, writes a kind this one has never heard of.
    let mut raw = SqliteConnectOptions::from_str(&url)
        .expect("options")
        .connect()
        .await
        .expect("raw connection");
    for (kind, subject) in [
        ("org_policy_changed", org.to_string()),
        ("from_the_future", "x".to_owned()),
        ("org_policy_changed", org.to_string()),
    ] {
        sqlx::query("INSERT INTO changes (kind, subject, at) VALUES (?, ?, 1)")
            .bind(kind)
            .bind(subject)
            .execute(&mut raw)
            .await
            .expect("insert change");
    }
    let max: i64 = sqlx::query("SELECT MAX(seq) AS m FROM changes")
        .fetch_one(&mut raw)
        .await
        .expect("max seq")
        .get("m");

    // The unknown kind comes back as `Unknown` (so a reader advances past it) between the two
    // kinds this build knows.
    let changes = store.changes_since(0, 10).await.expect("changes");
    let kinds: Vec<ChangeKind> = changes.iter().map(|c| c.kind.clone()).collect();
    assert_eq!(
        kinds,
        [
            ChangeKind::OrgPolicyChanged,
            ChangeKind::Unknown,
            ChangeKind::OrgPolicyChanged
        ]
    );
    assert_eq!(changes[2].seq, max);
    assert_eq!(store.change_head().await.expect("head"), max);
}

#[tokio::test]
async fn a_dump_carries_every_column_of_every_table_of_the_live_schema() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("keygate.db").display());
    let store = SqliteStore::connect(&url).await.expect("connect");
    let gaps = store.dump_schema_gaps().await.expect("schema");
    assert!(
        gaps.is_empty(),
        "keygate db copy would lose data:\n{}",
        gaps.join("\n")
    );
}
