//! What the token and device code endpoints read alike: the tenant, the form (no repeated
//! parameter), and the client proven by secret, certificate or (public apps) its id alone.

use axum::http::HeaderMap;
use keygate_core::entra::client::{authenticate, EntraClientAuth};
use keygate_core::entra::tokens::ClientProof;
use keygate_core::entra::EntraErrorKind;
use keygate_core::oauth::client::Client;

use crate::forms::{is_form, FormFields};
use crate::routes::standard_oauth::presented_credentials;
use crate::state::AppState;

/// An authenticated Entra form request.
pub(super) struct ClientRequest {
    /// The form.
    pub(super) form: FormFields,
    /// The client.
    pub(super) client: Client,
    /// How it proved itself.
    pub(super) proof: ClientProof,
    /// `client_id` as sent (form or Basic).
    pub(super) client_id: Option<String>,
}

/// Reads and authenticates a form request sent to `/{segment}/...`.
pub(super) async fn client_request(
    state: &AppState,
    segment: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<ClientRequest, EntraErrorKind> {
    if state.kg.tenant.resolve(segment).is_none() {
        return Err(EntraErrorKind::TenantNotFound);
    }
    if !is_form(headers) {
        return Err(EntraErrorKind::MalformedRequest);
    }
    let form = FormFields::parse(body);
    if form.repeated().is_some() {
        return Err(EntraErrorKind::MalformedRequest);
    }
    let (client_id, client_secret) = presented_credentials(headers, &form)?;
    let audiences = super::assertion_audiences(state, segment);
    let (client, proof) = authenticate(
        &state.kg,
        EntraClientAuth {
            client_id: client_id.as_deref(),
            client_secret: client_secret.as_deref(),
            client_assertion: form.get("client_assertion"),
            client_assertion_type: form.get("client_assertion_type"),
            audiences: &audiences,
        },
    )
    .await?;
    Ok(ClientRequest {
        form,
        client,
        proof,
        client_id,
    })
}
