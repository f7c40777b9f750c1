//! Helpers for the standard-OAuth tests: PKCE, public apps, the standard authorize query, and
//! token-family requests authenticated by HTTP Basic or form fields.

use keygate_core::apps::{register_app, Registration};
use keygate_core::model::{ClientKind, User};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use super::helpers::*;

/// RFC 7636 Appendix B.
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// A native app's loopback callback, registered without a port.
pub(crate) const LOOPBACK: &str = "http://127.0.0.1/callback";

/// How a token-family request authenticates its client.
pub(crate) enum Auth<'a> {
    /// `client_secret_basic`.
    Basic(&'a str, &'a str),
    /// `client_secret_post`.
    Post(&'a str, &'a str),
    /// A public client: `client_id` alone.
    Public(&'a str),
    /// Nothing at all.
    None,
}

impl TestApp {
    /// Registers a public app with `callback`; returns its App ID.
    pub(crate) async fn register_public_client(&self, owner: &User, callback: &str) -> String {
        let r = register_app(
            &self.state.kg,
            owner.id,
            &Registration {
                company_name: "Fabrikam".into(),
                name: "Fiber for phones".into(),
                website: "https://fabrikam.example".into(),
                callback_url: callback.into(),
                scopes: SCOPES.into(),
                kind: Some(ClientKind::Public),
                ..Default::default()
            },
            None,
        )
        .await
        .unwrap();
        assert!(r.client_secret.is_none());
        r.app.id.to_upper()
    }

    /// A `response_type=code` authorize query.
    pub(crate) fn code_query(
        client_id: &str,
        redirect: &str,
        scope: Option<&str>,
        challenge: Option<&str>,
    ) -> String {
        let mut q = format!(
            "client_id={client_id}&response_type=code&state=st&redirect_uri={}",
            enc(redirect)
        );
        if let Some(scope) = scope {
            q.push_str(&format!("&scope={}", enc(scope)));
        }
        if let Some(c) = challenge {
            q.push_str(&format!("&code_challenge={c}&code_challenge_method=S256"));
        }
        q
    }

    /// Authorize + Accept with `response_type=code`; returns the code.
    pub(crate) async fn code_for(
        &self,
        client_id: &str,
        redirect: &str,
        scope: Option<&str>,
        challenge: Option<&str>,
    ) -> String {
        let r = self
            .post_consent(
                &Self::code_query(client_id, redirect, scope, challenge),
                "accept",
            )
            .await;
        assert_eq!(r.status(), StatusCode::FOUND);
        query_param(&location(&r), "code").expect("no code in redirect")
    }

    /// A POST of `fields` to `path`, authenticated as `auth`.
    pub(crate) async fn post_client(
        &self,
        path: &str,
        auth: Auth<'_>,
        fields: &[(&str, &str)],
    ) -> Response {
        let mut fields: Vec<(&str, &str)> = fields.to_vec();
        let mut request = self.client.post(self.url(path));
        match auth {
            Auth::Basic(id, secret) => request = request.basic_auth(id, Some(secret)),
            Auth::Post(id, secret) => {
                fields.push(("client_id", id));
                fields.push(("client_secret", secret));
            }
            Auth::Public(id) => fields.push(("client_id", id)),
            Auth::None => {}
        }
        request.form(&fields).send().await.unwrap()
    }

    /// The standard code exchange with PKCE, as a confidential client over Basic.
    pub(crate) async fn standard_exchange(&self, client: &TestClient, code: &str) -> Response {
        self.post_client(
            "/oauth2/token",
            Auth::Basic(&client.app_id, &client.secret),
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", VERIFIER),
            ],
        )
        .await
    }

    /// A standard refresh over Basic.
    pub(crate) async fn standard_refresh(
        &self,
        client: &TestClient,
        refresh_token: &str,
    ) -> Response {
        self.post_client(
            "/oauth2/token",
            Auth::Basic(&client.app_id, &client.secret),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh_token),
            ],
        )
        .await
    }
}

/// A signed-in server with a confidential client and its standard tokens (PKCE, Basic).
pub(crate) async fn standard_tokens() -> (TestApp, TestClient, Value) {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let client = app.register_client(&user).await;
    let code = app
        .code_for(&client.app_id, CALLBACK, None, Some(CHALLENGE))
        .await;
    let r = app.standard_exchange(&client, &code).await;
    assert_eq!(r.status(), StatusCode::OK);
    let tokens = r.json().await.unwrap();
    (app, client, tokens)
}

/// Asserts an RFC 6749 §5.2 error: status, `error`, and that nothing is cached.
pub(crate) async fn assert_standard_error(r: Response, status: StatusCode, error: &str) -> Value {
    assert_eq!(r.status(), status);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], error, "{body}");
    assert!(body["error_description"].is_string());
    body
}
