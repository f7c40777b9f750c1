//! Registered apps and their client secret versions.

use keygate_core::dump::DumpedSecret;
use keygate_core::ids::AppId;
use keygate_core::model::{
    App, ClientKind, ClientSecret, NewClientSecret, SecretSlot, SlottedSecret,
};
use keygate_core::scopes::ScopeSet;
use keygate_core::StoreError;

use super::{hash, id};
use crate::table::table;

table! {
    /// A registered app.
    pub struct AppRow in "apps" by "id", columns app_columns {
        id: String,
        owner_id: String,
        name: String,
        company_name: String,
        description: String,
        website: String,
        company_website: String,
        terms_url: String,
        privacy_url: String,
        logo_url: String,
        callback_url: String,
        scopes: String,
        kind: String,
        created_at: i64,
        may_introspect: bool,
        post_logout_redirect_uris: String,
        subject_type: String,
    }
}

impl TryFrom<AppRow> for App {
    type Error = StoreError;

    fn try_from(r: AppRow) -> Result<Self, StoreError> {
        Ok(App {
            id: id(&r.id, "apps.id")?,
            owner_id: id(&r.owner_id, "apps.owner_id")?,
            name: r.name,
            company_name: r.company_name,
            description: r.description,
            website: r.website,
            company_website: r.company_website,
            terms_url: r.terms_url,
            privacy_url: r.privacy_url,
            logo_url: r.logo_url,
            callback_url: r.callback_url,
            scopes: ScopeSet::from_stored(&r.scopes),
            kind: ClientKind::from_stored(&r.kind),
            created_at: r.created_at,
            may_introspect: r.may_introspect,
            post_logout_redirect_uris: r
                .post_logout_redirect_uris
                .split(' ')
                .filter(|u| !u.is_empty())
                .map(str::to_owned)
                .collect(),
            pairwise_subject: r.subject_type == "pairwise",
        })
    }
}

impl From<App> for AppRow {
    fn from(a: App) -> Self {
        AppRow {
            id: a.id.to_string(),
            owner_id: a.owner_id.to_string(),
            name: a.name,
            company_name: a.company_name,
            description: a.description,
            website: a.website,
            company_website: a.company_website,
            terms_url: a.terms_url,
            privacy_url: a.privacy_url,
            logo_url: a.logo_url,
            callback_url: a.callback_url,
            scopes: a.scopes.to_string(),
            kind: a.kind.as_str().to_owned(),
            created_at: a.created_at,
            may_introspect: a.may_introspect,
            post_logout_redirect_uris: a.post_logout_redirect_uris.join(" "),
            subject_type: if a.pairwise_subject {
                "pairwise"
            } else {
                "public"
            }
            .to_owned(),
        }
    }
}

table! {
    /// A client secret version, by the hash of the secret, in one of its app's two slots.
    pub struct SecretRow in "client_secrets" by "id", columns secret_columns {
        id: String,
        app_id: String,
        hash: Vec<u8>,
        created_at: i64,
        expires_at: i64,
        slot: String,
    }
}

impl SecretRow {
    /// The row that puts `new` in `app`'s `slot`.
    pub fn new(app: AppId, slot: SecretSlot, new: &NewClientSecret) -> Self {
        SecretRow {
            id: new.secret.id.to_string(),
            app_id: app.to_string(),
            hash: new.hash.as_bytes().to_vec(),
            created_at: new.secret.created_at,
            expires_at: new.secret.expires_at,
            slot: slot.as_str().to_owned(),
        }
    }
}

impl TryFrom<SecretRow> for DumpedSecret {
    type Error = StoreError;

    fn try_from(r: SecretRow) -> Result<Self, StoreError> {
        Ok(DumpedSecret {
            slot: SecretSlot::parse(&r.slot)
                .ok_or_else(|| StoreError::Corrupt(format!("client_secrets.slot is {}", r.slot)))?,
            hash: hash(&r.hash, "client_secrets.hash")?,
            secret: ClientSecret {
                id: id(&r.id, "client_secrets.id")?,
                app_id: id(&r.app_id, "client_secrets.app_id")?,
                created_at: r.created_at,
                expires_at: r.expires_at,
            },
        })
    }
}

impl TryFrom<SecretRow> for SlottedSecret {
    type Error = StoreError;

    fn try_from(r: SecretRow) -> Result<Self, StoreError> {
        let d = DumpedSecret::try_from(r)?;
        Ok(SlottedSecret {
            slot: d.slot,
            secret: d.secret,
        })
    }
}

impl TryFrom<SecretRow> for ClientSecret {
    type Error = StoreError;

    fn try_from(r: SecretRow) -> Result<Self, StoreError> {
        DumpedSecret::try_from(r).map(|d| d.secret)
    }
}

impl From<DumpedSecret> for SecretRow {
    fn from(d: DumpedSecret) -> Self {
        let app = d.secret.app_id;
        SecretRow::new(
            app,
            d.slot,
            &NewClientSecret {
                secret: d.secret,
                hash: d.hash,
            },
        )
    }
}
