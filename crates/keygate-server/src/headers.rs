//! Security headers every response carries, and the stricter set for responses that carry codes
//! or secrets.
//!
//! Each header is set only when the handler did not set it: static assets choose their own
//! caching, the JWKS its `max-age`.

use axum::http::{header, HeaderName, HeaderValue};
use axum::Router;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::state::AppState;

/// Pages may not be framed, sniffed, run inline script, or load anything from other hosts: the
/// stylesheet and the one script come from this origin. Images may come from https (app logos); `form-action` is left out on purpose: browsers apply it to the
/// redirect that follows the consent form, which goes to each app's own callback host.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' https:; base-uri 'none'; frame-ancestors 'none'";

/// One year, as HSTS preload lists expect; sent only when the public URL is https.
pub(crate) const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000";

/// Whether responses should carry HSTS: the public URL is https and not a loopback host, where
/// pinning https would break every other local development server on that name.
pub(crate) fn wants_hsts(public_url: &url::Url) -> bool {
    public_url.scheme() == "https"
        && !public_url
            .host_str()
            .is_some_and(keygate_core::validate::is_loopback_host)
}

fn default_header(name: HeaderName, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
}

/// Layers the security headers over every route, including the answers of the limit layers.
///
/// `Referrer-Policy: no-referrer` and `Cache-Control: no-store` are the defaults everywhere:
/// authorize URLs carry `state`, callbacks carry codes, and nothing dynamic here should be cached.
pub(crate) fn apply(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    let router = router
        .layer(default_header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(default_header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(default_header(
            header::CONTENT_SECURITY_POLICY,
            CONTENT_SECURITY_POLICY,
        ))
        .layer(default_header(header::REFERRER_POLICY, "no-referrer"))
        .layer(default_header(header::CACHE_CONTROL, "no-store"));
    if wants_hsts(&state.public_url) {
        router.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        ))
    } else {
        router
    }
}

/// Headers for responses that carry codes or secrets: no referrer, no caching.
pub(crate) fn sensitive() -> [(HeaderName, HeaderValue); 3] {
    [
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::PRAGMA, HeaderValue::from_static("no-cache")),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hsts_is_wanted_for_https_public_urls_except_loopback() {
        let url = |s: &str| url::Url::parse(s).unwrap();
        assert!(wants_hsts(&url("https://keygate.example.com")));
        assert!(!wants_hsts(&url("http://keygate.example.com")));
        assert!(!wants_hsts(&url("https://localhost:8443")));
        assert!(!wants_hsts(&url("https://127.0.0.1:8443")));
    }
}
