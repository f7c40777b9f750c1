//! `POST /oauth2/introspect` (RFC 7662) and `POST /oauth2/revoke` (RFC 7009).

use keygate_core::apps::{self, AppError, Manager};
use keygate_core::{IntrospectionMode, Policy};
use reqwest::StatusCode;
use serde_json::Value;

use super::helpers::*;
use super::standard_helpers::*;

async fn introspect(app: &TestApp, client: &TestClient, token: &str) -> Value {
    let r = app
        .post_client(
            "/oauth2/introspect",
            Auth::Basic(&client.app_id, &client.secret),
            &[("token", token)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    r.json().await.unwrap()
}

async fn revoke(app: &TestApp, client: &TestClient, token: &str, hint: &str) -> reqwest::Response {
    app.post_client(
        "/oauth2/revoke",
        Auth::Post(&client.app_id, &client.secret),
        &[("token", token), ("token_type_hint", hint)],
    )
    .await
}

#[tokio::test]
async fn an_active_access_token_is_described() {
    let (app, client, tokens) = standard_tokens().await;
    let body = introspect(&app, &client, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(body["client_id"], client.app_id.as_str());
    let _snapshots = super::helpers::shared_snapshots();
    insta::assert_json_snapshot!("introspection_active_access_token", body, {
        ".client_id" => "[app id]",
        ".sub" => "[user id]",
        ".exp" => "[time]",
        ".iat" => "[time]",
        ".iss" => "[host]",
        ".aud" => "[host]",
    });
}

#[tokio::test]
async fn a_refresh_token_is_described_to_its_own_app_only() {
    let (app, client, tokens) = standard_tokens().await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let own = introspect(&app, &client, refresh).await;
    assert_eq!(own["active"], true);
    assert!(own.get("token_type").is_none());
    let other = app
        .register_client(&app.create_user("bo@example.com").await)
        .await;
    assert_eq!(
        introspect(&app, &other, refresh).await,
        serde_json::json!({"active": false})
    );
}

#[tokio::test]
async fn another_apps_access_token_is_inactive_unless_the_caller_is_a_resource_server() {
    let (app, client, tokens) = standard_tokens().await;
    let access = tokens["access_token"].as_str().unwrap();
    let resource_server = app
        .register_client(&app.create_user("bo@example.com").await)
        .await;
    // RFC 7662 §4: an ordinary client cannot probe tokens issued to other apps.
    assert_eq!(
        introspect(&app, &resource_server, access).await,
        serde_json::json!({"active": false})
    );
    // An administrator registers it as a resource server: now it sees the token's facts.
    let kg = &app.state.kg;
    let id = resource_server.app_id.to_lowercase().parse().unwrap();
    let registered = apps::managed_app(kg, &Manager::Admin, id).await.unwrap();
    // Only an administrator may: the owner of the app may not grant it to themselves.
    let owner = Manager::Owner(registered.owner_id);
    assert!(matches!(
        apps::set_resource_server(kg, &owner, &registered, true).await,
        Err(AppError::AdminOnly)
    ));
    apps::set_resource_server(kg, &Manager::Admin, &registered, true)
        .await
        .unwrap();
    let body = introspect(&app, &resource_server, access).await;
    assert_eq!(body["active"], true);
    assert_eq!(body["client_id"], client.app_id.as_str());
    // Refresh tokens stay private to the app they were issued to.
    let refresh = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(
        introspect(&app, &resource_server, refresh).await,
        serde_json::json!({"active": false})
    );
}

#[tokio::test]
async fn anything_that_is_not_a_live_token_of_ours_is_inactive() {
    let (app, client, tokens) = standard_tokens().await;
    for garbage in ["nope", "a.b.c", &client.secret] {
        assert_eq!(
            introspect(&app, &client, garbage).await,
            serde_json::json!({"active": false})
        );
    }
    // Spent refresh tokens and expired access tokens are inactive too.
    let first = tokens["refresh_token"].as_str().unwrap();
    assert_eq!(
        app.standard_refresh(&client, first).await.status(),
        StatusCode::OK
    );
    assert_eq!(introspect(&app, &client, first).await["active"], false);
    app.clock.advance(3600);
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(introspect(&app, &client, access).await["active"], false);
}

#[tokio::test]
async fn introspection_requires_a_confidential_client_and_a_token() {
    let (app, client, tokens) = standard_tokens().await;
    let access = tokens["access_token"].as_str().unwrap();
    let r = app
        .post_client("/oauth2/introspect", Auth::None, &[("token", access)])
        .await;
    assert_standard_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let user = app.create_user("bo@example.com").await;
    let public = app.register_public_client(&user, LOOPBACK).await;
    let r = app
        .post_client(
            "/oauth2/introspect",
            Auth::Public(&public),
            &[("token", access)],
        )
        .await;
    assert_standard_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let r = app
        .post_client(
            "/oauth2/introspect",
            Auth::Basic(&client.app_id, &client.secret),
            &[],
        )
        .await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_chain_and_its_access_tokens() {
    let (app, client, tokens) = standard_tokens().await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let r = revoke(&app, &client, refresh, "refresh_token").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(introspect(&app, &client, access).await["active"], false);
    assert_eq!(introspect(&app, &client, refresh).await["active"], false);
    let r = app.standard_refresh(&client, refresh).await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn revoking_an_access_token_ends_its_authorization() {
    let (app, client, tokens) = standard_tokens().await;
    let access = tokens["access_token"].as_str().unwrap();
    // A wrong hint only changes where the server looks first.
    assert_eq!(
        revoke(&app, &client, access, "refresh_token")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(introspect(&app, &client, access).await["active"], false);
    let r = app
        .standard_refresh(&client, tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn revoking_an_unknown_token_succeeds_and_another_apps_token_is_refused() {
    let (app, client, tokens) = standard_tokens().await;
    assert_eq!(
        revoke(&app, &client, "unknown", "access_token")
            .await
            .status(),
        StatusCode::OK
    );
    let other = app
        .register_client(&app.create_user("bo@example.com").await)
        .await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let r = revoke(&app, &other, refresh, "refresh_token").await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "unauthorized_client").await;
    assert_eq!(introspect(&app, &client, refresh).await["active"], true);
    let r = app
        .post_client("/oauth2/revoke", Auth::None, &[("token", refresh)])
        .await;
    assert_standard_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

/// A second server on `app`'s database that answers introspection as `mode` says.
async fn second_node(app: &TestApp, mode: IntrospectionMode) -> TestApp {
    TestApp::spawn_with(
        &app.db_path,
        browser(),
        app.clock.clone(),
        Policy {
            introspection: mode,
            ..Policy::default()
        },
    )
    .await
}

#[tokio::test]
async fn snapshot_introspection_sees_a_revocation_made_through_the_same_node_at_once() {
    let (app, client, tokens) = standard_tokens().await;
    assert_eq!(
        app.state.kg.policy.introspection,
        IntrospectionMode::Snapshot,
        "the default"
    );
    let node = second_node(&app, IntrospectionMode::Snapshot).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(introspect(&node, &client, access).await["active"], true);
    // Revoked through `node` itself: its own answer counts the revocation from the next request
    // on, with no wait for the change feed.
    assert_eq!(
        revoke(&node, &client, access, "access_token")
            .await
            .status(),
        StatusCode::OK
    );
    assert_eq!(introspect(&node, &client, access).await["active"], false);
}

#[tokio::test]
async fn exact_introspection_sees_another_nodes_revocation_at_once_and_snapshot_after_catching_up()
{
    let (app, client, tokens) = standard_tokens().await;
    let exact = second_node(&app, IntrospectionMode::Exact).await;
    let snapshot = second_node(&app, IntrospectionMode::Snapshot).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(introspect(&exact, &client, access).await["active"], true);
    assert_eq!(introspect(&snapshot, &client, access).await["active"], true);

    // Revoked through the first node: the exact node asks the store and sees it at once; the
    // snapshot node sees it once it has caught up with the change feed (which its follower does
    // on its own within the poll interval; here the test catches up explicitly).
    assert_eq!(
        revoke(&app, &client, access, "access_token").await.status(),
        StatusCode::OK
    );
    assert_eq!(introspect(&exact, &client, access).await["active"], false);
    snapshot.state.kg.catch_up().await.unwrap();
    assert_eq!(
        introspect(&snapshot, &client, access).await["active"],
        false
    );
}

#[test]
fn introspection_modes_are_named_snapshot_and_exact() {
    for mode in [IntrospectionMode::Snapshot, IntrospectionMode::Exact] {
        assert_eq!(mode.as_str().parse::<IntrospectionMode>().unwrap(), mode);
    }
    assert_eq!(
        " EXACT ".parse::<IntrospectionMode>().unwrap(),
        IntrospectionMode::Exact
    );
    assert!("fresh".parse::<IntrospectionMode>().is_err());
}
