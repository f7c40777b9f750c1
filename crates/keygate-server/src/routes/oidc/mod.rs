//! OpenID Connect endpoints beside the OAuth ones, and what they add to the discovery
//! document (OpenID Connect Discovery 1.0 §3).

mod metadata;

use axum::Router;

use crate::state::AppState;

pub(crate) use metadata::extend_metadata;

pub(super) fn router() -> Router<AppState> {
    Router::new()
}
