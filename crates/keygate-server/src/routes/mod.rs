//! The route table: one small router per area, merged here.

mod api;
mod apps;
mod assets;
mod authorize;
mod device;
mod device_authorization;
mod discovery;
mod entra;
mod health;
mod introspect;
mod oidc;
mod profile;
mod revoke;
mod signin;
mod standard_oauth;
mod token;

use axum::http::{header, HeaderMap, HeaderName};
use axum::Router;
use keygate_core::model::User;

use crate::csrf;
use crate::pages::Nav;
use crate::session::{set_cookie, PRE_SESSION_COOKIE};
use crate::state::AppState;

/// Every route, with the security headers layered over all of them.
pub(crate) fn router(state: AppState) -> Router {
    let routes = Router::new()
        .merge(health::router())
        .merge(assets::router())
        .merge(signin::router())
        .merge(apps::router())
        .merge(authorize::router())
        .merge(token::router())
        .merge(discovery::router())
        .merge(introspect::router())
        .merge(revoke::router())
        .merge(device::router())
        .merge(device_authorization::router())
        .merge(api::router())
        .merge(profile::router())
        .merge(oidc::router())
        .merge(entra::router())
        .merge(crate::metrics::router(&state));
    let routes = crate::middleware::wrap(routes, &state);
    // Outermost: `/_apis/...` paths match case-insensitively, as on the hosted service.
    api::case_insensitive(routes.with_state(state))
}

/// The header bar for a page, and the pre-session cookie to set when the browser has none.
pub(crate) fn nav(
    state: &AppState,
    request_headers: &HeaderMap,
    user: Option<&User>,
) -> (Nav, Vec<(HeaderName, String)>) {
    let (token, fresh) = csrf::token_for(state, request_headers);
    let cookies = fresh
        .map(|value| {
            vec![(
                header::SET_COOKIE,
                set_cookie(state, PRE_SESSION_COOKIE, &value, None),
            )]
        })
        .unwrap_or_default();
    (
        Nav {
            user: user.map(|u| u.display_name.clone()),
            csrf: token,
        },
        cookies,
    )
}
