//! Who is calling Entra's token endpoint: a confidential app proven by its secret (in the body
//! or HTTP Basic) or by a certificate (`private_key_jwt`), or a public app named by its id, with
//! Entra's answers when it is neither (AADSTS700016, 7000215, 7000218, 700025).

use super::errors::EntraErrorKind;
use super::tokens::ClientProof;
use crate::context::Keygate;
use crate::ids::AppId;
use crate::model::{ClientKind, ClientSecret, SecretSlot};
use crate::oauth::client::{self, Client, PresentedClient};
use crate::oauth::client_assertion::{self, ClientAssertionError};
use crate::oauth::TokenError;

/// `client_assertion_type` of `private_key_jwt` (RFC 7523 §2.2).
pub const JWT_BEARER_ASSERTION: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// What a token request presented to prove its client.
#[derive(Debug, Clone, Copy, Default)]
pub struct EntraClientAuth<'a> {
    /// `client_id` (form, or the Basic user name).
    pub client_id: Option<&'a str>,
    /// `client_secret` (form, or the Basic password).
    pub client_secret: Option<&'a str>,
    /// `client_assertion`, a JWT signed with a certificate registered on the app.
    pub client_assertion: Option<&'a str>,
    /// `client_assertion_type`.
    pub client_assertion_type: Option<&'a str>,
    /// The token endpoint URLs a client assertion's `aud` may name.
    pub audiences: &'a [String],
}

fn non_empty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

/// The secret version a certificate-authenticated request stands on: the app's live primary
/// secret (else its live alternative). What it mints is recorded under that version, so
/// replacing the secret or deleting the app ends it as it ends what the secret minted.
async fn standing_secret(kg: &Keygate, app: AppId) -> Result<ClientSecret, EntraErrorKind> {
    let now = kg.clock.now();
    let mut held = kg
        .store()
        .client_secrets_of_app(app)
        .await
        .map_err(TokenError::from)?;
    held.retain(|s| s.secret.expires_at > now);
    held.sort_by_key(|s| s.slot != SecretSlot::Primary);
    held.into_iter()
        .next()
        .map(|s| s.secret)
        .ok_or(EntraErrorKind::ClientSecretExpired)
}

/// Authenticates an Entra token request's client.
pub async fn authenticate(
    kg: &Keygate,
    presented: EntraClientAuth<'_>,
) -> Result<(Client, ClientProof), EntraErrorKind> {
    let client_id = non_empty(presented.client_id);
    let app_id: Option<AppId> = client_id.and_then(|id| id.parse().ok());
    let app = match app_id {
        Some(id) => kg.data().app(id).await.map_err(TokenError::from)?,
        None => None,
    };
    let Some(app) = app else {
        return Err(match client_id {
            None => EntraErrorKind::MissingParameter("client_id"),
            Some(_) => EntraErrorKind::AppNotFound,
        });
    };
    let secret = non_empty(presented.client_secret);
    let assertion = non_empty(presented.client_assertion);
    if app.kind == ClientKind::Public {
        if secret.is_some() || assertion.is_some() {
            return Err(EntraErrorKind::PublicClientSecret);
        }
        return Ok((Client::Public(app.id), ClientProof::Public));
    }
    if let Some(assertion) = assertion {
        if non_empty(presented.client_assertion_type) != Some(JWT_BEARER_ASSERTION) {
            return Err(EntraErrorKind::InvalidClientAssertion);
        }
        let audiences: Vec<&str> = presented.audiences.iter().map(String::as_str).collect();
        client_assertion::verify(kg, app.id, assertion, &audiences)
            .await
            .map_err(|e| match e {
                ClientAssertionError::UnknownApp => EntraErrorKind::AppNotFound,
                ClientAssertionError::Store(s) => TokenError::from(s).into(),
                other => {
                    tracing::info!(app.id = %app.id, reason = %other, "client assertion refused");
                    EntraErrorKind::InvalidClientAssertion
                }
            })?;
        return Ok((
            Client::Confidential(standing_secret(kg, app.id).await?),
            ClientProof::Certificate,
        ));
    }
    let Some(secret) = secret else {
        return Err(EntraErrorKind::MissingClientAuth);
    };
    let client = client::authenticate(
        kg,
        PresentedClient {
            client_id,
            client_secret: Some(secret),
        },
    )
    .await?;
    Ok((client, ClientProof::Secret))
}
