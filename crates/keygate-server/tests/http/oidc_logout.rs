//! RP-initiated logout at the `end_session_endpoint`, and registering post-logout redirect URIs
//! by the registration page and the registration API.

use keygate_core::admin::create_admin_token;
use keygate_core::apps::{register_app, Registration};
use keygate_core::model::ClientKind;
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::helpers::*;
use super::oidc_helpers::*;

const SIGNED_OUT: &str = "https://localhost:5001/signed-out";

/// Ana signed in, with a confidential client that registered [`SIGNED_OUT`].
async fn with_logout_uri() -> (TestApp, TestClient) {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let r = register_app(
        &app.state.kg,
        user.id,
        &Registration {
            company_name: "Fabrikam".into(),
            name: "Fiber".into(),
            website: "https://fabrikam.example".into(),
            callback_url: CALLBACK.into(),
            scopes: SCOPES.into(),
            kind: Some(ClientKind::Confidential),
            post_logout_redirect_uris: SIGNED_OUT.into(),
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    let client = TestClient {
        app_id: r.app.id.to_upper(),
        secret: r.client_secret.unwrap(),
    };
    (app, client)
}

async fn signed_in_still(app: &TestApp) -> bool {
    app.get("/profile/view").await.status() == StatusCode::OK
}

#[tokio::test]
async fn rp_initiated_logout_with_an_id_token_hint_ends_the_session_and_returns_with_state() {
    let (app, client) = with_logout_uri().await;
    let tokens = oidc_tokens(&app, &client, "openid", None).await;
    let doc = discovery(&app).await;
    let end_session = doc["end_session_endpoint"].as_str().unwrap();
    assert_eq!(end_session, format!("{}/oauth2/logout", app.base));
    assert!(signed_in_still(&app).await);

    let r = app
        .client
        .get(end_session)
        .query(&[
            ("id_token_hint", tokens["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", SIGNED_OUT),
            ("state", "bye-1"),
            ("client_id", client.app_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("{SIGNED_OUT}?state=bye-1"));
    assert!(!signed_in_still(&app).await, "the browser session ended");
    let query = format!("{}&prompt=none", oidc_query(&client, "openid", None));
    assert_eq!(
        query_param(&location(&app.get_authorize(&query).await), "error").as_deref(),
        Some("login_required")
    );
}

#[tokio::test]
async fn logout_refuses_an_unregistered_post_logout_uri_or_a_hint_of_another_client() {
    let (app, client) = with_logout_uri().await;
    let tokens = oidc_tokens(&app, &client, "openid", None).await;
    let hint = tokens["id_token"].as_str().unwrap();
    for params in [
        vec![
            ("id_token_hint", hint),
            ("post_logout_redirect_uri", "https://evil.example/"),
        ],
        vec![("post_logout_redirect_uri", SIGNED_OUT)],
        vec![
            ("id_token_hint", hint),
            ("client_id", "00000000-0000-0000-0000-000000000001"),
        ],
        vec![("id_token_hint", "not.an.idtoken")],
    ] {
        let r = app
            .client
            .get(app.url("/oauth2/logout"))
            .query(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{params:?}");
        assert!(r.headers().get("location").is_none());
    }
    assert!(signed_in_still(&app).await, "nothing was signed out");
}

#[tokio::test]
async fn logout_without_a_hint_asks_first_and_signs_out_on_confirmation() {
    let (app, client) = with_logout_uri().await;
    let query = format!(
        "client_id={}&post_logout_redirect_uri={}&state=s2",
        client.app_id,
        enc(SIGNED_OUT)
    );
    let r = app.get(&format!("/oauth2/logout?{query}")).await;
    assert_eq!(r.status(), StatusCode::OK, "a confirmation page");
    let html = r.text().await.unwrap();
    assert!(signed_in_still(&app).await);
    let csrf = csrf_in(&html);
    let r = app
        .post_form(
            &format!("/oauth2/logout?{query}"),
            &[("csrf", csrf.as_str())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("{SIGNED_OUT}?state=s2"));
    assert!(!signed_in_still(&app).await);
}

#[tokio::test]
async fn post_logout_uris_are_registered_by_the_registration_api_and_kept_by_updates() {
    let app = TestApp::spawn().await;
    let ana = app.create_user("ana@example.com").await;
    let admin = create_admin_token(&app.state.kg, "tests")
        .await
        .unwrap()
        .value;
    let api = "/_apis/delegatedauth/registration";
    let mut body = json!({
        "registrationName": "Fiber CI",
        "registrationLocation": "https://fabrikam.example",
        "organizationName": "Fabrikam",
        "redirectUris": [CALLBACK],
        "postLogoutRedirectUris": [SIGNED_OUT],
        "scopes": "vso.work",
        "identityId": ana.id.to_string(),
    });
    let created: Value = app
        .client
        .post(app.url(api))
        .bearer_auth(&admin)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["postLogoutRedirectUris"], json!([SIGNED_OUT]));
    let id = created["registrationId"].as_str().unwrap();
    body.as_object_mut()
        .unwrap()
        .remove("postLogoutRedirectUris");
    body["registrationName"] = json!("Fiber CI 2");
    let updated: Value = app
        .client
        .put(app.url(&format!("{api}/{id}")))
        .bearer_auth(&admin)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(updated["postLogoutRedirectUris"], json!([SIGNED_OUT]));
    body["postLogoutRedirectUris"] = json!(["javascript:alert(1)"]);
    let r = app
        .client
        .put(app.url(&format!("{api}/{id}")))
        .bearer_auth(&admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("postLogoutRedirectUris"));
}

#[tokio::test]
async fn post_logout_uris_are_registered_on_the_registration_page() {
    let app = TestApp::spawn().await;
    app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let form = app.get("/app/register").await.text().await.unwrap();
    assert!(form.contains(r#"name="post_logout_redirect_uris""#));
    let csrf = csrf_in(&form);
    let r = app
        .post_form(
            "/app/register",
            &[
                ("csrf", csrf.as_str()),
                ("company_name", "Fabrikam"),
                ("name", "Fiber"),
                ("website", "https://fabrikam.example"),
                ("callback_url", CALLBACK),
                ("post_logout_redirect_uris", SIGNED_OUT),
                ("scopes", "vso.work"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "the new app's page");
    let page = r.text().await.unwrap();
    assert!(
        page.contains(&format!("<code>{SIGNED_OUT}</code>")),
        "{page}"
    );
}

/// A confidential client of `owner` with a pairwise subject.
async fn pairwise_client(app: &TestApp, owner: &keygate_core::model::User) -> TestClient {
    let r = register_app(
        &app.state.kg,
        owner.id,
        &Registration {
            company_name: "Fabrikam".into(),
            name: "Private".into(),
            website: "https://fabrikam.example".into(),
            callback_url: CALLBACK.into(),
            scopes: SCOPES.into(),
            kind: Some(ClientKind::Confidential),
            post_logout_redirect_uris: SIGNED_OUT.into(),
            pairwise_subject: true,
            ..Default::default()
        },
        None,
    )
    .await
    .unwrap();
    TestClient {
        app_id: r.app.id.to_upper(),
        secret: r.client_secret.unwrap(),
    }
}

fn sub_of(tokens: &Value) -> String {
    use base64::Engine;
    let payload = tokens["id_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice::<Value>(&bytes).unwrap()["sub"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_pairwise_app_sees_a_stable_sub_of_its_own_in_id_tokens_userinfo_and_hints() {
    let app = TestApp::spawn().await;
    let ana = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let first = pairwise_client(&app, &ana).await;
    let second = pairwise_client(&app, &ana).await;
    let tokens = oidc_tokens(&app, &first, "openid", None).await;
    let sub = sub_of(&tokens);
    assert_ne!(sub, ana.id.to_string());
    let info: Value = app
        .client
        .get(app.url("/oauth2/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], sub.as_str());
    let other = oidc_tokens(&app, &second, "openid", None).await;
    assert_ne!(sub_of(&other), sub, "another app sees another sub");
    // Stable, and a good id_token_hint for the same user.
    let query = format!(
        "{}&prompt=none&id_token_hint={}",
        oidc_query(&first, "openid", None),
        tokens["id_token"].as_str().unwrap()
    );
    let code = consented_code(&app, &query).await;
    let again: Value = app
        .standard_exchange(&first, &code)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(sub_of(&again), sub);
    // And logout recognises the user by it.
    let r = app
        .client
        .get(app.url("/oauth2/logout"))
        .query(&[
            ("id_token_hint", tokens["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", SIGNED_OUT),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(!signed_in_still(&app).await);
}
