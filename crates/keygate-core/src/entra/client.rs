//! Who is calling Entra's token endpoint: a confidential app proven by its secret (in the body
//! or HTTP Basic) or by a certificate (`private_key_jwt`), or a public app named by its id, with
//! Entra's answers when it is neither (AADSTS700016, 7000215, 7000218, 700025).

use super::errors::EntraErrorKind;
use super::tokens::ClientProof;
use crate::context::Keygate;
use crate::ids::AppId;
use crate::model::ClientKind;
use crate::oauth::client::{self, Client, PresentedClient};
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
}

fn non_empty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
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
    if let Some(_assertion) = assertion {
        if non_empty(presented.client_assertion_type) != Some(JWT_BEARER_ASSERTION) {
            return Err(EntraErrorKind::InvalidClientAssertion);
        }
        // Certificates on apps are not registrable yet: no assertion can verify.
        return Err(EntraErrorKind::InvalidClientAssertion);
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
