//! What an authorization request asks of the sign-in and consent steps (OpenID Connect Core
//! §3.1.2.1: `prompt`, `max_age`, `id_token_hint`), and the step that follows from it for the
//! visitor at hand: sign in, show consent, answer at once, or refuse without showing a page.

use super::id_token::verify_id_token_hint;
use super::OPENID_SCOPE;
use crate::accounts::SessionInfo;
use crate::authorizations;
use crate::context::Keygate;
use crate::model::User;
use crate::oauth::authorize::{
    AuthorizeParams, AuthorizeRedirectError, ResponseKind, ValidAuthorize,
};
use crate::store::StoreError;

/// The sign-in parameters of a request, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInRequest {
    /// `prompt=none`: answer without showing any page.
    pub none: bool,
    /// `prompt=login` (or `select_account`, which has no account picker here): sign in again.
    pub login: bool,
    /// `prompt=consent`: ask again even when consent was given before.
    pub consent: bool,
    /// `max_age`: the sign-in may be at most this many seconds old.
    pub max_age: Option<i64>,
    /// `id_token_hint`, as sent.
    pub id_token_hint: Option<String>,
}

impl SignInRequest {
    /// Parses the request's `prompt`, `max_age` and `id_token_hint`; the error is the
    /// `error_description` of an `invalid_request`.
    pub fn parse(p: &AuthorizeParams) -> Result<Self, &'static str> {
        let mut request = SignInRequest::default();
        let mut values = 0;
        for value in p
            .prompt
            .as_deref()
            .unwrap_or("")
            .split(' ')
            .filter(|v| !v.is_empty())
        {
            values += 1;
            match value {
                "none" => request.none = true,
                "login" | "select_account" => request.login = true,
                "consent" => request.consent = true,
                _ => return Err("prompt must be none, login, consent or select_account"),
            }
        }
        if request.none && values > 1 {
            return Err("prompt=none cannot be combined with other values");
        }
        request.max_age = match p.max_age.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(raw) => match raw.parse::<i64>() {
                Ok(seconds) if seconds >= 0 => Some(seconds),
                _ => return Err("max_age must be a number of seconds"),
            },
        };
        request.id_token_hint = p.id_token_hint.clone().filter(|h| !h.is_empty());
        Ok(request)
    }
}

/// What to do with a valid request for the visitor at hand.
#[derive(Debug)]
pub enum NextStep {
    /// Send the visitor to sign in (again), then back to the request without `prompt=login`.
    SignIn,
    /// Show the consent page.
    Consent,
    /// Answer with a code at once: consent was given before for these scopes.
    Grant,
    /// Answer with an error, without showing a page.
    Refuse(AuthorizeRedirectError),
}

/// Decides the step after validation for `user` signed in with `session` (if anyone is).
/// `issuer` is the discovery issuer, which an `id_token_hint` must name.
pub async fn next_step(
    kg: &Keygate,
    req: &ValidAuthorize,
    issuer: &str,
    user: Option<&User>,
    session: Option<&SessionInfo>,
) -> Result<NextStep, StoreError> {
    if req.kind == ResponseKind::Assertion {
        // The Azure flavour: sign in if needed, then always the consent page.
        return Ok(if user.is_some() {
            NextStep::Consent
        } else {
            NextStep::SignIn
        });
    }
    let ask = &req.oidc;
    let mut must_sign_in = user.is_none() || ask.login;
    if let (Some(max_age), Some(session)) = (ask.max_age, session) {
        // OpenID Connect Core §3.1.2.1: a sign-in older than max_age must be repeated.
        must_sign_in |= kg.clock.now() - session.auth_time > max_age;
    }
    if let Some(hint) = ask.id_token_hint.as_deref() {
        let Some(claims) = verify_id_token_hint(kg, issuer, hint) else {
            return Ok(NextStep::Refuse(req.refusal(
                "invalid_request",
                "id_token_hint is not an ID token issued here",
            )));
        };
        // The hint must come from this client, and name the user signed in.
        if !claims.aud.eq_ignore_ascii_case(&req.app.id.to_string()) {
            return Ok(NextStep::Refuse(req.refusal(
                "invalid_request",
                "id_token_hint was issued to another client",
            )));
        }
        if user.is_some_and(|u| super::claims::subject(&req.app, u) != claims.sub) {
            must_sign_in = true;
        }
    }
    if must_sign_in {
        return Ok(if ask.none {
            NextStep::Refuse(req.refusal("login_required", "The user must sign in"))
        } else {
            NextStep::SignIn
        });
    }
    let Some(user) = user else {
        return Ok(NextStep::SignIn);
    };
    if !ask.consent && consented_before(kg, req, user).await? {
        return Ok(NextStep::Grant);
    }
    Ok(if ask.none {
        NextStep::Refuse(req.refusal("consent_required", "The user must consent"))
    } else {
        NextStep::Consent
    })
}

/// Whether `user` has a live authorization of this app covering every requested scope.
/// Remembered consent is an OpenID Connect sign-in's; other requests always ask.
async fn consented_before(
    kg: &Keygate,
    req: &ValidAuthorize,
    user: &User,
) -> Result<bool, StoreError> {
    if req.kind != ResponseKind::Code || !req.scopes.contains(OPENID_SCOPE) {
        return Ok(false);
    }
    Ok(authorizations::of_user(kg, user.id)
        .await?
        .iter()
        .any(|a| a.app_id == req.app.id && req.scopes.is_subset(&a.scopes)))
}
