//! Sign-in, sign-out, CSRF and sessions.

use std::sync::Arc;

use keygate_core::ManualClock;
use reqwest::StatusCode;

use super::helpers::*;

#[tokio::test]
async fn health_and_readiness_answer_json() {
    let app = TestApp::spawn().await;
    let h = app.get("/healthz").await;
    assert_eq!(h.status(), StatusCode::OK);
    assert_eq!(h.json::<serde_json::Value>().await.unwrap()["status"], "ok");
    let r = app.get("/readyz").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["database"],
        "ok"
    );
}

#[tokio::test]
async fn sign_in_succeeds_and_returns_to_the_requested_path() {
    let app = TestApp::spawn().await;
    app.create_user("ana@example.com").await;
    let r = app
        .post_sign_in("Ana@Example.com", PASSWORD, "/profile/view")
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/profile/view");
    let cookie = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("kg_session="))
        .expect("no session cookie");
    assert!(cookie.contains("HttpOnly"));
    assert!(cookie.contains("SameSite=Lax"));
    let page = app.get("/profile/view").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("My applications"));
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_response() {
    let app = TestApp::spawn().await;
    app.create_user("ana@example.com").await;
    let wrong = app
        .post_sign_in("ana@example.com", "not the password", "/")
        .await;
    let unknown = app.post_sign_in("bob@example.com", PASSWORD, "/").await;
    assert_eq!(wrong.status(), unknown.status());
    assert_eq!(wrong.status(), StatusCode::OK);
    let wrong_html = wrong.text().await.unwrap();
    let unknown_html = unknown.text().await.unwrap();
    let message = "The email address or password is incorrect.";
    assert!(wrong_html.contains(message));
    // The pages differ only in the email echoed back into the form.
    assert_eq!(
        wrong_html.replace("ana@example.com", "EMAIL"),
        unknown_html.replace("bob@example.com", "EMAIL")
    );
}

#[tokio::test]
async fn sign_in_without_or_with_a_forged_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    app.create_user("ana@example.com").await;
    let _ = app.get("/_signin").await;
    for csrf in [None, Some("forged-token")] {
        let mut fields = vec![("email", "ana@example.com"), ("password", PASSWORD)];
        if let Some(c) = csrf {
            fields.push(("csrf", c));
        }
        let r = app.post_form("/_signin", &fields).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(r.headers().get("set-cookie").is_none());
    }
    // Still signed out.
    let r = app.get("/profile/view").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_csrf_token_from_another_browser_is_refused() {
    let app = TestApp::spawn().await;
    app.create_user("ana@example.com").await;
    let other = browser();
    let html = other
        .get(app.url("/_signin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let stolen = csrf_in(&html);
    let _ = app.get("/_signin").await;
    let r = app
        .post_form(
            "/_signin",
            &[
                ("csrf", &stolen),
                ("email", "ana@example.com"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_absolute_or_protocol_relative_return_url_is_not_followed() {
    let app = TestApp::spawn().await;
    app.create_user("ana@example.com").await;
    for evil in ["https://evil.example", "//evil.example", "/\\evil.example"] {
        let r = app.post_sign_in("ana@example.com", PASSWORD, evil).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&r), "/", "followed {evil}");
    }
}

#[tokio::test]
async fn sign_out_ends_the_session() {
    let app = TestApp::spawn().await;
    app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let csrf = app.csrf_from("/").await;
    let r = app.post_form("/_signout", &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/profile/view").await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_session_survives_a_server_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keygate.db");
    let client = browser();
    let clock = Arc::new(ManualClock::starting_now());
    let mut first = TestApp::spawn_on(&path, client.clone(), clock.clone()).await;
    first.create_user("ana@example.com").await;
    first.sign_in("ana@example.com").await;
    first.stop().await;
    let second = TestApp::spawn_on(&path, client, clock).await;
    let r = second.get("/profile/view").await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn repeated_failures_for_one_account_are_throttled_with_429() {
    let app = TestApp::spawn().await;
    app.create_user("ana@example.com").await;
    for _ in 0..10 {
        let r = app.post_sign_in("ana@example.com", "wrong", "/").await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = app.post_sign_in("ana@example.com", PASSWORD, "/").await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").is_some());
    assert!(r.text().await.unwrap().contains("Try again later"));
    // The window passes; the right password works again.
    app.clock.advance(61);
    let r = app.post_sign_in("ana@example.com", PASSWORD, "/").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn pages_forbid_framing_and_load_nothing_from_other_hosts() {
    let app = TestApp::spawn().await;
    let r = app.get("/_signin").await;
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"));
    assert!(csp.contains("default-src 'none'"));
    let html = r.text().await.unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "page references another host"
    );
}
