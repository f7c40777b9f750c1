//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2-§3): which client asks, for
//! which user, and where the browser may go afterwards. Ending the browser session itself is
//! [`crate::accounts::end_session`].

use super::claims::subject;
use super::id_token::verify_id_token_hint;
use crate::context::Keygate;
use crate::ids::AppId;
use crate::model::{App, User};
use crate::oauth::authorize::redirect_with;
use crate::store::StoreError;

/// A logout request as sent.
#[derive(Debug, Clone, Default)]
pub struct LogoutRequest {
    /// `id_token_hint`: an ID token this server issued (expired is fine).
    pub id_token_hint: Option<String>,
    /// `client_id`.
    pub client_id: Option<String>,
    /// `post_logout_redirect_uri`: must be registered on the client.
    pub post_logout_redirect_uri: Option<String>,
    /// `state`, echoed to the post-logout redirect.
    pub state: Option<String>,
}

/// Why a logout request is refused (shown as a page, never redirected).
#[derive(Debug, thiserror::Error)]
pub enum LogoutError {
    /// The hint is not an ID token issued here.
    #[error("The id_token_hint is not an ID token issued by this server.")]
    InvalidHint,
    /// `client_id` and the hint's audience differ, or the client is unknown.
    #[error("The client_id does not name the application the ID token was issued to.")]
    UnknownClient,
    /// A post-logout redirect URI without a client, or not registered on it.
    #[error("The post_logout_redirect_uri is not registered for this application.")]
    UnregisteredRedirect,
    /// The store failed.
    #[error("Something went wrong on our side. Please try again.")]
    Store(#[from] StoreError),
}

/// What a valid logout request leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutPlan {
    /// Where to send the browser afterwards (with `state`), when the client asked for a
    /// registered URI.
    pub redirect: Option<String>,
    /// The user the hint names (`sub`), if a hint was sent.
    pub hinted_subject: Option<String>,
    /// The app the hint was issued to, whose `sub` it uses.
    pub hinted_app: Option<App>,
}

impl LogoutPlan {
    /// Whether the hint proves the request comes for `user`, so the session may end without
    /// asking them (a logout link from elsewhere cannot sign anyone out unasked).
    pub fn names(&self, user: &User) -> bool {
        match (&self.hinted_subject, &self.hinted_app) {
            (Some(sub), Some(app)) => *sub == subject(app, user),
            _ => false,
        }
    }
}

/// Checks a logout request; `issuer` is the discovery issuer.
pub async fn plan_logout(
    kg: &Keygate,
    issuer: &str,
    req: &LogoutRequest,
) -> Result<LogoutPlan, LogoutError> {
    let hint = match req.id_token_hint.as_deref().filter(|h| !h.is_empty()) {
        Some(h) => Some(verify_id_token_hint(kg, issuer, h).ok_or(LogoutError::InvalidHint)?),
        None => None,
    };
    let parse = |s: &str| s.parse::<AppId>().map_err(|_| LogoutError::UnknownClient);
    let named = req
        .client_id
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(parse)
        .transpose()?;
    let hinted = hint.as_ref().map(|h| parse(&h.aud)).transpose()?;
    let client = match (named, hinted) {
        (Some(a), Some(b)) if a != b => return Err(LogoutError::UnknownClient),
        (a, b) => a.or(b),
    };
    let hinted_app = match (hinted, hint.is_some()) {
        (Some(id), true) => Some(
            kg.data()
                .app(id)
                .await?
                .map(std::sync::Arc::unwrap_or_clone)
                .ok_or(LogoutError::UnknownClient)?,
        ),
        _ => None,
    };
    let redirect = match req
        .post_logout_redirect_uri
        .as_deref()
        .filter(|u| !u.is_empty())
    {
        None => None,
        Some(uri) => {
            let app = match client {
                Some(id) => kg.data().app(id).await?,
                None => None,
            }
            .ok_or(LogoutError::UnregisteredRedirect)?;
            if !app.post_logout_redirect_uris.iter().any(|u| u == uri) {
                return Err(LogoutError::UnregisteredRedirect);
            }
            Some(redirect_with(uri, &[("state", req.state.as_deref())]))
        }
    };
    Ok(LogoutPlan {
        redirect,
        hinted_subject: hint.map(|h| h.sub),
        hinted_app,
    })
}
