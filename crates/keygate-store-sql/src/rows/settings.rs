//! Server-wide settings and signing keys.

use keygate_core::dump::DumpedSetting;
use keygate_core::model::SigningKeyRecord;

use crate::table::table;

table! {
    /// A server-wide setting (the CSRF key, say).
    pub struct SettingRow in "settings" by "name", columns setting_columns {
        name: String,
        value: Vec<u8>,
    }
}

impl From<SettingRow> for DumpedSetting {
    fn from(r: SettingRow) -> Self {
        DumpedSetting {
            name: r.name,
            value: r.value,
        }
    }
}

impl From<DumpedSetting> for SettingRow {
    fn from(s: DumpedSetting) -> Self {
        SettingRow {
            name: s.name,
            value: s.value,
        }
    }
}

table! {
    /// A signing key with its private key, `next`, `active` or `retired`.
    pub struct SigningKeyRow in "signing_keys" by "kid", columns signing_key_columns {
        kid: String,
        algorithm: String,
        private_der: Vec<u8>,
        state: String,
        created_at: i64,
        retired_at: Option<i64>,
        purpose: String,
    }
}

impl From<SigningKeyRow> for SigningKeyRecord {
    fn from(r: SigningKeyRow) -> Self {
        SigningKeyRecord {
            kid: r.kid,
            algorithm: r.algorithm,
            private_der: r.private_der,
            state: r.state,
            created_at: r.created_at,
            retired_at: r.retired_at,
            purpose: r.purpose,
        }
    }
}

impl From<SigningKeyRecord> for SigningKeyRow {
    fn from(k: SigningKeyRecord) -> Self {
        SigningKeyRow {
            kid: k.kid,
            algorithm: k.algorithm,
            private_der: k.private_der,
            state: k.state,
            created_at: k.created_at,
            retired_at: k.retired_at,
            purpose: k.purpose,
        }
    }
}
