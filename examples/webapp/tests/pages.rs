//! The web app's pages over real https without a browser: the redirect to the authorize page,
//! the `state` check at the callback, the readable error pages and the security headers.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly at the line that broke"
)]

mod support;

use reqwest::{Client, StatusCode};
use support::World;

/// A cookie-keeping client that trusts the web app's self-signed certificate and does not
/// follow redirects.
fn browser() -> Client {
    Client::builder()
        .danger_accept_invalid_certs(true)
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn query(url: &str, key: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

#[tokio::test]
async fn authorize_sends_the_browser_to_keygate_with_a_fresh_state_and_a_pkce_challenge() {
    let world = World::start().await;
    let b = browser();
    let home = b.get(world.webapp_url("/")).send().await.unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home.text().await.unwrap().contains("href=\"/oauth/start\""));

    let start = b
        .get(world.webapp_url("/oauth/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER);
    let cookie = start.headers()["set-cookie"].to_str().unwrap().to_owned();
    for attribute in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    let location = start.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with(&format!("{}/oauth2/authorize?", world.keygate)),
        "{location}"
    );
    assert_eq!(
        query(&location, "response_type").as_deref(),
        Some("Assertion")
    );
    assert_eq!(
        query(&location, "redirect_uri"),
        Some(world.webapp_url("/oauth/callback"))
    );
    assert_eq!(
        query(&location, "code_challenge_method").as_deref(),
        Some("S256")
    );
    let state = query(&location, "state").unwrap();

    let again = b
        .get(world.webapp_url("/oauth/start"))
        .send()
        .await
        .unwrap();
    assert!(
        again.headers().get("set-cookie").is_none(),
        "the session is kept"
    );
    let second = query(again.headers()["location"].to_str().unwrap(), "state").unwrap();
    assert_ne!(state, second, "every authorize request has its own state");
}

#[tokio::test]
async fn a_callback_whose_state_this_browser_never_sent_ends_on_a_readable_page() {
    let world = World::start().await;
    let b = browser();
    let start = b
        .get(world.webapp_url("/oauth/start"))
        .send()
        .await
        .unwrap();
    let state = query(start.headers()["location"].to_str().unwrap(), "state").unwrap();

    for path in [
        "/oauth/callback?code=abc&state=forged".to_owned(),
        "/oauth/callback?code=abc".to_owned(),
        "/oauth/callback".to_owned(),
    ] {
        let r = b.get(world.webapp_url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        assert!(r
            .text()
            .await
            .unwrap()
            .contains("This sign-in cannot be completed"));
    }

    // Another browser (no session cookie) cannot use this browser's state.
    let stranger = browser()
        .get(world.webapp_url(&format!("/oauth/callback?code=abc&state={state}")))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), StatusCode::BAD_REQUEST);

    // The real state with a forged code reaches Keygate, which refuses; the state is then spent.
    let forged = b
        .get(world.webapp_url(&format!("/oauth/callback?code=abc&state={state}")))
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::BAD_GATEWAY);
    let page = forged.text().await.unwrap();
    assert!(page.contains("The authorization server refused"), "{page}");
    assert!(
        page.contains("invalid_client") || page.contains("invalid_grant"),
        "{page}"
    );
    let replay = b
        .get(world.webapp_url(&format!("/oauth/callback?code=abc&state={state}")))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::BAD_REQUEST, "single use");
}

#[tokio::test]
async fn deny_with_the_sessions_state_is_access_denied_and_keeps_no_token() {
    let world = World::start().await;
    let b = browser();
    let start = b
        .get(world.webapp_url("/oauth/start"))
        .send()
        .await
        .unwrap();
    let state = query(start.headers()["location"].to_str().unwrap(), "state").unwrap();
    let r = b
        .get(world.webapp_url(&format!(
            "/oauth/callback?error=access_denied&error_description=The+user+said+%3Cno%3E&state={state}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("<h1 id=\"error-title\">Access denied</h1>"),
        "{page}"
    );
    assert!(
        page.contains("The user said &#60;no&#62;") || page.contains("The user said &lt;no&gt;"),
        "the server's words are shown, escaped: {page}"
    );
    let token = b.get(world.webapp_url("/token")).send().await.unwrap();
    assert_eq!(token.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn token_pages_need_a_token_and_refresh_needs_the_forms_csrf_token() {
    let world = World::start().await;
    let b = browser();
    for path in ["/token", "/projects"] {
        let r = b.get(world.webapp_url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert!(r.text().await.unwrap().contains("Not signed in"));
    }
    b.get(world.webapp_url("/oauth/start"))
        .send()
        .await
        .unwrap();
    let r = b
        .post(world.webapp_url("/token/refresh"))
        .form(&[("csrf", "guessed")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("The form has expired"));
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_unknown_pages_and_methods_are_readable() {
    let world = World::start().await;
    let b = browser();
    for (path, status) in [
        ("/", StatusCode::OK),
        ("/static/countdown.js", StatusCode::OK),
        ("/nowhere", StatusCode::NOT_FOUND),
    ] {
        let r = b.get(world.webapp_url(path)).send().await.unwrap();
        assert_eq!(r.status(), status, "{path}");
        let h = r.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["referrer-policy"], "no-referrer");
        assert_eq!(h["x-content-type-options"], "nosniff");
    }
    let missing = b.get(world.webapp_url("/nowhere")).send().await.unwrap();
    assert!(missing.text().await.unwrap().contains("Page not found"));
    let wrong_method = b
        .get(world.webapp_url("/token/refresh"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(wrong_method
        .text()
        .await
        .unwrap()
        .contains("This page cannot be opened that way"));
}
