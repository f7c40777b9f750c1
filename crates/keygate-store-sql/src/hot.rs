//! The hot single-use writes (consent, code redemption, refresh rotation, new session) and the
//! token endpoint's two lookups by hash as plain data, and their usual outcome written against a
//! synchronous connection, for an engine that
//! runs them on a writer thread of its own (SQLite: a whole batch in one transaction, one fsync,
//! and no hand-off between threads per statement).
//!
//! Only the path nearly every request takes is written here: the credential is spendable, the
//! rows are new. Whatever else happens (the credential was spent already, the client's secret
//! was retired, a statement fails), [`HotWrite::run`] says it declined or fails before
//! anything of the write is left in the transaction, and the caller runs the write again
//! through the general path in `sql/`, which tells the cases apart, revokes, audits and
//! announces. The statements and the bound rows are the ones the general path uses.

use keygate_core::clock::UnixTime;
use keygate_core::model::{
    CodeRecord, NewAuditEvent, NewAuthorization, NewCode, NewRefreshToken, NewSession,
    RefreshRecord,
};
use keygate_core::secrets::TokenHash;
use keygate_core::StoreError;

use crate::arg::opt_text;
use crate::rows::accounts::SessionRow;
use crate::rows::grants::{
    AuthorizationRow, CodeLookupRow, CodeRow, RefreshLookupRow, RefreshTokenRow,
};
use crate::rows::operations::AuditRow;
use crate::sql::grants::{
    CODE_LOOKUP, CODE_SPEND, REFRESH_LOOKUP, REFRESH_SPEND, SET_EXCHANGING_SECRET,
};
use crate::table::Table;
use crate::Arg;

/// One hot write, with everything it stores.
#[derive(Debug, Clone)]
pub enum HotWrite {
    /// A consent: the authorization, its code, and the audit event of the consent.
    Consent {
        /// The authorization.
        authorization: NewAuthorization,
        /// Its code.
        code: NewCode,
        /// The consent's audit event.
        event: NewAuditEvent,
    },
    /// A code exchanged for the first refresh token of its authorization.
    Redeem {
        /// The code's hash.
        code: TokenHash,
        /// The first refresh token.
        refresh: NewRefreshToken,
        /// When.
        now: UnixTime,
    },
    /// A refresh token exchanged for its successor.
    Rotate {
        /// The spent token's hash.
        old: TokenHash,
        /// The successor.
        successor: NewRefreshToken,
        /// When.
        now: UnixTime,
    },
    /// A sign-in's session.
    Session(NewSession),
}

/// A connection that runs one statement at a time, synchronously, binding `$1, $2, ...` by
/// number (the placeholders the shared statements use).
pub trait SyncConn {
    /// What a failed statement reports.
    type Error;

