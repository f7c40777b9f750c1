//! Test-emulator mode (`keygate serve --emulator`): shortcuts that let another project's test
//! suite run the OAuth flow with no browser. A `login_hint` naming a seeded user signs that user
//! in without a password, and `--auto-approve` answers the consent page with Accept.
//!
//! The binary enables this only on a loopback listen address, with a banner; a production
//! server never has it.

use std::collections::HashSet;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use keygate_core::accounts;
use keygate_core::model::User;
use keygate_core::oauth::authorize::{self, ValidAuthorize};

use crate::error::PageError;
use crate::forms::FormFields;
use crate::headers::sensitive;
use crate::origin::ClientAddr;
use crate::session::{set_cookie, SESSION_COOKIE};
use crate::state::AppState;

/// The emulator's switches.
#[derive(Debug, Clone, Default)]
pub struct Emulator {
    /// Grant consent without showing the page to a signed-in user.
    pub auto_approve: bool,
    /// Lower-case emails that a `login_hint` signs in without a password (the seeded users).
    pub passwordless: HashSet<String>,
}

impl Emulator {
    /// Whether `login_hint` names a user who may sign in without a password.
    fn allows(&self, login_hint: &str) -> bool {
        self.passwordless
            .contains(&login_hint.trim().to_ascii_lowercase())
    }
}

/// What the authorize page does next.
pub(crate) enum Step {
    /// Show the consent page (or send to sign-in) as usual.
    Continue(Option<User>),
    /// Answer with this instead.
    Respond(Response),
}

/// The emulator's shortcuts before the consent page: sign in the hinted seeded user, and accept
/// for a signed-in user when auto-approving. Without `--emulator` it always continues.
pub(crate) async fn before_consent(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    query: &str,
    fields: &FormFields,
    valid: &ValidAuthorize,
    user: Option<User>,
    addr: ClientAddr,
) -> Result<Step, PageError> {
    let Some(emulator) = state.emulator.as_deref() else {
        return Ok(Step::Continue(user));
    };
    let (user, session) = match (user, fields.get("login_hint")) {
        (Some(user), _) => (user, None),
        (None, Some(hint)) if emulator.allows(hint) => {
            let Some(user) = accounts::find_user(state.kg.data(), hint).await? else {
                return Ok(Step::Continue(None));
            };
            let session = accounts::start_session(&state.kg, &user).await?;
            tracing::info!(user.id = %user.id, "emulator: signed in by login_hint");
            (user, Some(session))
        }
        (None, _) => return Ok(Step::Continue(None)),
    };
    let mut response = if emulator.auto_approve {
        let kg = state.acting_user(user.id, addr);
        let info = match &session {
            Some(fresh) => accounts::session_info(&state.kg, fresh).await?,
            None => crate::session::session_info(state, headers).await?,
        };
        match authorize::accept(&kg, valid, &user, info.as_ref()).await {
            Ok(location) => found(&location),
            Err(authorize::ConsentError::Store(e)) => return Err(e.into()),
            Err(authorize::ConsentError::Mint(_)) => return Err(PageError::Internal),
        }
    } else if session.is_some() {
        // Signed in just now: come back to the same request, now with the session cookie.
        found(&format!("/oauth2/authorize?{query}"))
    } else {
        return Ok(Step::Continue(Some(user)));
    };
    if let Some(session) = session {
        let cookie = set_cookie(
            state,
            SESSION_COOKIE,
            &session,
            Some(state.kg.lifetimes.session),
        );
        if let Ok(v) = cookie.parse() {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    Ok(Step::Respond(response))
}

/// A 302 to `location`, with no referrer leaking a code and no caching.
fn found(location: &str) -> Response {
    (
        StatusCode::FOUND,
        sensitive(),
        [(header::LOCATION, location.to_owned())],
    )
        .into_response()
}
