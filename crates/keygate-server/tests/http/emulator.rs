//! Emulator mode: a `login_hint` naming a seeded user signs in without a password, and
//! auto-approve answers consent; neither exists without the emulator.

use keygate_server::emulator::Emulator;
use reqwest::StatusCode;

use super::helpers::*;

fn emulator(auto_approve: bool) -> Emulator {
    Emulator {
        auto_approve,
        passwordless: ["ana@example.com".to_owned()].into_iter().collect(),
    }
}

#[tokio::test]
async fn a_seeded_users_login_hint_with_auto_approve_returns_a_code_at_once() {
    let app = TestApp::spawn_adjusted(|s| s.with_emulator(emulator(true))).await;
    let ana = app.create_user("ana@example.com").await;
    let client = app.register_client(&ana).await;
    let query = format!(
        "{}&login_hint=Ana%40Example.com",
        TestApp::authorize_query(&client, "s1")
    );
    let r = app.get_authorize(&query).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let to = location(&r);
    assert!(to.starts_with(CALLBACK), "{to}");
    assert_eq!(query_param(&to, "state").as_deref(), Some("s1"));
    let code = query_param(&to, "code").unwrap();
    assert_eq!(app.exchange(&client, &code).await.status(), StatusCode::OK);
    // The browser now holds a session: the next request needs no hint.
    let r = app
        .get_authorize(&TestApp::authorize_query(&client, "s2"))
        .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert!(query_param(&location(&r), "code").is_some());
}

#[tokio::test]
async fn without_auto_approve_the_hint_signs_in_and_consent_is_asked() {
    let app = TestApp::spawn_adjusted(|s| s.with_emulator(emulator(false))).await;
    let ana = app.create_user("ana@example.com").await;
    let client = app.register_client(&ana).await;
    let query = format!(
        "{}&login_hint=ana%40example.com",
        TestApp::authorize_query(&client, "s")
    );
    let r = app.get_authorize(&query).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert!(location(&r).starts_with("/oauth2/authorize?"));
    let consent = app.get_authorize(&query).await;
    assert_eq!(consent.status(), StatusCode::OK);
    assert!(consent.text().await.unwrap().contains("ana@example.com"));
}

#[tokio::test]
async fn a_hint_naming_an_unseeded_user_or_a_server_without_the_emulator_still_asks_to_sign_in() {
    let emulated = TestApp::spawn_adjusted(|s| s.with_emulator(emulator(true))).await;
    let plain = TestApp::spawn().await;
    for (app, hint) in [
        (&emulated, "bob%40example.com"),
        (&plain, "ana%40example.com"),
    ] {
        let ana = app.create_user("ana@example.com").await;
        app.create_user("bob@example.com").await;
        let client = app.register_client(&ana).await;
        let query = format!(
            "{}&login_hint={hint}",
            TestApp::authorize_query(&client, "s")
        );
        let r = app.get_authorize(&query).await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert!(location(&r).starts_with("/_signin"));
    }
}
