//! OpenID Connect authorization requests, one test per Basic OP module they cover: `prompt`,
//! `max_age`, `id_token_hint`, `login_hint`, POST, `response_mode=form_post`, request objects
//! refused, RFC 9207 `iss` on every response, and remembered consent.

use reqwest::StatusCode;
use serde_json::Value;

use super::helpers::*;
use super::oidc_helpers::*;
use super::standard_helpers::*;

/// Asserts a redirect back to the client carrying `error`, `state` and `iss`; never a page.
fn assert_error_redirect(app: &TestApp, r: &reqwest::Response, error: &str) {
    assert_eq!(r.status(), StatusCode::FOUND, "a redirect, not a page");
    let to = location(r);
    assert!(to.starts_with(CALLBACK), "{to}");
    assert_eq!(query_param(&to, "error").as_deref(), Some(error), "{to}");
    assert_eq!(query_param(&to, "state").as_deref(), Some("st"));
    assert_eq!(query_param(&to, "iss").as_deref(), Some(app.base.as_str()));
}

fn id_claims(tokens: &Value) -> Value {
    let token = tokens["id_token"].as_str().unwrap();
    let payload = token.split('.').nth(1).unwrap();
    use base64::Engine;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

async fn exchange_code(app: &TestApp, client: &TestClient, code: &str) -> Value {
    let r = app.standard_exchange(client, code).await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

#[tokio::test]
async fn oidcc_prompt_none_not_logged_in_redirects_with_login_required() {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    let client = app.register_client(&user).await;
    let query = format!("{}&prompt=none", oidc_query(&client, "openid", None));
    let r = app.get_authorize(&query).await;
    assert_error_redirect(&app, &r, "login_required");
}

#[tokio::test]
async fn oidcc_prompt_none_logged_in_returns_a_code_without_any_page_once_consent_was_given() {
    let (app, client, _) = signed_in().await;
    let query = format!("{}&prompt=none", oidc_query(&client, "openid", None));
    let r = app.get_authorize(&query).await;
    assert_error_redirect(&app, &r, "consent_required");

    oidc_tokens(&app, &client, "openid", None).await;
    let r = app.get_authorize(&query).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let to = location(&r);
    assert!(to.starts_with(CALLBACK));
    let code = query_param(&to, "code").expect("a code");
    assert_eq!(query_param(&to, "iss").as_deref(), Some(app.base.as_str()));
    let tokens = exchange_code(&app, &client, &code).await;
    assert!(tokens["id_token"].is_string());
}

#[tokio::test]
async fn prompt_none_never_shows_a_page_whatever_the_visitor() {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    let client = app.register_client(&user).await;
    let query = format!(
        "{}&prompt=none",
        oidc_query(&client, "openid profile", None)
    );
    // Anonymous, signed in without consent, signed in with consent, and a stale sign-in.
    assert_error_redirect(&app, &app.get_authorize(&query).await, "login_required");
    app.sign_in("ana@example.com").await;
    assert_error_redirect(&app, &app.get_authorize(&query).await, "consent_required");
    oidc_tokens(&app, &client, "openid profile", None).await;
    assert_eq!(app.get_authorize(&query).await.status(), StatusCode::FOUND);
    app.clock.advance(120);
    let stale = format!("{query}&max_age=60");
    assert_error_redirect(&app, &app.get_authorize(&stale).await, "login_required");
    let with_consent = format!("{query}&max_age=600");
    let r = app.get_authorize(&with_consent).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert!(query_param(&location(&r), "code").is_some());
}

#[tokio::test]
async fn oidcc_prompt_login_forces_a_new_sign_in_and_auth_time_is_new() {
    let (app, client, _) = signed_in().await;
    let first = oidc_tokens(&app, &client, "openid", None).await;
    let signed_in_at = id_claims(&first)["auth_time"].as_i64().unwrap();

    app.clock.advance(300);
    let query = format!("{}&prompt=login", oidc_query(&client, "openid", None));
    let r = app.get_authorize(&query).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "to the sign-in page");
    let to = location(&r);
    assert!(to.starts_with("/_signin?"), "{to}");
    let back = query_param(&format!("http://x{to}"), "returnUrl").unwrap();
    assert!(!back.contains("prompt"), "{back}");

    sign_in_again(&app, "ana@example.com").await;
    let back_query = back.strip_prefix("/oauth2/authorize?").unwrap();
    let code = consented_code(&app, back_query).await;
    let tokens = exchange_code(&app, &client, &code).await;
    let auth_time = id_claims(&tokens)["auth_time"].as_i64().unwrap();
    assert_eq!(auth_time, signed_in_at + 300);
}

#[tokio::test]
async fn oidcc_max_age_1_asks_to_sign_in_again_and_max_age_10000_does_not() {
    let (app, client, _) = signed_in().await;
    oidc_tokens(&app, &client, "openid", None).await;
    app.clock.advance(10);
    let long = format!("{}&max_age=10000", oidc_query(&client, "openid", None));
    let code = consented_code(&app, &long).await;
    let tokens = exchange_code(&app, &client, &code).await;
    assert!(
        id_claims(&tokens)["auth_time"].is_i64(),
        "auth_time whenever max_age is sent"
    );

    let short = format!("{}&max_age=1", oidc_query(&client, "openid", None));
    let r = app.get_authorize(&short).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/_signin?"));
    let r = app.get_authorize("client_id=x&max_age=abc").await;
    assert_eq!(
        r.status(),
        StatusCode::BAD_REQUEST,
        "unknown client: a page, never a redirect"
    );
    let bad = format!("{}&max_age=soon", oidc_query(&client, "openid", None));
    assert_error_redirect(&app, &app.get_authorize(&bad).await, "invalid_request");
}

#[tokio::test]
async fn oidcc_id_token_hint_with_prompt_none_succeeds_for_the_same_user() {
    let (app, client, user) = signed_in().await;
    let first = oidc_tokens(&app, &client, "openid", None).await;
    let hint = first["id_token"].as_str().unwrap();
    app.clock.advance(7200); // an expired ID token is still a good hint
    let query = format!(
        "{}&prompt=none&id_token_hint={hint}",
        oidc_query(&client, "openid", None)
    );
    let r = app.get_authorize(&query).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    let code = query_param(&location(&r), "code").expect("a code");
    let tokens = exchange_code(&app, &client, &code).await;
    assert_eq!(id_claims(&tokens)["sub"], user.id.to_string());
}

#[tokio::test]
async fn an_id_token_of_one_app_or_user_is_refused_as_id_token_hint_for_another() {
    let (app, client, _) = signed_in().await;
    let anas = oidc_tokens(&app, &client, "openid", None).await;
    let anas_hint = anas["id_token"].as_str().unwrap().to_owned();

    // Another app's ID token is not a hint for this one.
    let bob = app.create_user("bob@example.com").await;
    let other = app.register_client(&bob).await;
    let query = format!(
        "{}&prompt=none&id_token_hint={anas_hint}",
        oidc_query(&other, "openid", None)
    );
    assert_error_redirect(&app, &app.get_authorize(&query).await, "invalid_request");

    // Ana's ID token while Bob is signed in: Bob is not the user it names.
    app.sign_in("bob@example.com").await;
    let query = format!(
        "{}&prompt=none&id_token_hint={anas_hint}",
        oidc_query(&client, "openid", None)
    );
    assert_error_redirect(&app, &app.get_authorize(&query).await, "login_required");

    // A forged or foreign token is no hint at all.
    let query = format!(
        "{}&prompt=none&id_token_hint=eyJhbGciOiJub25lIn0.e30.",
        oidc_query(&client, "openid", None)
    );
    assert_error_redirect(&app, &app.get_authorize(&query).await, "invalid_request");
}

#[tokio::test]
async fn oidcc_login_hint_prefills_the_sign_in_form() {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    let client = app.register_client(&user).await;
    let query = format!(
        "{}&login_hint={}",
        oidc_query(&client, "openid", None),
        enc("ana@example.com")
    );
    let r = app.get_authorize(&query).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = app.get(&location(&r)).await.text().await.unwrap();
    assert!(page.contains(r#"value="ana@example.com""#), "{page}");
}

#[tokio::test]
async fn oidcc_ui_locales_claims_locales_display_acr_values_and_unknown_parameters_are_accepted() {
    let (app, client, _) = signed_in().await;
    for extra in [
        "ui_locales=fr-CA%20fr%20en",
        "claims_locales=fr",
        "display=page",
        "display=popup",
        "acr_values=1%202",
        "unknown_parameter=whatever",
    ] {
        let query = format!("{}&{extra}", oidc_query(&client, "openid", None));
        let r = app.get_authorize(&query).await;
        assert_eq!(r.status(), StatusCode::OK, "{extra}: the consent page");
    }
}

#[tokio::test]
async fn oidcc_ensure_post_request_succeeds() {
    let (app, client, _) = signed_in().await;
    let fields: Vec<(String, String)> =
        url::form_urlencoded::parse(oidc_query(&client, "openid", Some("n1")).as_bytes())
            .into_owned()
            .collect();
    let r = app
        .client
        .post(app.url("/oauth2/authorize"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "the consent page");
    let mut hidden = hidden_fields(&r.text().await.unwrap());
    hidden.push(("decision".into(), "accept".into()));
    let r = app
        .client
        .post(app.url("/oauth2/authorize"))
        .form(&hidden)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    let code = query_param(&location(&r), "code").unwrap();
    let tokens = exchange_code(&app, &client, &code).await;
    assert_eq!(id_claims(&tokens)["nonce"], "n1");
}

#[tokio::test]
async fn response_mode_form_post_answers_with_a_form_the_csp_lets_submit_itself() {
    let (app, client, _) = signed_in().await;
    oidc_tokens(&app, &client, "openid", None).await;
    let query = format!(
        "{}&response_mode=form_post",
        oidc_query(&client, "openid", None)
    );
    let r = app.get_authorize(&query).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(!csp.contains("form-action"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(html.contains(&format!(r#"action="{CALLBACK}""#)), "{html}");
    assert!(html.contains(r#"<script src="/_static/form_post.js" defer></script>"#));
    assert!(!html.contains("<script>"), "no inline script");
    let fields = hidden_fields(&html);
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    assert_eq!(get("state").as_deref(), Some("st"));
    assert_eq!(get("iss").as_deref(), Some(app.base.as_str()));
    let code = get("code").expect("a code in the form");
    exchange_code(&app, &client, &code).await;
    let script = app.get("/_static/form_post.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(script.text().await.unwrap().contains("submit()"));

    // Errors go the same way.
    let query = format!("{query}&prompt=none&max_age=0");
    app.clock.advance(5);
    let r = app.get_authorize(&query).await;
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(hidden_fields(&html).contains(&("error".into(), "login_required".into())));
}

#[tokio::test]
async fn oidcc_request_and_request_uri_are_refused_as_not_supported() {
    let (app, client, _) = signed_in().await;
    let query = format!(
        "{}&request=eyJhbGciOiJub25lIn0.e30.",
        oidc_query(&client, "openid", None)
    );
    assert_error_redirect(
        &app,
        &app.get_authorize(&query).await,
        "request_not_supported",
    );
    let query = format!(
        "{}&request_uri={}",
        oidc_query(&client, "openid", None),
        enc("https://client.example/request.jwt")
    );
    assert_error_redirect(
        &app,
        &app.get_authorize(&query).await,
        "request_uri_not_supported",
    );
}

#[tokio::test]
async fn every_standard_authorization_response_carries_iss_and_the_azure_flavour_does_not() {
    let (app, client, _) = signed_in().await;
    // Success.
    let r = app
        .post_consent(&oidc_query(&client, "openid", None), "accept")
        .await;
    assert_eq!(
        query_param(&location(&r), "iss").as_deref(),
        Some(app.base.as_str())
    );
    // Denied.
    let r = app
        .post_consent(&oidc_query(&client, "openid email", None), "deny")
        .await;
    assert_error_redirect(&app, &r, "access_denied");
    // Unregistered scope.
    let query = TestApp::code_query(
        &client.app_id,
        CALLBACK,
        Some("vso.code_full"),
        Some(CHALLENGE),
    );
    assert_error_redirect(&app, &app.get_authorize(&query).await, "invalid_scope");
    // oidcc-response-type-missing.
    let query = format!(
        "client_id={}&state=st&redirect_uri={}&scope=openid",
        client.app_id,
        enc(CALLBACK)
    );
    assert_error_redirect(
        &app,
        &app.get_authorize(&query).await,
        "unsupported_response_type",
    );
    // The Azure flavour is unchanged: no iss.
    let code_redirect = app
        .post_consent(&TestApp::authorize_query(&client, "xyz"), "accept")
        .await;
    let to = location(&code_redirect);
    assert!(query_param(&to, "code").is_some());
    assert!(query_param(&to, "iss").is_none(), "{to}");
}

#[tokio::test]
async fn oidcc_ensure_registered_redirect_uri_is_an_error_page_even_with_prompt_none() {
    let (app, client, _) = signed_in().await;
    let query = format!(
        "{}&prompt=none",
        TestApp::code_query(
            &client.app_id,
            "https://evil.example/cb",
            Some("openid"),
            Some(CHALLENGE)
        )
    );
    let r = app.get_authorize(&query).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("location").is_none());
}

#[tokio::test]
async fn consent_is_not_asked_again_for_granted_scopes_unless_prompt_consent() {
    let (app, client, _) = signed_in().await;
    oidc_tokens(&app, &client, "openid profile", None).await;
    // The same scopes, or fewer: no page.
    for scope in ["openid profile", "openid"] {
        let r = app.get_authorize(&oidc_query(&client, scope, None)).await;
        assert_eq!(r.status(), StatusCode::FOUND, "{scope}");
    }
    // More scopes, or prompt=consent: the consent page.
    let r = app
        .get_authorize(&oidc_query(&client, "openid profile email", None))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let query = format!("{}&prompt=consent", oidc_query(&client, "openid", None));
    assert_eq!(app.get_authorize(&query).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn oidcc_codereuse_the_second_redemption_fails_and_revokes_the_first_tokens() {
    let (app, client, _) = signed_in().await;
    let code = consented_code(&app, &oidc_query(&client, "openid", None)).await;
    let tokens = exchange_code(&app, &client, &code).await;
    let again = app.standard_exchange(&client, &code).await;
    assert_standard_error(again, StatusCode::BAD_REQUEST, "invalid_grant").await;
    let r = app
        .standard_refresh(&client, tokens["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn oidcc_claims_essential_name_is_returned_by_userinfo() {
    let (app, client, user) = signed_in().await;
    let claims = r#"{"userinfo":{"name":{"essential":true}}}"#;
    let query = format!(
        "{}&claims={}",
        oidc_query(&client, "openid", None),
        enc(claims)
    );
    let code = consented_code(&app, &query).await;
    let tokens = exchange_code(&app, &client, &code).await;
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
    assert_eq!(info["name"], user.display_name.as_str());
    let bad = format!("{}&claims=not-json", oidc_query(&client, "openid", None));
    assert_error_redirect(&app, &app.get_authorize(&bad).await, "invalid_request");
}
