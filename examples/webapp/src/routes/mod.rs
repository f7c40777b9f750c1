//! The route table, the security headers over every response, and the static files.

mod home;
mod oauth;
mod projects;
mod token;

use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::error::AppError;
use crate::state::AppState;

/// Scripts and styles from this app only (no inline script), nothing framed, no referrer (the
/// callback URL carries a code).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const STYLESHEET: &str = include_str!("../../static/app.css");
const COUNTDOWN: &str = include_str!("../../static/countdown.js");

/// Every route.
pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(home::show_home))
        .route("/oauth/start", get(oauth::start_authorize))
        .route("/oauth/callback", get(oauth::finish_authorize))
        .route("/token", get(token::show_token))
        .route("/token/refresh", axum::routing::post(token::refresh_token))
        .route("/projects", get(projects::list_projects))
        .route("/static/app.css", get(stylesheet))
        .route("/static/countdown.js", get(countdown))
        .fallback(|| async { AppError::NotFound })
        .method_not_allowed_fallback(|| async { AppError::MethodNotAllowed })
        .layer(header_layer(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(header_layer(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header_layer(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header_layer(header::REFERRER_POLICY, "no-referrer"))
        .with_state(state)
}

fn header_layer(
    name: header::HeaderName,
    value: &'static str,
) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        STYLESHEET,
    )
}

async fn countdown() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        COUNTDOWN,
    )
}

/// Pages that show tokens or user data are not cached.
pub(crate) const NO_STORE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "no-store");
