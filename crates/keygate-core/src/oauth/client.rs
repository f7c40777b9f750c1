//! Who is calling the token, introspection or revocation endpoint: a confidential client proven
//! by its secret, or a public client named by its id (RFC 6749 §2.1, §2.3).

use crate::context::Keygate;
use crate::ids::{AppId, SecretId};
use crate::model::{ClientKind, ClientSecret};
use crate::oauth::token::authenticate_client;
use crate::oauth::TokenError;

/// An authenticated (confidential) or identified (public) client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Client {
    /// Proven by a client secret; the secret version is recorded on what it mints.
    Confidential(ClientSecret),
    /// A public app, named by `client_id` alone; PKCE stands in for the secret.
    Public(AppId),
}

impl Client {
    /// The app.
    pub fn app_id(&self) -> AppId {
        match self {
            Client::Confidential(secret) => secret.app_id,
            Client::Public(app) => *app,
        }
    }

    /// The secret version that authenticated the request (none for public clients).
    pub fn secret_id(&self) -> Option<SecretId> {
        match self {
            Client::Confidential(secret) => Some(secret.id),
            Client::Public(_) => None,
        }
    }

    /// Whether the client proved nothing but its id.
    pub fn is_public(&self) -> bool {
        matches!(self, Client::Public(_))
    }
}

/// The client credentials a standard request presented, from `client_secret_basic` or
/// `client_secret_post` (the edge decides which, and refuses both at once).
#[derive(Debug, Clone, Copy, Default)]
pub struct PresentedClient<'a> {
    /// `client_id`, if sent.
    pub client_id: Option<&'a str>,
    /// `client_secret`, if sent.
    pub client_secret: Option<&'a str>,
}

/// Authenticates a standard request: a secret (which must belong to `client_id` when one is
/// sent), or, for a public app only, `client_id` alone.
pub async fn authenticate(
    kg: &Keygate,
    presented: PresentedClient<'_>,
) -> Result<Client, TokenError> {
    let client_id = presented.client_id.filter(|s| !s.is_empty());
    let named: Option<AppId> = match client_id {
        Some(id) => Some(id.parse().map_err(|_| TokenError::ClientFailedValidation)?),
        None => None,
    };
    if let Some(secret) = presented.client_secret.filter(|s| !s.is_empty()) {
        let record = authenticate_client(kg, Some(secret)).await?;
        if named.is_some_and(|app| app != record.app_id) {
            return Err(TokenError::ClientFailedValidation);
        }
        return Ok(Client::Confidential(record));
    }
    let app_id = named.ok_or(TokenError::ClientSecretMissing)?;
    let app = kg
        .data()
        .app(app_id)
        .await?
        .ok_or(TokenError::ClientFailedValidation)?;
    match app.kind {
        ClientKind::Public => Ok(Client::Public(app.id)),
        ClientKind::Confidential => Err(TokenError::ClientSecretMissing),
    }
}
