//! `GET /oauth2/authorize` and the consent decision (protocol §3, RFC 6749 §4.1.1-§4.1.2).
//!
//! Errors travel on two channels that the types keep apart: before the client and redirect URI
//! are known good, an [`AuthorizePageError`] is rendered as a page and never redirects (an open
//! redirect otherwise); after, an [`AuthorizeRedirectError`] goes back to the app.

use url::Url;

use crate::accounts::SessionInfo;
use crate::context::Keygate;
use crate::credentials::MintError;
use crate::credentials::OidcContext;
use crate::ids::{AppId, AuthorizationId};
use crate::model::ClientKind;
use crate::model::{App, NewAuthorization, NewCode, User};
use crate::oauth::{pkce, redirect};
use crate::oidc::OPENID_SCOPE;
use crate::scopes::ScopeSet;
use crate::store::StoreError;

/// The query of an authorize request, as sent.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeParams {
    /// `client_id`.
    pub client_id: Option<String>,
    /// `response_type`: `Assertion` (Azure) or `code` (standard).
    pub response_type: Option<String>,
    /// `state`, echoed back verbatim.
    pub state: Option<String>,
    /// `scope`, space separated.
    pub scope: Option<String>,
    /// `redirect_uri`.
    pub redirect_uri: Option<String>,
    /// PKCE `code_challenge`.
    pub code_challenge: Option<String>,
    /// PKCE `code_challenge_method`.
    pub code_challenge_method: Option<String>,
    /// The first parameter the request carried more than once, if any (RFC 6749 §3.1 forbids
    /// it; the request is refused).
    pub repeated: Option<String>,
    /// OpenID Connect `nonce`, echoed in the ID token.
    pub nonce: Option<String>,
    /// OpenID Connect `prompt` (space separated: `none`, `login`, `consent`, `select_account`).
    pub prompt: Option<String>,
    /// OpenID Connect `max_age`, seconds.
    pub max_age: Option<String>,
    /// OpenID Connect `id_token_hint`.
    pub id_token_hint: Option<String>,
    /// `response_mode`: `query` (the default) or `form_post`.
    pub response_mode: Option<String>,
    /// `request` (a request object): refused with `request_not_supported`.
    pub request: Option<String>,
    /// `request_uri`: refused with `request_uri_not_supported`.
    pub request_uri: Option<String>,
    /// OpenID Connect `claims` (JSON): the claims asked for by name (Core §5.5).
    pub claims: Option<String>,
    /// The discovery `issuer`, put in every standard authorization response as `iss`
    /// (RFC 9207); `None` leaves it out (the Azure flavour never has it).
    pub issuer: Option<String>,
    /// The request came through Entra's authorize endpoint: redirected errors carry `AADSTS`
    /// descriptions.
    pub entra: bool,
}

/// Which flow the request asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseKind {
    /// `response_type=Assertion`: scopes must equal the registration.
    Assertion,
    /// `response_type=code`: a subset of the registration is allowed.
    Code,
}

