//! `/oauth2/authorize`: validate, sign in, show consent, and answer Accept or Deny (protocol §3).
//!
//! The endpoint answers an authorization request by GET or, as OpenID Connect Core §3.1.2.1
//! requires, by a form POST; a POST carrying the consent page's CSRF field is the consent
//! decision instead, so the two never mix. Standard responses carry `iss` (RFC 9207) and follow
//! `response_mode`; OpenID Connect's `prompt`, `max_age` and `id_token_hint` decide whether to
//! sign in, ask consent, answer at once or refuse without a page (`keygate_core::oidc::prompt`).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use keygate_core::oauth::authorize::{self, AuthorizeError, AuthorizeParams, ValidAuthorize};
use keygate_core::oidc::prompt::{self, NextStep};
use keygate_core::scopes::catalogue;

use super::nav;
use crate::csrf;
use crate::error::PageError;
use crate::forms::FormFields;
use crate::headers::sensitive;
use crate::pages::{render, ConsentPage, ScopeLabel};
use crate::session::MaybeUser;
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new().route(
        "/oauth2/authorize",
        get(authorize_form).post(authorize_post),
    )
}

/// The parameters carried from the authorize query through the consent form.
const CARRIED: [&str; 11] = [
    "client_id",
    "response_type",
    "state",
    "scope",
    "redirect_uri",
    "code_challenge",
    "code_challenge_method",
    "nonce",
    "response_mode",
    "claims",
    ENTRA_MARKER,
];

/// The carried field that marks a request as come through Entra's authorize endpoint.
pub(crate) const ENTRA_MARKER: &str = "entra";

fn params(state: &AppState, f: &FormFields) -> AuthorizeParams {
    let get = |k: &str| f.get(k).map(str::to_owned);
    AuthorizeParams {
        client_id: get("client_id"),
        response_type: get("response_type"),
        state: get("state"),
        scope: get("scope"),
        redirect_uri: get("redirect_uri"),
        code_challenge: get("code_challenge"),
        code_challenge_method: get("code_challenge_method"),
        // Only the request's own parameters count: unknown ones are ignored (RFC 6749 §3.1), and
        // the consent form posts its own fields beside the carried ones.
        repeated: f.repeated_among(&CARRIED).map(str::to_owned),
        nonce: get("nonce"),
        prompt: get("prompt"),
        max_age: get("max_age"),
        id_token_hint: get("id_token_hint"),
        response_mode: get("response_mode"),
        request: get("request"),
        request_uri: get("request_uri"),
        claims: get("claims"),
        issuer: Some(state.base()),
        entra: f.get(ENTRA_MARKER) == Some("1"),
    }
}

/// A 302 to `location`, with no referrer leaking the code and no caching.
pub(crate) fn found(location: &str) -> Response {
    (
        StatusCode::FOUND,
        sensitive(),
        [(header::LOCATION, location.to_owned())],
    )
        .into_response()
}

/// Renders the error channel: a 400 page that never redirects, or a redirect back to the app.
fn refuse(e: AuthorizeError) -> Response {
    match e {
        AuthorizeError::Page(page) => {
            if let authorize::AuthorizePageError::Store(s) = page {
                return PageError::from(s).into_response();
            }
            crate::error::error_page(
                StatusCode::BAD_REQUEST,
                "This authorization request is not valid",
                page.to_string(),
            )
        }
        AuthorizeError::Redirect(r) => super::oidc::deliver(r.response()),
    }
}

async fn authorize_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    user: MaybeUser,
    addr: crate::origin::ClientAddr,
) -> Response {
    let query = query.unwrap_or_default();
    let fields = FormFields::parse(query.as_bytes());
    authorization_request(&state, &headers, &query, &fields, user.0, addr, true).await
}

/// `POST /oauth2/authorize`: the consent decision when the consent form's fields (`csrf`,
/// `decision`) are there, an authorization request sent as a form otherwise.
async fn authorize_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    user: MaybeUser,
    addr: crate::origin::ClientAddr,
    body: Bytes,
) -> Response {
    let fields = FormFields::parse(&body);
    // The consent form's own fields; a forged decision without a CSRF token is refused, never
    // taken for an authorization request.
    if fields.get("csrf").is_some() || fields.get("decision").is_some() {
        return match decide(&state, &headers, user.0, addr, &fields).await {
            Ok(response) => response,
            Err(e) => e.into_response(),
        };
    }
    let query = String::from_utf8_lossy(&body).into_owned();
    authorization_request(&state, &headers, &query, &fields, user.0, addr, false).await
}

