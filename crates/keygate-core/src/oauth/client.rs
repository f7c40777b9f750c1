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

/// Refuses a request whose `client_id` (when one is sent) names another app than the one its
/// secret belongs to, in either flavour: a client is one app, however it presents itself.
pub fn require_same_app(client_id: Option<&str>, secret: &ClientSecret) -> Result<(), TokenError> {
    match named_app(client_id)? {
        Some(app) if app != secret.app_id => Err(TokenError::ClientFailedValidation),
        _ => Ok(()),
    }
}

/// The app `client_id` names, if one was sent; a `client_id` that is not an App ID names none.
fn named_app(client_id: Option<&str>) -> Result<Option<AppId>, TokenError> {
    match client_id.filter(|s| !s.is_empty()) {
        Some(id) => id
            .parse()
            .map(Some)
            .map_err(|_| TokenError::ClientFailedValidation),
        None => Ok(None),
    }
}

/// Authenticates a standard request: a secret (which must belong to `client_id` when one is
/// sent), or, for a public app only, `client_id` alone.
pub async fn authenticate(
    kg: &Keygate,
    presented: PresentedClient<'_>,
) -> Result<Client, TokenError> {
    let named = named_app(presented.client_id)?;
    if let Some(secret) = presented.client_secret.filter(|s| !s.is_empty()) {
        let record = authenticate_client(kg, Some(secret)).await?;
        require_same_app(presented.client_id, &record)?;
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
