//! Security headers: CSP, framing, sniffing and referrer on every response; no-store on token
//! responses; HSTS exactly when the public URL is https on a real host name.

use keygate_server::Limits;
use reqwest::{Response, StatusCode};

use super::helpers::{TestApp, ASSERTION_TYPE, JWT_BEARER};
use super::limited_app::LimitedApp;

fn assert_page_headers(r: &Response, what: &str) {
    let h = r.headers();
    let csp = h
        .get("content-security-policy")
        .unwrap_or_else(|| panic!("{what}: no CSP"))
        .to_str()
        .unwrap();
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(
            csp.contains(directive),
            "{what}: CSP lacks {directive}: {csp}"
        );
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{what}: {csp}"
    );
    assert_eq!(h["x-frame-options"], "DENY", "{what}");
    assert_eq!(h["x-content-type-options"], "nosniff", "{what}");
    assert_eq!(h["referrer-policy"], "no-referrer", "{what}");
}

#[tokio::test]
async fn every_page_and_answer_carries_csp_framing_sniffing_and_referrer_headers() {
    let app = TestApp::spawn().await;
    for path in [
        "/",
        "/_signin",
        "/app/register",
        "/profile/view",
        "/profile/authorizations",
        "/oauth2/authorize?client_id=nope",
        "/healthz",
        "/readyz",
        "/_apis/profile/profiles/me",
        "/no/such/page",
    ] {
        let r = app.get(path).await;
        assert_page_headers(&r, path);
    }
    let r = app.post_token(&[("grant_type", "refresh_token")]).await;
    assert_page_headers(&r, "POST /oauth2/token");
}

#[tokio::test]
async fn token_responses_are_never_cached_whether_they_succeed_or_fail() {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    let client = app.register_client(&user).await;
    app.sign_in("ana@example.com").await;
    let code = app.authorize_code(&client).await;
    let ok = app.exchange(&client, &code).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert_eq!(ok.headers()["cache-control"], "no-store");
    assert_eq!(ok.headers()["pragma"], "no-cache");
    let failed = app
        .post_token(&[
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &client.secret),
            ("grant_type", JWT_BEARER),
            ("assertion", &code),
        ])
        .await;
    assert_eq!(failed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(failed.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn the_callback_redirect_carrying_a_code_leaks_no_referrer_and_is_not_cached() {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    let client = app.register_client(&user).await;
    app.sign_in("ana@example.com").await;
    let r = app
        .post_consent(&TestApp::authorize_query(&client, "s"), "accept")
        .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    assert_eq!(r.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn static_assets_keep_their_own_caching() {
    let app = TestApp::spawn().await;
    let html = app.get("/_signin").await.text().await.unwrap();
    let marker = "rel=\"stylesheet\" href=\"";
    let start = html.find(marker).expect("no stylesheet") + marker.len();
    let end = html[start..].find('"').unwrap() + start;
    let r = app.get(&html[start..end]).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_ne!(r.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn hsts_is_sent_when_the_public_url_is_https() {
    let app = LimitedApp::spawn(Limits::default(), Some("https://keygate.example.com")).await;
    for path in ["/healthz", "/_signin", "/no/such/page"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            r.headers()["strict-transport-security"],
            "max-age=31536000",
            "{path}"
        );
    }
}

#[tokio::test]
async fn hsts_is_not_sent_over_plain_http_or_for_a_loopback_https_url() {
    let plain = LimitedApp::spawn(Limits::default(), None).await;
    let r = plain
        .client
        .get(plain.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
    let local = LimitedApp::spawn(Limits::default(), Some("https://localhost:8443")).await;
    let r = local
        .client
        .get(local.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert!(r.headers().get("strict-transport-security").is_none());
}