/// Refusals shown as a page with HTTP 400, never redirected.
#[derive(Debug, thiserror::Error)]
pub enum AuthorizePageError {
    /// `client_id` missing, not a GUID, or not a registered app.
    #[error("The application could not be found. Check the client_id the application sent.")]
    UnknownClient,
    /// `redirect_uri` missing.
    #[error("The request has no redirect_uri.")]
    MissingRedirectUri,
    /// `redirect_uri` differs from the registered callback URL.
    #[error("The redirect_uri does not match the callback URL registered for this application.")]
    RedirectUriMismatch,
    /// `client_id` or `redirect_uri` sent more than once: which one counts cannot be told, so
    /// nothing is redirected.
    #[error("The request sends {0} more than once.")]
    ParameterRepeated(&'static str),
    /// The store failed.
    #[error("Something went wrong on our side. Please try again.")]
    Store(#[from] StoreError),
}

/// Refusals sent back to the app's redirect URI with `error=`.
#[derive(Debug, Clone)]
pub struct AuthorizeRedirectError {
    /// The validated redirect URI.
    pub redirect_uri: String,
    /// `error` value.
    pub error: &'static str,
    /// `error_description` value.
    pub description: &'static str,
    /// `state` to echo.
    pub state: Option<String>,
    /// `iss` (RFC 9207), on standard responses.
    pub iss: Option<String>,
    /// Whether the answer is posted by an auto-submitting form (`response_mode=form_post`).
    pub form_post: bool,
    /// An Entra request: the description is the `AADSTS` one for `error`, where there is one.
    pub entra: bool,
}

impl AuthorizeRedirectError {
    /// The full URL to redirect the browser to.
    pub fn location(&self) -> String {
        self.response().location()
    }

    /// The response to deliver, in the request's response mode.
    pub fn response(&self) -> AuthorizationResponse {
        let entra = self
            .entra
            .then(|| crate::entra::errors::authorize_description(self.error, self.description));
        AuthorizationResponse::new(
            &self.redirect_uri,
            [
                ("error", Some(self.error)),
                (
                    "error_description",
                    Some(entra.as_deref().unwrap_or(self.description)),
                ),
                ("state", self.state.as_deref()),
                ("iss", self.iss.as_deref()),
            ],
            self.form_post,
        )
    }
}

/// An authorization response, success or error, on its way back to the client: by redirect
/// with a query, or by an auto-submitting form (OAuth 2.0 Form Post Response Mode).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationResponse {
    /// The validated redirect URI.
    pub redirect_uri: String,
    /// The response parameters, in order.
    pub params: Vec<(&'static str, String)>,
    /// Whether to post them instead of redirecting.
    pub form_post: bool,
}

impl AuthorizationResponse {
    fn new<const N: usize>(
        redirect_uri: &str,
        params: [(&'static str, Option<&str>); N],
        form_post: bool,
    ) -> Self {
        Self {
            redirect_uri: redirect_uri.to_owned(),
            params: params
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v.to_owned())))
                .collect(),
            form_post,
        }
    }

    /// The redirect URI with the parameters appended to its query.
    pub fn location(&self) -> String {
        let params: Vec<(&str, Option<&str>)> = self
            .params
            .iter()
            .map(|(k, v)| (*k, Some(v.as_str())))
            .collect();
        redirect_with(&self.redirect_uri, &params)
    }
}

/// Either channel.
#[derive(Debug)]
pub enum AuthorizeError {
    /// Render a page.
    Page(AuthorizePageError),
    /// Redirect back to the app.
    Redirect(AuthorizeRedirectError),
}

impl From<AuthorizePageError> for AuthorizeError {
    fn from(e: AuthorizePageError) -> Self {
        Self::Page(e)
    }
}

/// A request whose client, redirect URI, response type and scopes are all acceptable.
#[derive(Debug, Clone)]
pub struct ValidAuthorize {
    /// The app asking.
    pub app: App,
    /// Where to send the answer.
    pub redirect_uri: String,
    /// `state` to echo.
    pub state: Option<String>,
    /// The scopes to grant.
    pub scopes: ScopeSet,
    /// Which flow.
    pub kind: ResponseKind,
    /// PKCE challenge (S256), when sent.
    pub code_challenge: Option<String>,
    /// `client_id` exactly as sent (an ID token's `aud`).
    pub client_id: String,
    /// OpenID Connect `nonce`.
    pub nonce: Option<String>,
    /// The OpenID Connect sign-in parameters (`prompt`, `max_age`, `id_token_hint`).
    pub oidc: crate::oidc::prompt::SignInRequest,
    /// `iss` for the responses (RFC 9207), on standard requests.
    pub iss: Option<String>,
    /// `response_mode=form_post`.
    pub form_post: bool,
    /// Whether the request came through Entra's authorize endpoint.
    pub entra: bool,
}

impl ValidAuthorize {
    /// A refusal of this request, sent back the way it asked.
    pub fn refusal(
        &self,
        error: &'static str,
        description: &'static str,
    ) -> AuthorizeRedirectError {
        AuthorizeRedirectError {
            redirect_uri: self.redirect_uri.clone(),
            error,
            description,
            state: self.state.clone(),
            iss: self.iss.clone(),
            form_post: self.form_post,
            entra: self.entra,
        }
    }
}

/// Appends query parameters to a redirect URI, keeping any query it already has.
pub fn redirect_with(redirect_uri: &str, params: &[(&str, Option<&str>)]) -> String {
    match Url::parse(redirect_uri) {
        Ok(mut url) => {
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in params {
                    if let Some(v) = v {
                        q.append_pair(k, v);
                    }
                }
            }
            url.to_string()
        }
        // Registered callbacks are validated URLs; this only guards against stored junk.
        Err(_) => redirect_uri.to_owned(),
    }
}

