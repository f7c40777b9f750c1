//! The client credentials grant (RFC 6749 §4.4): a confidential app asks for a token for
//! itself, within its registered scopes, and gets no refresh token.
//!
//! The token hangs off a client-credentials authorization of the secret version that asked
//! (see [`Store::client_credentials_authorization`](crate::Store::client_credentials_authorization)),
//! so replacing the secret or deleting the app revokes it like every other token.

use crate::context::Keygate;
use crate::ids::UserId;
use crate::oauth::client::Client;
use crate::oauth::token::{mint_access, reported_lifetime};
use crate::oauth::TokenError;
use crate::scopes::ScopeSet;
use crate::store::StoreError;

/// An access token with nothing to refresh it.
#[derive(Clone)]
pub struct AccessGrant {
    /// The access token (JWT).
    pub access_token: String,
    /// Seconds it remains valid, as reported to the client.
    pub expires_in: i64,
    /// The scopes granted.
    pub scopes: ScopeSet,
    /// The app's machine authorization the token stands on.
    pub authorization_id: crate::ids::AuthorizationId,
}

impl std::fmt::Debug for AccessGrant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessGrant")
            .field("expires_in", &self.expires_in)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

/// RFC 6749 §4.4.2: `scope` may narrow the registered scopes; absent means all of them.
pub async fn client_credentials(
    kg: &Keygate,
    client: &Client,
    scope: Option<&str>,
) -> Result<AccessGrant, TokenError> {
    let Some(secret) = client.secret_id() else {
        return Err(TokenError::GrantTypeNotAllowed);
    };
    let app = kg
        .data()
        .app(client.app_id())
        .await?
        .ok_or(TokenError::ClientFailedValidation)?;
    let scopes = match scope.map(str::trim).filter(|s| !s.is_empty()) {
        None => app.scopes.clone(),
        Some(raw) => match ScopeSet::parse(raw) {
            Ok(s) if s.is_subset(&app.scopes) => s,
            _ => return Err(TokenError::ScopeInvalid),
        },
    };
    let now = kg.clock.now();
    let aui = match kg.data().machine_authorization(app.id, secret, now).await {
        Ok(aui) => aui,
        // The secret was replaced after it authenticated this request.
        Err(StoreError::NotFound(_)) => return Err(TokenError::ClientFailedValidation),
        Err(e) => return Err(e.into()),
    };
    // The token names the app itself as its subject: it acts for no user (RFC 9068 §2.2).
    let access_token = mint_access(kg, &scopes, UserId(app.id.0), app.id, aui, now)?;
    tracing::info!(app.id = %app.id, aui = %aui, grant_type = "client_credentials", "token issued");
    Ok(AccessGrant {
        access_token,
        expires_in: reported_lifetime(kg),
        scopes,
        authorization_id: aui,
    })
}
