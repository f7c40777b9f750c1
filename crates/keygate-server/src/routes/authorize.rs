//! `/oauth2/authorize`: validate, sign in, show consent, and answer Accept or Deny (protocol §3).

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use keygate_core::oauth::authorize::{self, AuthorizeError, AuthorizeParams, ValidAuthorize};
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
    Router::new().route("/oauth2/authorize", get(authorize_form).post(decide))
}

/// The parameters carried from the authorize query through the consent form.
const CARRIED: [&str; 8] = [
    "client_id",
    "response_type",
    "state",
    "scope",
    "redirect_uri",
    "code_challenge",
    "code_challenge_method",
    "nonce",
];

fn params(f: &FormFields) -> AuthorizeParams {
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
        AuthorizeError::Redirect(r) => found(&r.location()),
    }
}

async fn authorize_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    MaybeUser(user): MaybeUser,
    addr: crate::origin::ClientAddr,
) -> Response {
    let query = query.unwrap_or_default();
    let fields = FormFields::parse(query.as_bytes());
    let valid = match authorize::validate(&state.kg, &params(&fields)).await {
        Ok(v) => v,
        Err(e) => return refuse(e),
    };
    let user = match crate::emulator::before_consent(
        &state, &headers, &query, &fields, &valid, user, addr,
    )
    .await
    {
        Ok(crate::emulator::Step::Continue(user)) => user,
        Ok(crate::emulator::Step::Respond(response)) => return response,
        Err(e) => return e.into_response(),
    };
    let Some(user) = user else {
        return PageError::SignInRequired {
            return_url: format!("/oauth2/authorize?{query}"),
        }
        .into_response();
    };
    let (nav, cookies) = nav(&state, &headers, Some(&user));
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

fn consent_scopes(valid: &ValidAuthorize) -> Vec<ScopeLabel> {
    valid
        .scopes
        .iter()
        .filter_map(|s| catalogue().get(s))
        .map(ScopeLabel::from)
        .collect()
}

async fn decide(
    State(state): State<AppState>,
    headers: HeaderMap,
    MaybeUser(user): MaybeUser,
    addr: crate::origin::ClientAddr,
    body: Bytes,
) -> Result<Response, PageError> {
    let fields = FormFields::parse(&body);
    if !csrf::verify(&state, &headers, fields.get("csrf")) {
        return Err(PageError::Csrf);
    }
    let valid = match authorize::validate(&state.kg, &params(&fields)).await {
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
            let session = crate::session::session_info(&state, &headers).await?;
            match authorize::accept(
                &state.acting_user(user.id, addr),
                &valid,
                &user,
                session.as_ref(),
            )
            .await
            {
                Ok(location) => Ok(found(&location)),
                Err(e) => {
                    tracing::error!(error = %e, "could not record an authorization");
                    Err(match e {
                        authorize::ConsentError::Store(s) => s.into(),
                        authorize::ConsentError::Mint(_) => PageError::Internal,
                    })
                }
            }
        }
        Some("deny") => {
            tracing::info!(app.id = %valid.app.id, user.id = %user.id, "authorization denied");
            Ok(found(&authorize::deny(&valid)))
        }
        _ => Err(PageError::BadRequest("Choose Accept or Deny.".into())),
    }
}
