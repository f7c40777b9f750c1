//! OpenID Connect endpoints beside the OAuth ones, and what they add to the discovery
//! document (OpenID Connect Discovery 1.0 §3).

mod form_post;
pub(crate) mod logout;
mod metadata;
mod userinfo;

use axum::routing::get;
use axum::Router;

use crate::state::AppState;

pub(crate) use form_post::deliver;
pub(crate) use metadata::extend_metadata;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            userinfo::USERINFO_PATH,
            get(userinfo::show_userinfo).post(userinfo::show_userinfo),
        )
        .route(
            logout::LOGOUT_PATH,
            get(logout::end_session).post(logout::end_session),
        )
}
