//! Helpers for the OpenID Connect tests: a signed-in browser with a confidential client, the
//! discovery document, and a code + PKCE sign-in with `openid`.

use keygate_core::model::User;
use reqwest::StatusCode;
use serde_json::Value;

use super::helpers::*;
use super::standard_helpers::*;

/// A server with Ana signed in and a confidential client of hers.
pub(crate) async fn signed_in() -> (TestApp, TestClient, User) {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let client = app.register_client(&user).await;
    (app, client, user)
}

/// `/.well-known/openid-configuration`.
pub(crate) async fn discovery(app: &TestApp) -> Value {
    let r = app.get("/.well-known/openid-configuration").await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// The standard authorize query with `scope`, PKCE and, when given, `nonce`.
pub(crate) fn oidc_query(client: &TestClient, scope: &str, nonce: Option<&str>) -> String {
    let mut q = TestApp::code_query(&client.app_id, CALLBACK, Some(scope), Some(CHALLENGE));
    if let Some(n) = nonce {
        q.push_str(&format!("&nonce={}", enc(n)));
    }
    q
}

/// Authorize (consenting) with `scope` and exchange the code over Basic; the token response.
pub(crate) async fn oidc_tokens(
    app: &TestApp,
    client: &TestClient,
    scope: &str,
    nonce: Option<&str>,
) -> Value {
    let code = consented_code(app, &oidc_query(client, scope, nonce)).await;
    let r = app.standard_exchange(client, &code).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// Runs an authorization request for a signed-in browser and returns the code: accepting on
/// the consent page, or at once when consent was given before.
pub(crate) async fn consented_code(app: &TestApp, query: &str) -> String {
    let r = app.get_authorize(query).await;
    let r = if r.status() == StatusCode::OK {
        let html = r.text().await.unwrap();
        let mut fields = hidden_fields(&html);
        fields.push(("decision".into(), "accept".into()));
        app.client
            .post(app.url("/oauth2/authorize"))
            .form(&fields)
            .send()
            .await
            .unwrap()
    } else {
        r
    };
    assert_eq!(r.status(), StatusCode::FOUND);
    query_param(&location(&r), "code").expect("no code in redirect")
}

/// Signs `email` in again (a new session, so a new `auth_time`).
pub(crate) async fn sign_in_again(app: &TestApp, email: &str) {
    app.sign_in(email).await;
}
