//! Users, failed sign-ins and browser sessions.

use keygate_core::clock::UnixTime;
use keygate_core::ids::UserId;
use keygate_core::model::{NewSession, NewUser, SignInFailures, User, UserCredentials};
use keygate_core::secrets::TokenHash;
use keygate_core::StoreError;

use crate::arg::text;
use crate::conn::Conn;
use crate::error::DbResultExt;
use crate::rows::accounts::{user_columns, SessionRow, SignInFailureRow, UserRow};
use crate::table::Table;

const USER_BY_EMAIL: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE email = $1");
const USER_BY_ID: &str = concat!("SELECT ", user_columns!(), " FROM users WHERE id = $1");
const SESSION_USER: &str = concat!(
    "SELECT ",
    user_columns!(),
    " FROM users WHERE id =
         (SELECT user_id FROM sessions WHERE hash = $1 AND expires_at > $2)"
);

/// Creates a user; `Conflict("user")` when the email is taken.
pub async fn create_user<C: Conn>(conn: &mut C, user: NewUser) -> Result<User, StoreError> {
    let row = UserRow::from(user);
    conn.execute(UserRow::insert(), &row.bind())
        .await
        .or_conflict("user")?;
    User::try_from(row)
}

/// A user with their password hash, by email.
pub async fn user_credentials<C: Conn>(
    conn: &mut C,
    email: &str,
) -> Result<Option<UserCredentials>, StoreError> {
    let row: Option<UserRow> = conn
        .fetch_optional(USER_BY_EMAIL, &[email.into()])
        .await
        .db()?;
    row.map(UserCredentials::try_from).transpose()
}

/// A user by email.
pub async fn user_by_email<C: Conn>(conn: &mut C, email: &str) -> Result<Option<User>, StoreError> {
    let row: Option<UserRow> = conn
        .fetch_optional(USER_BY_EMAIL, &[email.into()])
        .await
        .db()?;
    row.map(User::try_from).transpose()
}

/// A user by id.
pub async fn user_by_id<C: Conn>(conn: &mut C, id: UserId) -> Result<Option<User>, StoreError> {
    let row: Option<UserRow> = conn.fetch_optional(USER_BY_ID, &[text(id)]).await.db()?;
    row.map(User::try_from).transpose()
}

/// Records a failed sign-in.
pub async fn record_sign_in_failure<C: Conn>(
    conn: &mut C,
    email: &str,
    address: &str,
    at: UnixTime,
) -> Result<(), StoreError> {
    let row = SignInFailureRow {
        email: email.to_owned(),
        at,
        address: Some(address.to_owned()),
    };
    conn.execute(SignInFailureRow::insert(), &row.bind())
        .await
        .db()?;
    Ok(())
}

/// The failed sign-ins since `since` for an email, from an address, and for both, in one read
/// (each side served by its own index).
pub async fn sign_in_failures_since<C: Conn>(
    conn: &mut C,
    email: &str,
    address: &str,
    since: UnixTime,
) -> Result<SignInFailures, StoreError> {
    const SQL: &str = "SELECT
             COALESCE(SUM(CASE WHEN email = $1 THEN 1 ELSE 0 END), 0),
             COALESCE(SUM(CASE WHEN address = $2 THEN 1 ELSE 0 END), 0),
             COALESCE(SUM(CASE WHEN email = $1 AND address = $2 THEN 1 ELSE 0 END), 0)
         FROM sign_in_failures WHERE (email = $1 OR address = $2) AND at >= $3";
    let (account, address, pair): (i64, i64, i64) = conn
        .fetch_one(SQL, &[email.into(), address.into(), since.into()])
        .await
        .db()?;
    let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
    Ok(SignInFailures {
        account: count(account),
        address: count(address),
        pair: count(pair),
    })
}

/// Stores a browser session.
pub async fn create_session<C: Conn>(conn: &mut C, session: NewSession) -> Result<(), StoreError> {
    let row = SessionRow::from(session);
    conn.execute(SessionRow::insert(), &row.bind())
        .await
        .or_conflict("session")?;
    Ok(())
}

/// The user of a live session.
pub async fn session_user<C: Conn>(
    conn: &mut C,
    hash: TokenHash,
    now: UnixTime,
) -> Result<Option<User>, StoreError> {
    let row: Option<UserRow> = conn
        .fetch_optional(SESSION_USER, &[(&hash).into(), now.into()])
        .await
        .db()?;
    row.map(User::try_from).transpose()
}

/// When a live session began (its `created_at`), if it is live.
pub async fn session_started<C: Conn>(
    conn: &mut C,
    hash: TokenHash,
    now: UnixTime,
) -> Result<Option<UnixTime>, StoreError> {
    let row: Option<(i64,)> = conn
        .fetch_optional(
            "SELECT created_at FROM sessions WHERE hash = $1 AND expires_at > $2",
            &[(&hash).into(), now.into()],
        )
        .await
        .db()?;
    Ok(row.map(|(at,)| at))
}

/// Ends a session.
pub async fn delete_session<C: Conn>(conn: &mut C, hash: TokenHash) -> Result<(), StoreError> {
    conn.execute("DELETE FROM sessions WHERE hash = $1", &[(&hash).into()])
        .await
        .db()?;
    Ok(())
}
