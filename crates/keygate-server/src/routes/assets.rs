//! The stylesheet, the page script and the icon, compiled into the binary so pages load nothing
//! from other hosts (and the CSP can stay at `'self'`).

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

use crate::state::AppState;

const STYLESHEET: &str = include_str!("../../static/keygate.css");
const SCRIPT: &str = include_str!("../../static/keygate.js");
const ICON: &str = include_str!("../../static/favicon.svg");
/// Submits a `response_mode=form_post` answer (the CSP allows no inline script).
const FORM_POST_SCRIPT: &str = include_str!("../../static/form_post.js");

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/_static/keygate.css",
            get(|| asset("text/css; charset=utf-8", STYLESHEET)),
        )
        .route(
            "/_static/keygate.js",
            get(|| asset("text/javascript; charset=utf-8", SCRIPT)),
        )
        .route(
            "/_static/form_post.js",
            get(|| asset("text/javascript; charset=utf-8", FORM_POST_SCRIPT)),
        )
        .route("/_static/favicon.svg", get(|| asset("image/svg+xml", ICON)))
        // Browsers ask for this path whether or not a page names an icon.
        .route("/favicon.ico", get(|| asset("image/svg+xml", ICON)))
}

async fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}
