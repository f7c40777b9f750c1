//! Authorizations and the credentials hanging off them (codes, refresh tokens), and the joined
//! rows the token endpoint reads a credential with.

use keygate_core::dump::{DumpedAuthorization, DumpedCode, DumpedRefreshToken};
use keygate_core::ids::AuthorizationId;
use keygate_core::model::{
    Authorization, CodeRecord, NewAuthorization, NewCode, NewRefreshToken, RefreshRecord,
};
use keygate_core::scopes::ScopeSet;
use keygate_core::secrets::TokenHash;
use keygate_core::StoreError;

use super::{hash, id, opt_id};
use crate::table::table;

table! {
    /// An authorization (user x app x scopes), live or revoked.
    pub struct AuthorizationRow in "authorizations" by "id", columns authorization_columns {
        id: String,
        user_id: String,
        app_id: String,
        scopes: String,
        created_at: i64,
        revoked_at: Option<i64>,
        secret_id: Option<String>,
        client_credentials: bool,
    }
}

impl From<NewAuthorization> for AuthorizationRow {
    /// A consent: not yet exchanged, so no secret version yet.
    fn from(a: NewAuthorization) -> Self {
        AuthorizationRow {
            id: a.id.to_string(),
            user_id: a.user_id.to_string(),
            app_id: a.app_id.to_string(),
            scopes: a.scopes.to_string(),
            created_at: a.created_at,
            revoked_at: None,
            secret_id: None,
            client_credentials: false,
        }
    }
}

impl TryFrom<AuthorizationRow> for DumpedAuthorization {
    type Error = StoreError;

    fn try_from(r: AuthorizationRow) -> Result<Self, StoreError> {
        Ok(DumpedAuthorization {
            id: id(&r.id, "authorizations.id")?,
            user_id: id(&r.user_id, "authorizations.user_id")?,
            app_id: id(&r.app_id, "authorizations.app_id")?,
            scopes: ScopeSet::from_stored(&r.scopes),
            created_at: r.created_at,
            revoked_at: r.revoked_at,
            secret_id: opt_id(r.secret_id.as_deref(), "authorizations.secret_id")?,
            client_credentials: r.client_credentials,
        })
    }
}

impl TryFrom<AuthorizationRow> for Authorization {
    type Error = StoreError;

    fn try_from(r: AuthorizationRow) -> Result<Self, StoreError> {
        let d = DumpedAuthorization::try_from(r)?;
        Ok(Authorization {
            id: d.id,
            user_id: d.user_id,
            app_id: d.app_id,
            scopes: d.scopes,
            created_at: d.created_at,
            revoked_at: d.revoked_at,
        })
    }
}

impl From<DumpedAuthorization> for AuthorizationRow {
    fn from(d: DumpedAuthorization) -> Self {
        AuthorizationRow {
            revoked_at: d.revoked_at,
            secret_id: d.secret_id.map(|s| s.to_string()),
            client_credentials: d.client_credentials,
            ..AuthorizationRow::from(NewAuthorization {
                id: d.id,
                user_id: d.user_id,
                app_id: d.app_id,
                scopes: d.scopes,
                created_at: d.created_at,
            })
        }
    }
}

table! {
    /// An authorization code, by its hash.
    pub struct CodeRow in "codes" by "hash", columns code_columns {
        hash: Vec<u8>,
        authorization_id: String,
        redirect_uri: String,
        code_challenge: Option<String>,
        expires_at: i64,
        used_at: Option<i64>,
    }
}

impl CodeRow {
    /// The unredeemed code `new` of `authorization`.
    pub fn new(authorization: AuthorizationId, new: NewCode) -> Self {
        CodeRow {
            hash: new.hash.as_bytes().to_vec(),
            authorization_id: authorization.to_string(),
            redirect_uri: new.redirect_uri,
            code_challenge: new.code_challenge,
            expires_at: new.expires_at,
            used_at: None,
        }
    }
}

impl TryFrom<CodeRow> for DumpedCode {
    type Error = StoreError;

    fn try_from(r: CodeRow) -> Result<Self, StoreError> {
        Ok(DumpedCode {
            hash: hash(&r.hash, "codes.hash")?,
            authorization_id: id(&r.authorization_id, "codes.authorization_id")?,
            redirect_uri: r.redirect_uri,
            code_challenge: r.code_challenge,
            expires_at: r.expires_at,
            used_at: r.used_at,
        })
    }
}

impl From<DumpedCode> for CodeRow {
    fn from(d: DumpedCode) -> Self {
        let new = NewCode {
            hash: d.hash,
            redirect_uri: d.redirect_uri,
            code_challenge: d.code_challenge,
            expires_at: d.expires_at,
        };
        CodeRow {
            used_at: d.used_at,
            ..CodeRow::new(d.authorization_id, new)
        }
    }
}