/// Validates an authorization request and takes the step it calls for. `query` is the request
/// as it would come back to `/oauth2/authorize` after a sign-in.
pub(crate) async fn authorization_request(
    state: &AppState,
    headers: &HeaderMap,
    query: &str,
    fields: &FormFields,
    user: Option<keygate_core::model::User>,
    addr: crate::origin::ClientAddr,
    by_get: bool,
) -> Response {
    let valid = match authorize::validate(&state.kg, &params(state, fields)).await {
        Ok(v) => v,
        Err(e) => return refuse(e),
    };
    let user =
        match crate::emulator::before_consent(state, headers, query, fields, &valid, user, addr)
            .await
        {
            Ok(crate::emulator::Step::Continue(user)) => user,
            Ok(crate::emulator::Step::Respond(response)) => return response,
            Err(e) => return e.into_response(),
        };
    let session = match crate::session::session_info(state, headers).await {
        Ok(session) => session,
        Err(e) => return PageError::from(e).into_response(),
    };
    let next = prompt::next_step(
        &state.kg,
        &valid,
        &state.base(),
        user.as_ref(),
        session.as_ref(),
    )
    .await;
    let user = match (next, user) {
        (Err(e), _) => return PageError::from(e).into_response(),
        (Ok(NextStep::Refuse(e)), _) => return super::oidc::deliver(e.response()),
        (Ok(NextStep::SignIn), _) | (_, None) => {
            if by_get && fields.get("prompt").is_none() && fields.get("login_hint").is_none() {
                // Back to the very request, as it was sent.
                return PageError::SignInRequired {
                    return_url: format!("/oauth2/authorize?{query}"),
                }
                .into_response();
            }
            return sign_in_first(fields);
        }
        (Ok(NextStep::Grant), Some(user)) => {
            let kg = state.acting_user(user.id, addr);
            return match authorize::grant(&kg, &valid, &user, session.as_ref()).await {
                Ok(response) => super::oidc::deliver(response),
                Err(e) => consent_failed(e).into_response(),
            };
        }
        (Ok(NextStep::Consent), Some(user)) => user,
    };
    let (nav, cookies) = nav(state, headers, Some(&user));
    let hidden = CARRIED
        .iter()
        .filter_map(|k| fields.get(k).map(|v| (*k, v.to_owned())))
        .collect();
    let page = ConsentPage {
        nav,
        scopes: consent_scopes(&valid),
        redirect_host: url::Url::parse(&valid.redirect_uri)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default(),
        user_email: user.email.clone(),
        app: valid.app,
        hidden,
    };
    (sensitive(), AppendHeaders(cookies), render(&page)).into_response()
}

/// Sends the visitor to sign in, coming back to the same request as a GET. A `prompt` asking
/// for a fresh sign-in is dropped from the way back (the sign-in happens now), and `login_hint`
/// fills in the email address.
fn sign_in_first(fields: &FormFields) -> Response {
    let mut back = form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields.pairs() {
        if name == "prompt" {
            let rest: Vec<&str> = value
                .split(' ')
                .filter(|v| !v.is_empty() && *v != "login" && *v != "select_account")
                .collect();
            if !rest.is_empty() {
                back.append_pair("prompt", &rest.join(" "));
            }
            continue;
        }
        back.append_pair(name, value);
    }
    let return_url = format!("/oauth2/authorize?{}", back.finish());
    let mut target = form_urlencoded::Serializer::new(String::new());
    target.append_pair("returnUrl", &return_url);
    if let Some(hint) = fields.get("login_hint").filter(|h| !h.is_empty()) {
        target.append_pair("login_hint", hint);
    }
    (
        StatusCode::SEE_OTHER,
        sensitive(),
        [(header::LOCATION, format!("/_signin?{}", target.finish()))],
    )
        .into_response()
}

fn consent_failed(e: authorize::ConsentError) -> PageError {
    tracing::error!(error = %e, "could not record an authorization");
    match e {
        authorize::ConsentError::Store(s) => s.into(),
        authorize::ConsentError::Mint(_) => PageError::Internal,
    }
}

fn consent_scopes(valid: &ValidAuthorize) -> Vec<ScopeLabel> {
    valid
        .scopes
        .iter()
        .filter_map(|s| catalogue().get(s))
        .map(ScopeLabel::from)
        .collect()
}

async fn decide(
    state: &AppState,
    headers: &HeaderMap,
    user: Option<keygate_core::model::User>,
    addr: crate::origin::ClientAddr,
    fields: &FormFields,
) -> Result<Response, PageError> {
    if !csrf::verify(state, headers, fields.get("csrf")) {
        return Err(PageError::Csrf);
    }
    let valid = match authorize::validate(&state.kg, &params(state, fields)).await {
        Ok(v) => v,
        Err(e) => return Ok(refuse(e)),
    };
    let Some(user) = user else {
        return Err(PageError::SignInRequired {
            return_url: "/".into(),
        });
    };
    match fields.get("decision") {
        Some("accept") => {
            let session = crate::session::session_info(state, headers).await?;
            let kg = state.acting_user(user.id, addr);
            match authorize::grant(&kg, &valid, &user, session.as_ref()).await {
                Ok(response) => Ok(super::oidc::deliver(response)),
                Err(e) => Err(consent_failed(e)),
            }
        }
        Some("deny") => {
            tracing::info!(app.id = %valid.app.id, user.id = %user.id, "authorization denied");
            Ok(super::oidc::deliver(authorize::denial(&valid)))
        }
        _ => Err(PageError::BadRequest("Choose Accept or Deny.".into())),
    }
}
