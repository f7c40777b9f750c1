//! The stylesheet, compiled into the binary so pages load nothing from other hosts.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

const STYLESHEET: &str = include_str!("../../static/keygate.css");

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/_static/keygate.css", get(stylesheet))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}
