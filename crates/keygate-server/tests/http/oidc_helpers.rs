//! Helpers for the OpenID Connect tests: a signed-in browser with a confidential client, the
//! discovery document, and a code + PKCE sign-in with `openid`.

use keygate_core::model::User;
use reqwest::StatusCode;
use serde_json::Value;

use super::helpers::*;
use super::standard_helpers::*;

/// A server with Ana signed in and a confidential client of hers.
pub async fn signed_in() -> (TestApp, TestClient, User) {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let client = app.register_client(&user).await;
    (app, client, user)
}

/// `/.well-known/openid-configuration`.
pub async fn discovery(app: &TestApp) -> Value {
    let r = app.get("/.well-known/openid-configuration").await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// The standard authorize query with `scope`, PKCE and, when given, `nonce`.
pub fn oidc_query(client: &TestClient, scope: &str, nonce: Option<&str>) -> String {
    let mut q = TestApp::code_query(&client.app_id, CALLBACK, Some(scope), Some(CHALLENGE));
    if let Some(n) = nonce {
        q.push_str(&format!("&nonce={}", enc(n)));
    }
    q
}

/// Authorize (consenting) with `scope` and exchange the code over Basic; the token response.
pub async fn oidc_tokens(
    app: &TestApp,
    client: &TestClient,
    scope: &str,
    nonce: Option<&str>,
) -> Value {
    let r = app
        .post_consent(&oidc_query(client, scope, nonce), "accept")
        .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let code = query_param(&location(&r), "code").expect("no code in redirect");
    let r = app.standard_exchange(client, &code).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}
