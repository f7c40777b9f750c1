//! `POST /oauth2/token`, standard flavour: RFC 6749 shapes, client authentication by Basic or
//! form, PKCE, refresh rotation, and RFC 6749 §5.2 errors.

use reqwest::StatusCode;
use serde_json::Value;

use super::helpers::*;
use super::standard_helpers::*;

#[tokio::test]
async fn a_pkce_code_exchange_returns_the_standard_token_shape() {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let client = app.register_client(&user).await;
    let code = app
        .code_for(
            &client.app_id,
            CALLBACK,
            Some("vso.work_write"),
            Some(CHALLENGE),
        )
        .await;
    let r = app.standard_exchange(&client, &code).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let body: Value = r.json().await.unwrap();
    let keys: Vec<&str> = body
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "access_token",
            "token_type",
            "expires_in",
            "refresh_token",
            "scope"
        ]
    );
    assert!(body["expires_in"].is_number());
    let _snapshots = super::helpers::shared_snapshots();
    insta::assert_json_snapshot!("standard_token_response", body, {
        ".access_token" => "[access_token]",
        ".refresh_token" => "[refresh_token]",
    });
}

#[tokio::test]
async fn client_secret_post_authenticates_like_basic() {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let client = app.register_client(&user).await;
    let code = app
        .code_for(&client.app_id, CALLBACK, None, Some(CHALLENGE))
        .await;
    let r = app
        .post_client(
            "/oauth2/token",
            Auth::Post(&client.app_id, &client.secret),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_wrong_secret_is_a_401_invalid_client_with_a_basic_challenge() {
    let (app, client, _) = standard_tokens().await;
    let other = app
        .register_client(&app.create_user("bo@example.com").await)
        .await;
    let r = app
        .post_client(
            "/oauth2/token",
            Auth::Basic(&client.app_id, &other.secret),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .starts_with("Basic realm="));
    let body = assert_standard_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let _snapshots = super::helpers::shared_snapshots();
    insta::assert_json_snapshot!("standard_invalid_client", body);
}

#[tokio::test]
async fn a_confidential_client_cannot_authenticate_with_its_id_alone() {
    let (app, client, _) = standard_tokens().await;
    let r = app
        .post_client(
            "/oauth2/token",
            Auth::Public(&client.app_id),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_standard_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
    let r = app
        .post_client(
            "/oauth2/token",
            Auth::None,
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_standard_error(r, StatusCode::UNAUTHORIZED, "invalid_client").await;
}

#[tokio::test]
async fn basic_and_form_credentials_together_are_refused() {
    let (app, client, _) = standard_tokens().await;
    let r = app
        .client
        .post(app.url("/oauth2/token"))
        .basic_auth(&client.app_id, Some(&client.secret))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", client.secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_standard_error(r, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn grant_types_missing_or_unknown_get_their_rfc_errors() {
    let (app, client, _) = standard_tokens().await;
    let auth = || Auth::Basic(&client.app_id, &client.secret);
    let r = app
        .post_client("/oauth2/token", auth(), &[("code", "x")])
        .await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "invalid_request").await;
    let r = app
        .post_client("/oauth2/token", auth(), &[("grant_type", "password")])
        .await;
    let body = assert_standard_error(r, StatusCode::BAD_REQUEST, "unsupported_grant_type").await;
    let _snapshots = super::helpers::shared_snapshots();
    insta::assert_json_snapshot!("standard_unsupported_grant_type", body);
    let r = app
        .client
        .post(app.url("/oauth2/token"))
        .basic_auth(&client.app_id, Some(&client.secret))
        .json(&serde_json::json!({"grant_type": "authorization_code"}))
        .send()
        .await
        .unwrap();
    assert_standard_error(r, StatusCode::BAD_REQUEST, "invalid_request").await;
}

#[tokio::test]
async fn a_wrong_or_missing_code_verifier_is_invalid_grant() {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let client = app.register_client(&user).await;
    for verifier in [None, Some("x".repeat(43))] {
        let code = app
            .code_for(&client.app_id, CALLBACK, None, Some(CHALLENGE))
            .await;
        let mut fields = vec![
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
        ];
        if let Some(v) = &verifier {
            fields.push(("code_verifier", v.as_str()));
        }
        let r = app
            .post_client(
                "/oauth2/token",
                Auth::Basic(&client.app_id, &client.secret),
                &fields,
            )
            .await;
        let body = assert_standard_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
        let _snapshots = super::helpers::shared_snapshots();
        insta::assert_json_snapshot!("standard_invalid_grant", body);
    }
}

#[tokio::test]
async fn a_verifier_for_a_code_issued_without_a_challenge_is_refused_as_a_downgrade() {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let client = app.register_client(&user).await;
    let code = app.code_for(&client.app_id, CALLBACK, None, None).await;
    let r = app.standard_exchange(&client, &code).await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
    // The Azure flavour tolerates the stray field (protocol §4, lenient).
    let code = app.code_for(&client.app_id, CALLBACK, None, None).await;
    let r = app
        .post_token(&[
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &client.secret),
            ("grant_type", JWT_BEARER),
            ("assertion", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_redirect_uri_other_than_the_one_authorized_is_invalid_grant() {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let client = app.register_client(&user).await;
    let code = app
        .code_for(&client.app_id, CALLBACK, None, Some(CHALLENGE))
        .await;
    let r = app
        .post_client(
            "/oauth2/token",
            Auth::Basic(&client.app_id, &client.secret),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://localhost:5001/elsewhere"),
                ("code_verifier", VERIFIER),
            ],
        )
        .await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn a_standard_refresh_rotates_and_a_reused_token_ends_the_chain() {
    let (app, client, tokens) = standard_tokens().await;
    let first = tokens["refresh_token"].as_str().unwrap();
    let r = app.standard_refresh(&client, first).await;
    assert_eq!(r.status(), StatusCode::OK);
    let rotated: Value = r.json().await.unwrap();
    let second = rotated["refresh_token"].as_str().unwrap();
    assert_ne!(first, second);
    assert_eq!(rotated["scope"], tokens["scope"]);

    let r = app.standard_refresh(&client, first).await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let r = app.standard_refresh(&client, second).await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
}

#[tokio::test]
async fn a_refresh_may_narrow_the_scope_but_never_widen_it() {
    let (app, client, tokens) = standard_tokens().await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let auth = || Auth::Basic(&client.app_id, &client.secret);
    let r = app
        .post_client(
            "/oauth2/token",
            auth(),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("scope", "vso.profile vso.admin"),
            ],
        )
        .await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "invalid_scope").await;
    let r = app
        .post_client(
            "/oauth2/token",
            auth(),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("scope", "vso.profile"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let narrowed: Value = r.json().await.unwrap();
    assert_eq!(narrowed["scope"], "vso.profile");
    // The chain keeps what was granted: the next refresh gets everything back.
    let next = narrowed["refresh_token"].as_str().unwrap();
    let again: Value = app
        .standard_refresh(&client, next)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again["scope"], tokens["scope"]);
}

#[tokio::test]
async fn a_refresh_token_of_another_app_is_invalid_grant() {
    let (app, _, tokens) = standard_tokens().await;
    let other = app
        .register_client(&app.create_user("bo@example.com").await)
        .await;
    let r = app
        .standard_refresh(&other, tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_standard_error(r, StatusCode::BAD_REQUEST, "invalid_grant").await;
}
