//! Entra's authorize request, checked and put in Keygate's terms: the tenant is the edge's, the
//! app and redirect URI are checked here (an error page, never a redirect, when they are wrong),
//! and the `{resource}/...` scopes become Keygate scopes. The sign-in, consent and code that
//! follow are the shared authorize flow's.

use super::errors::EntraErrorKind;
use super::scopes::{EntraScopeError, EntraScopes};
use crate::context::Keygate;
use crate::ids::AppId;
use crate::oauth::authorize::AuthorizeRedirectError;
use crate::oauth::redirect;
use crate::oauth::TokenError;

/// What an Entra authorize request carries that needs translating.
#[derive(Debug, Clone, Copy, Default)]
pub struct EntraAuthorize<'a> {
    /// `client_id`.
    pub client_id: Option<&'a str>,
    /// `redirect_uri`.
    pub redirect_uri: Option<&'a str>,
    /// `response_type`.
    pub response_type: Option<&'a str>,
    /// `scope` (v2; on v1 the OpenID Connect scopes at most).
    pub scope: Option<&'a str>,
    /// `resource` (v1).
    pub resource: Option<&'a str>,
    /// `state`, echoed on redirected errors.
    pub state: Option<&'a str>,
    /// `response_mode=form_post` asked for.
    pub form_post: bool,
}

/// Why an Entra authorize request is refused.
#[derive(Debug)]
pub enum EntraAuthorizeError {
    /// Shown on an error page: no app, or a redirect URI that is not the app's.
    Page(EntraErrorKind),
    /// Sent back to the app's redirect URI.
    Redirect(AuthorizeRedirectError),
}

/// The Keygate `scope` for the shared authorize flow.
pub async fn translate(
    kg: &Keygate,
    request: EntraAuthorize<'_>,
) -> Result<String, EntraAuthorizeError> {
    let page = EntraAuthorizeError::Page;
    let client_id = request
        .client_id
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(page(EntraErrorKind::MissingParameter("client_id")))?;
    let app_id: AppId = client_id
        .parse()
        .map_err(|_| page(EntraErrorKind::AppNotFound))?;
    let app = kg
        .data()
        .app(app_id)
        .await
        .map_err(|e| page(TokenError::from(e).into()))?
        .ok_or(page(EntraErrorKind::AppNotFound))?;
    let redirect_uri = request
        .redirect_uri
        .filter(|r| !r.is_empty())
        .ok_or(page(EntraErrorKind::MissingParameter("redirect_uri")))?;
    if !redirect::redirect_matches(&app.callback_url, redirect_uri, app.kind) {
        return Err(page(EntraErrorKind::RedirectUriMismatch));
    }
    let refuse = |error: &'static str, description: &'static str| {
        EntraAuthorizeError::Redirect(AuthorizeRedirectError {
            redirect_uri: redirect_uri.to_owned(),
            error,
            description,
            state: request.state.map(str::to_owned),
            iss: None,
            form_post: request.form_post,
            entra: true,
        })
    };
    if !request
        .response_type
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("code"))
    {
        return Err(refuse(
            "unsupported_response_type",
            "response_type must be code",
        ));
    }
    let scopes = EntraScopes {
        registered: &app.scopes,
    };
    match scopes.delegated(request.scope, request.resource) {
        Ok(asked) => Ok(asked.scopes.to_string()),
        Err(EntraScopeError::UnknownResource(_)) => Err(refuse(
            "invalid_resource",
            "The resource principal named in the request was not found in the tenant",
        )),
        Err(_) => Err(refuse("invalid_scope", "The requested scope is not valid")),
    }
}
