//! Public clients (RFC 6749 §2.1, RFC 8252): no secret, PKCE mandatory, loopback redirects on
//! any port and private-use schemes; and the server-wide `require_pkce` switch.

use keygate_core::Policy;
use reqwest::StatusCode;
use serde_json::Value;

use super::helpers::*;
use super::standard_helpers::*;

async fn signed_in() -> (TestApp, keygate_core::model::User) {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    (app, user)
}

#[tokio::test]
async fn a_public_client_exchanges_and_refreshes_with_pkce_and_no_secret() {
    let (app, user) = signed_in().await;
    let id = app.register_public_client(&user, LOOPBACK).await;
    let redirect = "http://127.0.0.1:51234/callback";
    let code = app
        .code_for(&id, redirect, Some("vso.profile"), Some(CHALLENGE))
        .await;
    let r = app
        .post_client(
            "/oauth2/token",
            Auth::Public(&id),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", redirect),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let tokens: Value = r.json().await.unwrap();
    assert_eq!(tokens["scope"], "vso.profile");
    let r = app
        .post_client(
            "/oauth2/token",
            Auth::Public(&id),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_public_client_without_a_challenge_is_sent_back_with_invalid_request() {
    let (app, user) = signed_in().await;
    let id = app.register_public_client(&user, LOOPBACK).await;
    let r = app
        .get_authorize(&TestApp::code_query(
            &id,
            "http://127.0.0.1:4000/callback",
            None,
            None,
        ))
        .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let to = location(&r);
    assert!(to.starts_with("http://127.0.0.1:4000/callback?"), "{to}");
    assert_eq!(
        query_param(&to, "error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(query_param(&to, "state").as_deref(), Some("st"));
}

#[tokio::test]
async fn the_plain_challenge_method_is_refused() {
    let (app, user) = signed_in().await;
    let id = app.register_public_client(&user, LOOPBACK).await;
    let query = format!(
        "{}&code_challenge={CHALLENGE}&code_challenge_method=plain",
        TestApp::code_query(&id, LOOPBACK, None, None)
    );
    let r = app.get_authorize(&query).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(
        query_param(&location(&r), "error").as_deref(),
        Some("invalid_request")
    );
}

#[tokio::test]
async fn a_loopback_redirect_matches_on_any_port_but_not_on_another_path_or_host() {
    let (app, user) = signed_in().await;
    let id = app.register_public_client(&user, LOOPBACK).await;
    for port in [1024, 8080, 65535] {
        let redirect = format!("http://127.0.0.1:{port}/callback");
        let r = app
            .get_authorize(&TestApp::code_query(&id, &redirect, None, Some(CHALLENGE)))
            .await;
        assert_eq!(r.status(), StatusCode::OK, "{redirect}");
    }
    for wrong in [
        "http://127.0.0.1:8080/other",
        "http://localhost:8080/callback",
        "http://[::1]:8080/callback",
        "https://127.0.0.1:8080/callback",
    ] {
        let r = app
            .get_authorize(&TestApp::code_query(&id, wrong, None, Some(CHALLENGE)))
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{wrong} accepted");
        assert!(r.headers().get("location").is_none());
    }
}

#[tokio::test]
async fn a_private_use_scheme_receives_the_code() {
    let (app, user) = signed_in().await;
    let callback = "com.fabrikam.fiber:/oauth2redirect";
    let id = app.register_public_client(&user, callback).await;
    let r = app
        .post_consent(
            &TestApp::code_query(&id, callback, None, Some(CHALLENGE)),
            "accept",
        )
        .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let to = location(&r);
    assert!(
        to.starts_with("com.fabrikam.fiber:/oauth2redirect?code="),
        "{to}"
    );
}

#[tokio::test]
async fn a_loopback_port_is_only_ignored_for_public_apps() {
    let (app, user) = signed_in().await;
    let err = keygate_core::apps::register_app(
        &app.state.kg,
        user.id,
        &keygate_core::apps::Registration {
            company_name: "Fabrikam".into(),
            name: "Server app".into(),
            website: "https://fabrikam.example".into(),
            callback_url: LOOPBACK.into(),
            scopes: SCOPES.into(),
            kind: Some(keygate_core::model::ClientKind::Confidential),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("callback_url"), "{err}");
}

#[tokio::test]
async fn a_public_client_may_not_use_client_credentials() {
    let (app, user) = signed_in().await;
    let id = app.register_public_client(&user, LOOPBACK).await;
    let r = app
        .post_client(
            "/oauth2/token",
            Auth::Public(&id),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "unauthorized_client").await;
}

#[tokio::test]
async fn the_register_page_makes_a_public_app_with_a_loopback_callback() {
    let (app, _) = signed_in().await;
    let csrf = app.csrf_from("/app/register").await;
    let r = app
        .post_form(
            "/app/register",
            &[
                ("csrf", csrf.as_str()),
                ("company_name", "Fabrikam"),
                ("name", "Fiber CLI"),
                ("website", "https://fabrikam.example"),
                ("callback_url", "http://127.0.0.1/callback"),
                ("client_type", "public"),
                ("scopes", "vso.work"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("Public (PKCE, no secret)"));
    assert!(!html.contains("id=\"client-secret\""));
}

#[tokio::test]
async fn require_pkce_refuses_confidential_clients_without_a_challenge() {
    let app = TestApp::spawn_with_policy(Policy {
        require_pkce: true,
        ..Policy::default()
    })
    .await;
    let user = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let client = app.register_client(&user).await;
    let r = app
        .get_authorize(&TestApp::authorize_query(&client, "s"))
        .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(
        query_param(&location(&r), "error").as_deref(),
        Some("invalid_request")
    );
    let code = app
        .code_for(&client.app_id, CALLBACK, None, Some(CHALLENGE))
        .await;
    assert_eq!(
        app.standard_exchange(&client, &code).await.status(),
        StatusCode::OK
    );
}
