//! Users, failed sign-ins and browser sessions.

use keygate_core::clock::UnixTime;
use keygate_core::ids::UserId;
use keygate_core::model::{NewSession, NewUser, User, UserCredentials};
use keygate_core::secrets::TokenHash;
use keygate_core::StoreError;
use sqlx::SqliteConnection;

use crate::error::DbResultExt;
use crate::rows;
use crate::SqliteStore;

/// The columns of [`UserRow`], for selects that name `users` as `u`.
macro_rules! user_columns {
    () => {
        "u.id, u.email, u.display_name, u.public_alias, u.created_at"
    };
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    email: String,
    display_name: String,
    public_alias: String,
    created_at: i64,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(r: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            id: rows::id(&r.id, "users.id")?,
            email: r.email,
            display_name: r.display_name,
            public_alias: r.public_alias,
            created_at: r.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct CredentialsRow {
    #[sqlx(flatten)]
    user: UserRow,
    password_hash: String,
}

pub(crate) async fn create_user(store: &SqliteStore, user: NewUser) -> Result<User, StoreError> {
    sqlx::query(
        "INSERT INTO users (id, email, display_name, public_alias, password_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(user.id.to_string())
    .bind(&user.email)
    .bind(&user.display_name)
    .bind(&user.public_alias)
    .bind(&user.password_hash)
    .bind(user.created_at)
    .execute(&store.writer)
    .await
    .or_conflict("user")?;
    Ok(User {
        id: user.id,
        email: user.email,
        display_name: user.display_name,
        public_alias: user.public_alias,
        created_at: user.created_at,
    })
}

pub(crate) async fn user_credentials(
    store: &SqliteStore,
    email: &str,
) -> Result<Option<UserCredentials>, StoreError> {
    let row: Option<CredentialsRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        ", u.password_hash FROM users u WHERE u.email = ?"
    ))
    .bind(email)
    .fetch_optional(&store.reader)
    .await
    .db()?;
    row.map(|r| {
        Ok(UserCredentials {
            user: r.user.try_into()?,
            password_hash: r.password_hash,
        })
    })
    .transpose()
}

pub(crate) async fn user_by_email(
    store: &SqliteStore,
    email: &str,
) -> Result<Option<User>, StoreError> {
    let row: Option<UserRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users u WHERE u.email = ?"
    ))
    .bind(email)
    .fetch_optional(&store.reader)
    .await
    .db()?;
    row.map(User::try_from).transpose()
}

pub(crate) async fn user_by_id(
    store: &SqliteStore,
    id: UserId,
) -> Result<Option<User>, StoreError> {
    let row: Option<UserRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM users u WHERE u.id = ?"
    ))
    .bind(id.to_string())
    .fetch_optional(&store.reader)
    .await
    .db()?;
    row.map(User::try_from).transpose()
}

pub(crate) async fn record_sign_in_failure(
    store: &SqliteStore,
    email: &str,
    at: UnixTime,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO sign_in_failures (email, at) VALUES (?, ?)")
        .bind(email)
        .bind(at)
        .execute(&store.writer)
        .await
        .db()?;
    Ok(())
}

pub(crate) async fn sign_in_failures_since(
    store: &SqliteStore,
    email: &str,
    since: UnixTime,
) -> Result<u32, StoreError> {
    let count: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sign_in_failures WHERE email = ? AND at >= ?")
            .bind(email)
            .bind(since)
            .fetch_one(&store.reader)
            .await
            .db()?;
    Ok(u32::try_from(count).unwrap_or(u32::MAX))
}

pub(crate) async fn create_session(
    store: &SqliteStore,
    session: NewSession,
) -> Result<(), StoreError> {
    // Every sign-in writes one: grouped with the token grants, it shares their fsync.
    store
        .group
        .run(move |conn| Box::pin(insert_session(conn, session)))
        .await
}

async fn insert_session(
    conn: &mut SqliteConnection,
    session: NewSession,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO sessions (hash, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)")
        .bind(session.hash.as_bytes())
        .bind(session.user_id.to_string())
        .bind(session.created_at)
        .bind(session.expires_at)
        .execute(conn)
        .await
        .or_conflict("session")?;
    Ok(())
}

pub(crate) async fn session_user(
    store: &SqliteStore,
    hash: TokenHash,
    now: UnixTime,
) -> Result<Option<User>, StoreError> {
    let row: Option<UserRow> = sqlx::query_as(concat!(
        "SELECT ",
        user_columns!(),
        " FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ? AND s.expires_at > ?"
    ))
    .bind(hash.as_bytes())
    .bind(now)
    .fetch_optional(&store.reader)
    .await
    .db()?;
    row.map(User::try_from).transpose()
}

pub(crate) async fn delete_session(store: &SqliteStore, hash: TokenHash) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM sessions WHERE hash = ?")
        .bind(hash.as_bytes())
        .execute(&store.writer)
        .await
        .db()?;
    Ok(())
}
