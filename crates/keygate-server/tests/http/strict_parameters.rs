//! A parameter sent more than once is refused with `invalid_request` in the request's own
//! flavour (RFC 6749 §3.1, §5.2), on the token, introspection, revocation and authorize
//! endpoints, and nothing is consumed.

use reqwest::StatusCode;
use serde_json::Value;

use super::helpers::*;
use super::standard_helpers::*;

#[tokio::test]
async fn an_azure_token_request_with_a_repeated_parameter_gets_the_pascal_case_refusal() {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let client = app.register_client(&user).await;
    let code = app.authorize_code(&client).await;
    let r = app
        .post_token(&[
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", client.secret.as_str()),
            ("grant_type", JWT_BEARER),
            ("assertion", code.as_str()),
            ("assertion", "another-code"),
            ("redirect_uri", CALLBACK),
        ])
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({
            "Error": "invalid_request",
            "ErrorDescription": "A parameter was sent more than once"
        })
    );
    // Nothing was consumed: the well-formed request still redeems the code.
    assert_eq!(app.exchange(&client, &code).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_standard_token_request_with_a_repeated_parameter_gets_the_rfc_refusal() {
    let (app, client, tokens) = standard_tokens().await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let r = app
        .post_client(
            "/oauth2/token",
            Auth::Basic(&client.app_id, &client.secret),
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", refresh),
                ("scope", "vso.profile"),
                ("scope", "vso.work"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(
        body["error_description"],
        "A parameter was sent more than once"
    );
    // The refresh token was not rotated.
    let r = app
        .post_client(
            "/oauth2/token",
            Auth::Basic(&client.app_id, &client.secret),
            &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn introspection_and_revocation_refuse_a_repeated_token() {
    let (app, client, tokens) = standard_tokens().await;
    let access = tokens["access_token"].as_str().unwrap();
    for path in ["/oauth2/introspect", "/oauth2/revoke"] {
        let r = app
            .post_client(
                path,
                Auth::Basic(&client.app_id, &client.secret),
                &[("token", access), ("token", "something-else")],
            )
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{path}");
    }
    // The token was not revoked.
    let r = app
        .post_client(
            "/oauth2/introspect",
            Auth::Basic(&client.app_id, &client.secret),
            &[("token", access)],
        )
        .await;
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["active"], true);
}

#[tokio::test]
async fn authorize_refuses_a_repeated_client_id_on_a_page_and_other_repeats_by_redirect() {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let client = app.register_client(&user).await;
    let base = TestApp::authorize_query(&client, "st");
    // Which client or callback is meant cannot be told: never redirect.
    for repeated in [
        format!("{base}&client_id={}", client.app_id),
        format!("{base}&redirect_uri={}", enc("https://evil.example/cb")),
    ] {
        let r = app.get_authorize(&repeated).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{repeated}");
        assert!(r.headers().get("location").is_none(), "{repeated}");
        assert!(r.text().await.unwrap().contains("more than once"));
    }
    // Anything else repeated goes back to the app as invalid_request, with state.
    let r = app
        .get_authorize(&format!("{base}&scope=vso.profile"))
        .await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let to = location(&r);
    assert!(to.starts_with(CALLBACK), "{to}");
    assert_eq!(
        query_param(&to, "error").as_deref(),
        Some("invalid_request")
    );
    assert_eq!(query_param(&to, "state").as_deref(), Some("st"));
    assert_eq!(query_param(&to, "code"), None);
}
