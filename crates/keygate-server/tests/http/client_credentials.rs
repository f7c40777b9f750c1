//! `grant_type=client_credentials` (RFC 6749 §4.4): confidential apps only, within their
//! registered scopes, no refresh token; the tokens die with the secret or the app.

use std::time::{Duration, Instant};

use keygate_core::apps::{self, Manager};
use keygate_core::bearer::{check_bearer, BearerError};
use reqwest::StatusCode;
use serde_json::Value;

use super::helpers::*;
use super::standard_helpers::*;

async fn app_and_client() -> (TestApp, TestClient) {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    let client = app.register_client(&user).await;
    (app, client)
}

async fn client_token(
    app: &TestApp,
    client: &TestClient,
    scope: Option<&str>,
) -> reqwest::Response {
    let mut fields = vec![("grant_type", "client_credentials")];
    if let Some(s) = scope {
        fields.push(("scope", s));
    }
    app.post_client(
        "/oauth2/token",
        Auth::Basic(&client.app_id, &client.secret),
        &fields,
    )
    .await
}

/// Polls this node's bearer check until the token is refused as revoked, or fails at the deadline.
async fn assert_refused_within_a_second(app: &TestApp, token: &str) {
    let deadline = Instant::now() + Duration::from_secs(1);
    loop {
        match check_bearer(&app.state.kg, token, "vso.work", None) {
            Err(BearerError::Unauthorized(_)) => return,
            other => assert!(Instant::now() < deadline, "still accepted: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_confidential_app_gets_an_access_token_and_no_refresh_token() {
    let (app, client) = app_and_client().await;
    let r = client_token(&app, &client, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["access_token", "token_type", "expires_in", "scope"]);
    let _snapshots = super::helpers::shared_snapshots();
    insta::assert_json_snapshot!("client_credentials_response", body, {
        ".access_token" => "[access_token]",
    });
    let claims = app
        .state
        .kg
        .credentials
        .verify_access_token(body["access_token"].as_str().unwrap(), app.clock_now())
        .unwrap();
    assert_eq!(claims.appid.to_string().to_uppercase(), client.app_id);
    // The token acts for no user: its subject is the app itself.
    assert_eq!(claims.nameid.0, claims.appid.0);
}

#[tokio::test]
async fn the_scope_may_narrow_the_registration_but_not_exceed_it() {
    let (app, client) = app_and_client().await;
    let body: Value = client_token(&app, &client, Some("vso.work_write vso.code"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["scope"], "vso.code vso.work_write");
    let r = client_token(&app, &client, Some("vso.code vso.packaging_manage")).await;
    let body = assert_standard_error(r, StatusCode::BAD_REQUEST, "invalid_scope").await;
    let _snapshots = super::helpers::shared_snapshots();
    insta::assert_json_snapshot!("standard_invalid_scope", body);
}

#[tokio::test]
async fn regenerating_the_secret_revokes_client_credentials_tokens() {
    let (app, client) = app_and_client().await;
    let body: Value = client_token(&app, &client, None)
        .await
        .json()
        .await
        .unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    assert!(check_bearer(&app.state.kg, &token, "vso.work", None).is_ok());
    let app_id = client.app_id.parse().unwrap();
    let registered = apps::managed_app(&app.state.kg, &Manager::Admin, app_id)
        .await
        .unwrap();
    apps::regenerate_secret(&app.state.kg, &registered)
        .await
        .unwrap();
    assert_refused_within_a_second(&app, &token).await;
    // And the old secret no longer gets new ones.
    let r = client_token(&app, &client, None).await;
    assert_standard_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn deleting_the_app_revokes_client_credentials_tokens() {
    let (app, client) = app_and_client().await;
    let body: Value = client_token(&app, &client, None)
        .await
        .json()
        .await
        .unwrap();
    let token = body["access_token"].as_str().unwrap().to_owned();
    keygate_core::apps::delete_app(&app.state.kg, client.app_id.parse().unwrap())
        .await
        .unwrap();
    assert_refused_within_a_second(&app, &token).await;
}
