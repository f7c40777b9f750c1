//! Device codes of the device authorization grant (RFC 8628), and the joined row a poll reads.

use keygate_core::dump::DumpedDeviceCode;
use keygate_core::model::{DeviceCodeRecord, DeviceCodeStatus, NewDeviceCode};
use keygate_core::scopes::ScopeSet;
use keygate_core::StoreError;

use super::{hash, id, opt_id};
use crate::table::table;

table! {
    /// A device code, by the hash of its value, with the hash of its user code.
    pub struct DeviceCodeRow in "device_codes" by "hash", columns device_code_columns {
        hash: Vec<u8>,
        user_code_hash: Vec<u8>,
        app_id: String,
        scopes: String,
        created_at: i64,
        expires_at: i64,
        poll_interval: i64,
        last_polled_at: Option<i64>,
        status: String,
        user_id: Option<String>,
        authorization_id: Option<String>,
        decided_at: Option<i64>,
        used_at: Option<i64>,
    }
}

impl From<NewDeviceCode> for DeviceCodeRow {
    /// A request nobody has entered, polled or decided yet.
    fn from(n: NewDeviceCode) -> Self {
        DeviceCodeRow {
            hash: n.hash.as_bytes().to_vec(),
            user_code_hash: n.user_code_hash.as_bytes().to_vec(),
            app_id: n.app_id.to_string(),
            scopes: n.scopes.to_string(),
            created_at: n.created_at,
            expires_at: n.expires_at,
            poll_interval: n.interval,
            last_polled_at: None,
            status: DeviceCodeStatus::Pending.as_str().to_owned(),
            user_id: None,
            authorization_id: None,
            decided_at: None,
            used_at: None,
        }
    }
}

fn status(stored: &str) -> Result<DeviceCodeStatus, StoreError> {
    DeviceCodeStatus::from_stored(stored)
        .ok_or_else(|| StoreError::Corrupt(format!("device_codes.status is {stored:?}")))
}

impl TryFrom<DeviceCodeRow> for DumpedDeviceCode {
    type Error = StoreError;

    fn try_from(r: DeviceCodeRow) -> Result<Self, StoreError> {
        Ok(DumpedDeviceCode {
            hash: hash(&r.hash, "device_codes.hash")?,
            user_code_hash: hash(&r.user_code_hash, "device_codes.user_code_hash")?,
            app_id: id(&r.app_id, "device_codes.app_id")?,
            scopes: ScopeSet::from_stored(&r.scopes),
            created_at: r.created_at,
            expires_at: r.expires_at,
            interval: r.poll_interval,
            last_polled_at: r.last_polled_at,
            status: status(&r.status)?,
            user_id: opt_id(r.user_id.as_deref(), "device_codes.user_id")?,
            authorization_id: opt_id(
                r.authorization_id.as_deref(),
                "device_codes.authorization_id",
            )?,
            decided_at: r.decided_at,
            used_at: r.used_at,
        })
    }
}

impl From<DumpedDeviceCode> for DeviceCodeRow {
    fn from(d: DumpedDeviceCode) -> Self {
        DeviceCodeRow {
            hash: d.hash.as_bytes().to_vec(),
            user_code_hash: d.user_code_hash.as_bytes().to_vec(),
            app_id: d.app_id.to_string(),
            scopes: d.scopes.to_string(),
            created_at: d.created_at,
            expires_at: d.expires_at,
            poll_interval: d.interval,
            last_polled_at: d.last_polled_at,
            status: d.status.as_str().to_owned(),
            user_id: d.user_id.map(|u| u.to_string()),
            authorization_id: d.authorization_id.map(|a| a.to_string()),
            decided_at: d.decided_at,
            used_at: d.used_at,
        }
    }
}

/// A device code with the revocation time of its authorization (`device_codes` left-joined
/// with `authorizations`).
#[derive(Debug, sqlx::FromRow)]
#[allow(missing_docs, reason = "each field is the column of the same name")]
pub struct DeviceLookupRow {
    pub app_id: String,
    pub scopes: String,
    pub expires_at: i64,
    pub poll_interval: i64,
    pub last_polled_at: Option<i64>,
    pub status: String,
    pub user_id: Option<String>,
    pub authorization_id: Option<String>,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl TryFrom<DeviceLookupRow> for DeviceCodeRecord {
    type Error = StoreError;

    fn try_from(r: DeviceLookupRow) -> Result<Self, StoreError> {
        Ok(DeviceCodeRecord {
            app_id: id(&r.app_id, "device_codes.app_id")?,
            scopes: ScopeSet::from_stored(&r.scopes),
            expires_at: r.expires_at,
            interval: r.poll_interval,
            status: status(&r.status)?,
            user_id: opt_id(r.user_id.as_deref(), "device_codes.user_id")?,
            authorization_id: opt_id(
                r.authorization_id.as_deref(),
                "device_codes.authorization_id",
            )?,
            used_at: r.used_at,
            revoked_at: r.revoked_at,
        })
    }
}
