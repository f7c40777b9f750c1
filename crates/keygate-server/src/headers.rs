//! Security headers every response carries, and the stricter set for responses that carry codes
//! or secrets.
//!
//! Each header is set only when the handler did not set it: static assets choose their own
//! caching, the JWKS its `max-age`.

use axum::http::{header, HeaderName, HeaderValue};
use axum::response::Response;
use tower::util::MapResponseLayer;

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

/// The headers every response carries unless its handler set them.
const DEFAULT_HEADERS: [(HeaderName, &str); 5] = [
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
    (header::REFERRER_POLICY, "no-referrer"),
    (header::CACHE_CONTROL, "no-store"),
];

/// The security headers, for every route, including the answers of the limit layers.
///
/// `Referrer-Policy: no-referrer` and `Cache-Control: no-store` are the defaults everywhere:
/// authorize URLs carry `state`, callbacks carry codes, and nothing dynamic here should be cached.
///
/// HSTS is added (always) when [`wants_hsts`] says so for `public_url`.
pub(crate) fn layer(public_url: &url::Url) -> MapResponseLayer<fn(Response) -> Response> {
    if wants_hsts(public_url) {
        MapResponseLayer::new(|response| with_security_headers(response, true))
    } else {
        MapResponseLayer::new(|response| with_security_headers(response, false))
    }
}

/// `response` with each default header its handler did not set, and HSTS (always) if `hsts`.
fn with_security_headers(mut response: Response, hsts: bool) -> Response {
    let headers = response.headers_mut();
    for (name, value) in DEFAULT_HEADERS {
        headers
            .entry(name)
            .or_insert_with(|| HeaderValue::from_static(value));
    }
    if hsts {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(STRICT_TRANSPORT_SECURITY),
        );
    }
    response
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
    fn every_default_is_added_unless_the_handler_set_it_and_hsts_only_when_wanted() {
        let mut asset = Response::new(axum::body::Body::empty());
        asset.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        );
        let asset = with_security_headers(asset, false);
        let headers = asset.headers();
        assert_eq!(headers[header::CACHE_CONTROL], "public, max-age=3600");
        for (name, value) in DEFAULT_HEADERS
            .into_iter()
            .filter(|(n, _)| n != header::CACHE_CONTROL)
        {
            assert_eq!(headers[&name], value, "{name}");
        }
        assert!(!headers.contains_key(header::STRICT_TRANSPORT_SECURITY));

        let secure = with_security_headers(Response::new(axum::body::Body::empty()), true);
        assert_eq!(secure.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(
            secure.headers()[header::STRICT_TRANSPORT_SECURITY],
            STRICT_TRANSPORT_SECURITY
        );
    }

    #[test]
    fn hsts_is_wanted_for_https_public_urls_except_loopback() {
        let url = |s: &str| url::Url::parse(s).unwrap();
        assert!(wants_hsts(&url("https://keygate.example.com")));
        assert!(!wants_hsts(&url("http://keygate.example.com")));
        assert!(!wants_hsts(&url("https://localhost:8443")));
        assert!(!wants_hsts(&url("https://127.0.0.1:8443")));
    }
}