/// Checks an authorize request (protocol §3).
pub async fn validate(kg: &Keygate, p: &AuthorizeParams) -> Result<ValidAuthorize, AuthorizeError> {
    for decisive in ["client_id", "redirect_uri"] {
        if p.repeated.as_deref() == Some(decisive) {
            return Err(AuthorizePageError::ParameterRepeated(decisive).into());
        }
    }
    let app_id: AppId = p
        .client_id
        .as_deref()
        .and_then(|s| s.parse().ok())
        .ok_or(AuthorizePageError::UnknownClient)?;
    let app = kg
        .data()
        .app(app_id)
        .await
        .map_err(AuthorizePageError::Store)?
        .map(std::sync::Arc::unwrap_or_clone)
        .ok_or(AuthorizePageError::UnknownClient)?;
    let redirect_uri = p
        .redirect_uri
        .clone()
        .filter(|r| !r.is_empty())
        .ok_or(AuthorizePageError::MissingRedirectUri)?;
    if !redirect::redirect_matches(&app.callback_url, &redirect_uri, app.kind) {
        return Err(AuthorizePageError::RedirectUriMismatch.into());
    }
    let state = p.state.clone();
    // The Azure flavour's responses stay as they were; every standard one carries `iss`.
    let azure = p
        .response_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("assertion"));
    let iss = p.issuer.clone().filter(|_| !azure);
    let form_post = !azure && p.response_mode.as_deref() == Some("form_post");
    let refuse = |error: &'static str, description: &'static str| {
        AuthorizeError::Redirect(AuthorizeRedirectError {
            redirect_uri: redirect_uri.clone(),
            error,
            description,
            state: state.clone(),
            iss: iss.clone(),
            form_post,
            entra: p.entra,
        })
    };
    if p.repeated.is_some() {
        return Err(refuse(
            "invalid_request",
            "A parameter was sent more than once",
        ));
    }
    if !azure {
        match p.response_mode.as_deref() {
            None | Some("" | "query" | "form_post") => {}
            Some(_) => {
                return Err(refuse(
                    "invalid_request",
                    "response_mode must be query or form_post",
                ))
            }
        }
        // OpenID Connect Core §6: request objects are not supported, and say so.
        if p.request.as_deref().is_some_and(|r| !r.is_empty()) {
            return Err(refuse(
                "request_not_supported",
                "The request parameter is not supported",
            ));
        }
        if p.request_uri.as_deref().is_some_and(|r| !r.is_empty()) {
            return Err(refuse(
                "request_uri_not_supported",
                "The request_uri parameter is not supported",
            ));
        }
    }
    let kind = match p
        .response_type
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("assertion") => ResponseKind::Assertion,
        Some("code") => ResponseKind::Code,
        _ => {
            return Err(refuse(
                "unsupported_response_type",
                "response_type must be Assertion or code",
            ))
        }
    };
    let requested = p.scope.as_deref().unwrap_or("").trim();
    let scopes = match kind {
        ResponseKind::Assertion => match ScopeSet::parse(requested) {
            Ok(s) if s == app.scopes => s,
            _ => {
                return Err(refuse(
                    "InvalidScope",
                    "The requested scopes must equal the scopes registered for the application",
                ))
            }
        },
        ResponseKind::Code if requested.is_empty() => app.scopes.clone(),
        // OpenID Connect scopes are always allowed; only API scopes must be registered.
        ResponseKind::Code => match ScopeSet::parse(requested) {
            Ok(s) if s.registrable_part().is_subset(&app.scopes) => s,
            _ => {
                return Err(refuse(
                    "invalid_scope",
                    "The requested scope is not registered for the application",
                ))
            }
        },
    };
    let code_challenge = match (
        p.code_challenge.as_deref(),
        p.code_challenge_method.as_deref(),
    ) {
        (None | Some(""), _) => None,
        (Some(c), Some("S256")) if pkce::is_valid_challenge(c) => Some(c.to_owned()),
        (Some(_), Some("S256")) => {
            return Err(refuse(
                "invalid_request",
                "code_challenge must be 43-128 characters of base64url",
            ))
        }
        (Some(_), _) => {
            return Err(refuse(
                "invalid_request",
                "code_challenge_method must be S256",
            ))
        }
    };
    if code_challenge.is_none() && (app.kind == ClientKind::Public || kg.policy.require_pkce) {
        // RFC 7636 §4.4.1; OAuth 2.1 requires it of public clients, RFC 9700 §2.1.1 advises it
        // for all.
        return Err(refuse(
            "invalid_request",
            "code_challenge is required (PKCE, method S256)",
        ));
    }
    // OpenID Connect Core §5.5: claims asked for by name are released with the scope that
    // holds them, which the consent page then shows.
    let scopes = if kind == ResponseKind::Code && scopes.contains(crate::oidc::OPENID_SCOPE) {
        match crate::oidc::claims::scopes_for_claims_parameter(p.claims.as_deref()) {
            Ok(extra) => scopes.with(extra),
            Err(description) => return Err(refuse("invalid_request", description)),
        }
    } else {
        scopes
    };
    let oidc = match crate::oidc::prompt::SignInRequest::parse(p) {
        Ok(oidc) => oidc,
        Err(description) => return Err(refuse("invalid_request", description)),
    };
    Ok(ValidAuthorize {
        app,
        redirect_uri,
        state,
        scopes,
        kind,
        code_challenge,
        client_id: p.client_id.clone().unwrap_or_default(),
        nonce: p.nonce.clone().filter(|n| !n.is_empty()),
        oidc,
        iss,
        form_post,
        entra: p.entra,
    })
}

