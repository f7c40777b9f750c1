//! Sign-in, sign-out, CSRF and sessions.

use std::sync::Arc;

use keygate_core::audit;
use keygate_core::model::{AuditKind, AuditQuery};
use keygate_core::sign_in_throttle;
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

/// The throttle decisions recorded so far, as (target, detail), oldest first.
async fn throttle_events(app: &TestApp) -> Vec<(String, String)> {
    let query = AuditQuery {
        limit: 1000,
        ..AuditQuery::default()
    };
    let mut events: Vec<_> = audit::events(&app.state.kg, query)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.event.kind == AuditKind::SignInThrottled)
        .map(|e| (e.event.target, e.event.detail))
        .collect();
    events.reverse();
    events
}

#[tokio::test]
async fn a_guessing_address_is_refused_for_the_account_while_its_owner_signs_in_from_another() {
    let app = TestApp::spawn().await;
    let ana = app.create_user("ana@example.com").await;
    for _ in 0..sign_in_throttle::PAIR_LIMIT {
        let r = app
            .post_sign_in_from("127.0.0.1", "ana@example.com", "wrong")
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    // The guessing address is refused, even with the right password (it is not checked).
    let r = app
        .post_sign_in_from("127.0.0.1", "ana@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().get("retry-after").is_some());
    assert!(r.text().await.unwrap().contains("Try again later"));
    // The owner, from an address with no failures, signs in at once.
    let r = app
        .post_sign_in_from("127.0.0.2", "ana@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The guessing address may still try other accounts.
    app.create_user("bo@example.com").await;
    let r = app
        .post_sign_in_from("127.0.0.1", "bo@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        throttle_events(&app).await,
        vec![(
            format!("user:{}", ana.id),
            "refused=account_from_address".to_owned()
        )]
    );
    // The window passes; the first address may try the account again.
    app.clock.advance(sign_in_throttle::WINDOW + 1);
    let r = app
        .post_sign_in_from("127.0.0.1", "ana@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn an_address_guessing_many_accounts_is_refused_for_every_account() {
    let app = TestApp::spawn().await;
    let ana = app.create_user("ana@example.com").await;
    // Under the per-pair limit for each typed email, over the per-address limit in all.
    for i in 0..sign_in_throttle::ADDRESS_LIMIT {
        let email = format!("guess{}@example.com", i % 4);
        let r = app.post_sign_in_from("127.0.0.3", &email, "wrong").await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = app
        .post_sign_in_from("127.0.0.3", "ana@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let r = app
        .post_sign_in_from("127.0.0.3", "nobody@example.com", "wrong")
        .await;
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let r = app
        .post_sign_in_from("127.0.0.4", "ana@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        throttle_events(&app).await,
        vec![
            (format!("user:{}", ana.id), "refused=address".to_owned()),
            ("unknown".to_owned(), "refused=address".to_owned()),
        ],
        "a typed email that matches no account is not stored"
    );
}

#[tokio::test]
async fn an_account_guessed_from_many_addresses_is_slowed_but_its_owner_still_signs_in() {
    let app = TestApp::spawn().await;
    let ana = app.create_user("ana@example.com").await;
    // A distributed attack: one failure from each of many addresses, none of them refused.
    for i in 0..sign_in_throttle::ACCOUNT_DELAY_AFTER {
        let source = format!("127.0.1.{}", i + 1);
        let r = app
            .post_sign_in_from(&source, "ana@example.com", "wrong")
            .await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    // The next attempt on the account waits before its password is checked; the owner's
    // right password still signs in.
    let r = app
        .post_sign_in_from("127.0.0.2", "ana@example.com", PASSWORD)
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Each further failure doubles the wait.
    let r = app
        .post_sign_in_from("127.0.2.1", "ana@example.com", "wrong")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let r = app
        .post_sign_in_from("127.0.2.2", "ana@example.com", "wrong")
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let target = format!("user:{}", ana.id);
    assert_eq!(
        throttle_events(&app).await,
        vec![
            (target.clone(), "delayed=1s".to_owned()),
            (target.clone(), "delayed=1s".to_owned()),
            (target, "delayed=2s".to_owned()),
        ]
    );
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