    /// Runs a statement to its end; returns how many rows it changed.
    fn execute(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<u64, Self::Error>;

    /// The first column of the first row as text, if there is a row.
    fn fetch_text(&mut self, sql: &str, args: &[Arg<'_>]) -> Result<Option<String>, Self::Error>;

    /// Every column of the first row, if there is a row.
    fn fetch_cells(
        &mut self,
        sql: &str,
        args: &[Arg<'_>],
    ) -> Result<Option<Vec<Cell>>, Self::Error>;
}

/// One column's value as a synchronous connection reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// `NULL`.
    Null,
    /// An integer.
    Int(i64),
    /// Text.
    Text(String),
    /// Anything else (a blob, a real): never in the columns read here.
    Other,
}

/// One of the token endpoint's lookups by hash, for an engine that answers it on a synchronous
/// connection (the same statement and record as `sql::grants`).
pub trait HotRead: Send + 'static {
    /// What the lookup finds.
    type Found: Send + 'static;

    /// Runs the lookup on `conn`.
    fn run<C: SyncConn>(&self, conn: &mut C) -> Result<Self::Found, HotReadError<C::Error>>;
}

/// Why a [`HotRead`] gave no answer.
#[derive(Debug)]
pub enum HotReadError<E> {
    /// The connection failed: the caller reads the general way.
    Conn(E),
    /// A stored value is not what its column should hold.
    Corrupt(StoreError),
}

/// A code by its hash, whatever its state.
#[derive(Debug, Clone, Copy)]
pub struct CodeByHash(pub TokenHash);

impl HotRead for CodeByHash {
    type Found = Option<CodeRecord>;

    fn run<C: SyncConn>(&self, conn: &mut C) -> Result<Self::Found, HotReadError<C::Error>> {
        let cells = conn
            .fetch_cells(CODE_LOOKUP, &[(&self.0).into()])
            .map_err(HotReadError::Conn)?;
        cells
            .map(|cells| code_row(cells).and_then(CodeRecord::try_from))
            .transpose()
            .map_err(HotReadError::Corrupt)
    }
}

/// A refresh token by its hash, whatever its state.
#[derive(Debug, Clone, Copy)]
pub struct RefreshByHash(pub TokenHash);

impl HotRead for RefreshByHash {
    type Found = Option<RefreshRecord>;

    fn run<C: SyncConn>(&self, conn: &mut C) -> Result<Self::Found, HotReadError<C::Error>> {
        let cells = conn
            .fetch_cells(REFRESH_LOOKUP, &[(&self.0).into()])
            .map_err(HotReadError::Conn)?;
        cells
            .map(|cells| refresh_row(cells).and_then(RefreshRecord::try_from))
            .transpose()
            .map_err(HotReadError::Corrupt)
    }
}

/// Takes a row's cells in column order, each checked against its column's type.
struct Cells(std::vec::IntoIter<Cell>);

impl Cells {
    fn text(&mut self, column: &str) -> Result<String, StoreError> {
        match self.0.next() {
            Some(Cell::Text(v)) => Ok(v),
            _ => Err(StoreError::Corrupt(format!("{column} is not text"))),
        }
    }

    fn opt_text(&mut self, column: &str) -> Result<Option<String>, StoreError> {
        match self.0.next() {
            Some(Cell::Text(v)) => Ok(Some(v)),
            Some(Cell::Null) => Ok(None),
            _ => Err(StoreError::Corrupt(format!("{column} is not text"))),
        }
    }

    fn int(&mut self, column: &str) -> Result<i64, StoreError> {
        match self.0.next() {
            Some(Cell::Int(v)) => Ok(v),
            _ => Err(StoreError::Corrupt(format!("{column} is not an integer"))),
        }
    }

    fn opt_int(&mut self, column: &str) -> Result<Option<i64>, StoreError> {
        match self.0.next() {
            Some(Cell::Int(v)) => Ok(Some(v)),
            Some(Cell::Null) => Ok(None),
            _ => Err(StoreError::Corrupt(format!("{column} is not an integer"))),
        }
    }
}

/// A [`CODE_LOOKUP`] row.
fn code_row(cells: Vec<Cell>) -> Result<CodeLookupRow, StoreError> {
    let mut c = Cells(cells.into_iter());
    Ok(CodeLookupRow {
        authorization_id: c.text("codes.authorization_id")?,
        user_id: c.text("authorizations.user_id")?,
        app_id: c.text("authorizations.app_id")?,
        scopes: c.text("authorizations.scopes")?,
        redirect_uri: c.text("codes.redirect_uri")?,
        code_challenge: c.opt_text("codes.code_challenge")?,
        expires_at: c.int("codes.expires_at")?,
        used_at: c.opt_int("codes.used_at")?,
        revoked_at: c.opt_int("authorizations.revoked_at")?,
    })
}

/// A [`REFRESH_LOOKUP`] row.
fn refresh_row(cells: Vec<Cell>) -> Result<RefreshLookupRow, StoreError> {
    let mut c = Cells(cells.into_iter());
    Ok(RefreshLookupRow {
        access_id: c.text("refresh_tokens.access_id")?,
        authorization_id: c.text("refresh_tokens.authorization_id")?,
        user_id: c.text("authorizations.user_id")?,
        app_id: c.text("authorizations.app_id")?,
        scopes: c.text("authorizations.scopes")?,
        expires_at: c.int("refresh_tokens.expires_at")?,
        used_at: c.opt_int("refresh_tokens.used_at")?,
        revoked_at: c.opt_int("authorizations.revoked_at")?,
    })
}

/// How a hot write ended on the fast path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HotOutcome {
    /// Written: the credential was spent and its successor stored, or the rows inserted.
    Written,
    /// Nothing written: the credential could not be spent (already spent, or the secret version
    /// is retired); the general path must tell which.
    Declined,
    /// Spent for a successor of another authorization (never on a sound request): what the
    /// write did must not stand, so the caller rolls the transaction back and the general path
    /// refuses the write.
    RollBack,
}

impl HotWrite {
    /// Runs the write's usual outcome inside the caller's transaction. Only `Written` leaves
    /// anything in it: `Declined` wrote nothing, and after `RollBack` or an error the caller
    /// rolls the transaction back.
    pub fn run<C: SyncConn>(&self, conn: &mut C) -> Result<HotOutcome, C::Error> {
        match self {
            HotWrite::Consent {
                authorization,
                code,
                event,
            } => {
                let code = CodeRow::new(authorization.id, code.clone());
                let authorization = AuthorizationRow::from(authorization.clone());
                conn.execute(AuthorizationRow::insert(), &authorization.bind())?;
                conn.execute(CodeRow::insert(), &code.bind())?;
                let event = AuditRow::new(event);
                conn.execute(AuditRow::insert_numbered(), &event.bind()[1..])?;
                Ok(HotOutcome::Written)
            }
            HotWrite::Redeem { code, refresh, now } => {
                let authorization = match spend(conn, CODE_SPEND, code, refresh, *now)? {
                    Spent::Mine(authorization) => authorization,
                    Spent::Untouched => return Ok(HotOutcome::Declined),
                    Spent::ForAnother => return Ok(HotOutcome::RollBack),
                };
                conn.execute(
                    SET_EXCHANGING_SECRET,
                    &[opt_text(refresh.secret_id), authorization.into()],
                )?;
                let row = RefreshTokenRow::new(refresh, None);
                conn.execute(RefreshTokenRow::insert(), &row.bind())?;
                Ok(HotOutcome::Written)
            }
            HotWrite::Rotate {
                old,
                successor,
                now,
            } => {
                match spend(conn, REFRESH_SPEND, old, successor, *now)? {
                    Spent::Mine(_) => {}
                    Spent::Untouched => return Ok(HotOutcome::Declined),
                    Spent::ForAnother => return Ok(HotOutcome::RollBack),
                }
                let row = RefreshTokenRow::new(successor, Some(old));
                conn.execute(RefreshTokenRow::insert(), &row.bind())?;
                Ok(HotOutcome::Written)
            }
            HotWrite::Session(session) => {
                let row = SessionRow::from(session.clone());
                conn.execute(SessionRow::insert(), &row.bind())?;
                Ok(HotOutcome::Written)
            }
        }
    }
}

/// What the conditional update did.
enum Spent {
    /// Spent by this call, for a successor of the same authorization (its stored id).
    Mine(String),
    /// Not spent: nothing changed.
    Untouched,
    /// Spent, but the successor names another authorization.
    ForAnother,
}

/// Spends a credential for `successor` with the general path's conditional update.
fn spend<C: SyncConn>(
    conn: &mut C,
    statement: &str,
    hash: &TokenHash,
    successor: &NewRefreshToken,
    now: UnixTime,
) -> Result<Spent, C::Error> {
    let spent = conn.fetch_text(
        statement,
        &[now.into(), hash.into(), opt_text(successor.secret_id)],
    )?;
    Ok(match spent {
        None => Spent::Untouched,
        Some(authorization) if authorization == successor.authorization_id.to_string() => {
            Spent::Mine(authorization)
        }
        Some(_) => Spent::ForAnother,
    })
}