/// Why Accept could not complete.
#[derive(Debug, thiserror::Error)]
pub enum ConsentError {
    /// Signing failed.
    #[error(transparent)]
    Mint(#[from] MintError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Accept: records the authorization and returns the redirect carrying `code` and `state`.
/// `session` is the browser session the user is signed in with (for OpenID Connect's
/// `auth_time` and `sid`).
pub async fn accept(
    kg: &Keygate,
    req: &ValidAuthorize,
    user: &User,
    session: Option<&SessionInfo>,
) -> Result<String, ConsentError> {
    Ok(grant(kg, req, user, session).await?.location())
}

/// Accept, answered in the request's response mode: records the authorization and returns the
/// response carrying `code`, `state` and (standard requests) `iss`.
pub async fn grant(
    kg: &Keygate,
    req: &ValidAuthorize,
    user: &User,
    session: Option<&SessionInfo>,
) -> Result<AuthorizationResponse, ConsentError> {
    let now = kg.clock.now();
    let oidc = req.scopes.contains(OPENID_SCOPE).then(|| OidcContext {
        cid: req.client_id.clone(),
        nonce: req.nonce.clone(),
        auth_time: session.map_or(now, |s| s.auth_time),
        sid: session.map(|s| s.sid.clone()),
    });
    let authorization = NewAuthorization {
        id: AuthorizationId::new_random(),
        user_id: user.id,
        app_id: req.app.id,
        scopes: req.scopes.clone(),
        created_at: now,
    };
    let expires_at = now + kg.lifetimes.code;
    let code = kg.credentials.mint_code(
        authorization.id,
        user.id,
        &req.scopes,
        now,
        expires_at,
        oidc.as_ref(),
    )?;
    kg.store()
        .create_authorization(
            authorization.clone(),
            NewCode {
                hash: code.hash,
                redirect_uri: req.redirect_uri.clone(),
                code_challenge: req.code_challenge.clone(),
                expires_at,
            },
            crate::audit::authorization_granted(kg, &authorization),
        )
        .await?;
    tracing::info!(app.id = %req.app.id, user.id = %user.id, aui = %authorization.id, "authorization granted");
    Ok(AuthorizationResponse::new(
        &req.redirect_uri,
        [
            ("code", Some(&code.value)),
            ("state", req.state.as_deref()),
            ("iss", req.iss.as_deref()),
        ],
        req.form_post,
    ))
}

/// Deny: the redirect carrying `error=access_denied` and `state`, and no code.
pub fn deny(req: &ValidAuthorize) -> String {
    denial(req).location()
}

/// Deny, answered in the request's response mode.
pub fn denial(req: &ValidAuthorize) -> AuthorizationResponse {
    req.refusal("access_denied", "The user denied the authorization request")
        .response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_keep_an_existing_query_and_encode_values() {
        let url = redirect_with(
            "https://app.example/cb?x=1",
            &[("code", Some("a b&c")), ("state", None)],
        );
        assert_eq!(url, "https://app.example/cb?x=1&code=a+b%26c");
    }
}