table! {
    /// A refresh token, by its hash, with its place in the rotation chain.
    pub struct RefreshTokenRow in "refresh_tokens" by "hash", columns refresh_token_columns {
        hash: Vec<u8>,
        access_id: String,
        authorization_id: String,
        parent_hash: Option<Vec<u8>>,
        secret_id: Option<String>,
        created_at: i64,
        expires_at: i64,
        used_at: Option<i64>,
    }
}

impl RefreshTokenRow {
    /// The unspent token `new`, succeeding `parent` (none for the first of a chain).
    pub fn new(new: &NewRefreshToken, parent: Option<&TokenHash>) -> Self {
        RefreshTokenRow {
            hash: new.hash.as_bytes().to_vec(),
            access_id: new.access_id.to_string(),
            authorization_id: new.authorization_id.to_string(),
            parent_hash: parent.map(|p| p.as_bytes().to_vec()),
            secret_id: new.secret_id.map(|s| s.to_string()),
            created_at: new.created_at,
            expires_at: new.expires_at,
            used_at: None,
        }
    }
}

impl TryFrom<RefreshTokenRow> for DumpedRefreshToken {
    type Error = StoreError;

    fn try_from(r: RefreshTokenRow) -> Result<Self, StoreError> {
        Ok(DumpedRefreshToken {
            hash: hash(&r.hash, "refresh_tokens.hash")?,
            access_id: id(&r.access_id, "refresh_tokens.access_id")?,
            authorization_id: id(&r.authorization_id, "refresh_tokens.authorization_id")?,
            parent_hash: r
                .parent_hash
                .map(|p| hash(&p, "refresh_tokens.parent_hash"))
                .transpose()?,
            secret_id: opt_id(r.secret_id.as_deref(), "refresh_tokens.secret_id")?,
            created_at: r.created_at,
            expires_at: r.expires_at,
            used_at: r.used_at,
        })
    }
}

impl From<DumpedRefreshToken> for RefreshTokenRow {
    fn from(d: DumpedRefreshToken) -> Self {
        let new = NewRefreshToken {
            hash: d.hash,
            access_id: d.access_id,
            authorization_id: d.authorization_id,
            secret_id: d.secret_id,
            created_at: d.created_at,
            expires_at: d.expires_at,
        };
        RefreshTokenRow {
            used_at: d.used_at,
            ..RefreshTokenRow::new(&new, d.parent_hash.as_ref())
        }
    }
}

/// A code with what the token endpoint needs of its authorization (`codes` joined with
/// `authorizations`).
#[derive(Debug, sqlx::FromRow)]
#[allow(missing_docs, reason = "each field is the column of the same name")]
pub struct CodeLookupRow {
    pub authorization_id: String,
    pub user_id: String,
    pub app_id: String,
    pub scopes: String,
    pub redirect_uri: String,
    pub code_challenge: Option<String>,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl TryFrom<CodeLookupRow> for CodeRecord {
    type Error = StoreError;

    fn try_from(r: CodeLookupRow) -> Result<Self, StoreError> {
        Ok(CodeRecord {
            authorization_id: id(&r.authorization_id, "codes.authorization_id")?,
            user_id: id(&r.user_id, "authorizations.user_id")?,
            app_id: id(&r.app_id, "authorizations.app_id")?,
            scopes: ScopeSet::from_stored(&r.scopes),
            redirect_uri: r.redirect_uri,
            code_challenge: r.code_challenge,
            expires_at: r.expires_at,
            used_at: r.used_at,
            revoked_at: r.revoked_at,
        })
    }
}

/// A refresh token with what the token endpoint needs of its authorization (`refresh_tokens`
/// joined with `authorizations`).
#[derive(Debug, sqlx::FromRow)]
#[allow(missing_docs, reason = "each field is the column of the same name")]
pub struct RefreshLookupRow {
    pub access_id: String,
    pub authorization_id: String,
    pub user_id: String,
    pub app_id: String,
    pub scopes: String,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl TryFrom<RefreshLookupRow> for RefreshRecord {
    type Error = StoreError;

    fn try_from(r: RefreshLookupRow) -> Result<Self, StoreError> {
        Ok(RefreshRecord {
            access_id: id(&r.access_id, "refresh_tokens.access_id")?,
            authorization_id: id(&r.authorization_id, "refresh_tokens.authorization_id")?,
            user_id: id(&r.user_id, "authorizations.user_id")?,
            app_id: id(&r.app_id, "authorizations.app_id")?,
            scopes: ScopeSet::from_stored(&r.scopes),
            expires_at: r.expires_at,
            used_at: r.used_at,
            revoked_at: r.revoked_at,
        })
    }
}
