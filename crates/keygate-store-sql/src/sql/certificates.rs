//! Certificates registered on apps, and the single use of client assertions.
//!
//! Adding a certificate locks its app's row first (on PostgreSQL `FOR UPDATE`; SQLite's one
//! writer orders writes anyway), so two concurrent additions cannot both pass the per-app limit.
//! A client assertion is used by one `INSERT ... ON CONFLICT DO NOTHING`: of concurrent inserts
//! of the same key exactly one writes a row, on either engine.

use keygate_core::clock::UnixTime;
use keygate_core::ids::{AppId, CertificateId};
use keygate_core::model::{
    AddedCertificate, AppCertificate, UsedClientAssertion, CERTIFICATES_PER_APP,
};
use keygate_core::StoreError;

use super::apps::lock_app;
use crate::arg::text;
use crate::conn::Conn;
use crate::error::DbResultExt;
use crate::rows::all;
use crate::rows::certificates::{certificate_columns, CertificateRow, UsedAssertionRow};
use crate::table::Table;

/// Stores a certificate unless its app is full, inside the caller's transaction.
pub async fn add_app_certificate<C: Conn>(
    conn: &mut C,
    certificate: AppCertificate,
) -> Result<AddedCertificate, StoreError> {
    lock_app(conn, certificate.app_id).await?;
    let (held,): (i64,) = conn
        .fetch_one(
            "SELECT COUNT(*) FROM app_certificates WHERE app_id = $1",
            &[text(certificate.app_id)],
        )
        .await
        .db()?;
    if usize::try_from(held).unwrap_or(usize::MAX) >= CERTIFICATES_PER_APP {
        return Ok(AddedCertificate::Full);
    }
    let row = CertificateRow::from(certificate);
    conn.execute(CertificateRow::insert(), &row.bind())
        .await
        .or_conflict("certificate")?;
    Ok(AddedCertificate::Added)
}

/// An app's certificates, oldest first.
pub async fn app_certificates<C: Conn>(
    conn: &mut C,
    app: AppId,
) -> Result<Vec<AppCertificate>, StoreError> {
    const SQL: &str = concat!(
        "SELECT ",
        certificate_columns!(),
        " FROM app_certificates WHERE app_id = $1 ORDER BY created_at, id"
    );
    let found: Vec<CertificateRow> = conn.fetch_all(SQL, &[text(app)]).await.db()?;
    all(found)
}

/// Removes a certificate of `app`; whether there was one.
pub async fn remove_app_certificate<C: Conn>(
    conn: &mut C,
    app: AppId,
    id: CertificateId,
) -> Result<bool, StoreError> {
    let removed = conn
        .execute(
            "DELETE FROM app_certificates WHERE app_id = $1 AND id = $2",
            &[text(app), text(id)],
        )
        .await
        .db()?;
    Ok(removed > 0)
}

/// Forgets assertions expired before `now`, then records `used`; whether it was new.
pub async fn use_client_assertion<C: Conn>(
    conn: &mut C,
    used: UsedClientAssertion,
    now: UnixTime,
) -> Result<bool, StoreError> {
    conn.execute(
        "DELETE FROM client_assertion_jtis WHERE expires_at < $1",
        &[now.into()],
    )
    .await
    .db()?;
    const SQL: &str = "INSERT INTO client_assertion_jtis (app_id, jti_hash, expires_at)
         VALUES ($1, $2, $3) ON CONFLICT (app_id, jti_hash) DO NOTHING";
    let row = UsedAssertionRow::from(used);
    let inserted = conn.execute(SQL, &row.bind()).await.db()?;
    Ok(inserted == 1)
}
