//! OpenID Connect, one test per row of the OpenID Foundation's Basic OP checklist that Keygate
//! covers (docs/ARCHITECTURE.md, "OpenID Connect"), named after the conformance module.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::StatusCode;
use serde_json::Value;

use super::helpers::*;
use super::oidc_helpers::*;
use super::standard_helpers::*;

#[tokio::test]
async fn oidcc_server_code_flow_with_openid_returns_an_id_token_signed_by_a_published_key() {
    let (app, client, user) = signed_in().await;
    let issuer = discovery(&app).await["issuer"].as_str().unwrap().to_owned();
    assert_eq!(issuer, app.base);
    let tokens = oidc_tokens(&app, &client, "openid", None).await;
    let (header, claims) = verified_id_token(&app, &tokens, &client).await;
    assert_eq!(header.alg, Algorithm::RS256);
    assert_eq!(claims["iss"], issuer);
    assert_eq!(claims["aud"], client.app_id.as_str());
    assert_eq!(claims["sub"], user.id.to_string());
    let now = keygate_core::Clock::now(app.clock.as_ref());
    assert_eq!(claims["iat"], now);
    assert_eq!(claims["exp"], now + 3600);
    assert_eq!(claims["auth_time"], now);
    assert!(claims["sid"].as_str().is_some_and(|s| s.len() >= 20));
    assert_eq!(
        claims["at_hash"].as_str().unwrap(),
        at_hash(tokens["access_token"].as_str().unwrap())
    );
    assert!(claims.get("nonce").is_none());
    assert!(
        claims.get("email").is_none(),
        "no email without the email scope"
    );
    // Access tokens keep the configured algorithm (ES256 by default).
    let access = jsonwebtoken::decode_header(tokens["access_token"].as_str().unwrap()).unwrap();
    assert_eq!(access.alg, Algorithm::ES256);
    assert_eq!(tokens["scope"], "openid");
}

#[tokio::test]
async fn oidcc_ensure_request_without_nonce_succeeds_and_a_sent_nonce_is_echoed() {
    let (app, client, _) = signed_in().await;
    let tokens = oidc_tokens(&app, &client, "openid", Some("n-0S6_WzA2Mj")).await;
    let (_, claims) = verified_id_token(&app, &tokens, &client).await;
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
}

#[tokio::test]
async fn oidcc_scope_profile_and_email_put_the_users_record_in_the_id_token() {
    let (app, client, user) = signed_in().await;
    let tokens = oidc_tokens(&app, &client, "openid profile email", None).await;
    let (_, claims) = verified_id_token(&app, &tokens, &client).await;
    assert_eq!(claims["name"], user.display_name.as_str());
    assert_eq!(claims["email"], "ana@example.com");
    assert_eq!(claims["email_verified"], false);
    assert!(claims.get("address").is_none());
    assert!(claims.get("phone_number").is_none());
}

#[tokio::test]
async fn oidcc_refresh_token_gives_an_id_token_with_the_same_iss_sub_aud_and_auth_time() {
    let (app, client, _) = signed_in().await;
    let first = oidc_tokens(&app, &client, "openid", Some("once")).await;
    let (_, before) = verified_id_token(&app, &first, &client).await;
    app.clock.advance(60);
    let r = app
        .standard_refresh(&client, first["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let second: Value = r.json().await.unwrap();
    let (_, after) = verified_id_token(&app, &second, &client).await;
    for claim in ["iss", "sub", "aud", "auth_time", "sid"] {
        assert_eq!(before[claim], after[claim], "{claim}");
    }
    assert_eq!(after["iat"], before["iat"].as_i64().unwrap() + 60);
    assert!(
        after.get("nonce").is_none(),
        "the nonce belongs to the first ID token"
    );
}

#[tokio::test]
async fn openid_scopes_need_no_registration_but_api_scopes_still_do() {
    let (app, client, _) = signed_in().await;
    let tokens = oidc_tokens(&app, &client, "openid offline_access vso.work_write", None).await;
    assert_eq!(tokens["scope"], "offline_access openid vso.work_write");
    let query = TestApp::code_query(
        &client.app_id,
        CALLBACK,
        Some("openid vso.code_full"),
        Some(CHALLENGE),
    );
    let r = app.get_authorize(&query).await;
    assert_eq!(r.status(), StatusCode::FOUND);
    assert_eq!(
        query_param(&location(&r), "error").as_deref(),
        Some("invalid_scope")
    );
}

#[tokio::test]
async fn a_grant_without_openid_has_no_id_token() {
    let (_app, _client, tokens) = standard_tokens().await;
    assert!(tokens.get("id_token").is_none());
}

#[tokio::test]
async fn oidcc_idtoken_signature_the_discovery_document_lists_rs256_and_the_jwks_carries_an_rsa_key(
) {
    let app = TestApp::spawn().await;
    let doc = discovery(&app).await;
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        serde_json::json!(["RS256"])
    );
    assert_eq!(
        doc["subject_types_supported"],
        serde_json::json!(["public", "pairwise"])
    );
    let scopes: Vec<&str> = doc["scopes_supported"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for scope in ["openid", "profile", "email", "offline_access"] {
        assert!(scopes.contains(&scope), "{scope}");
    }
    assert_eq!(
        doc["userinfo_endpoint"],
        format!("{}/oauth2/userinfo", app.base)
    );
    assert_eq!(doc["request_parameter_supported"], false);
    assert_eq!(
        doc["response_modes_supported"],
        serde_json::json!(["query", "form_post"])
    );
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(doc["request_uri_parameter_supported"], false);
    let set: JwkSet = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let algs: Vec<_> = set
        .keys
        .iter()
        .filter_map(|k| k.common.key_algorithm)
        .collect();
    assert!(algs.contains(&jsonwebtoken::jwk::KeyAlgorithm::RS256));
    assert!(algs.contains(&jsonwebtoken::jwk::KeyAlgorithm::ES256));
    let again: Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(again, doc, "the RFC 8414 and OpenID documents agree");
}

/// Verifies an ID token the way an OpenID client does: the key named by `kid` from `jwks_uri`,
/// `iss` equal to the discovery issuer, `aud` equal to the client_id.
async fn verified_id_token(
    app: &TestApp,
    tokens: &Value,
    client: &TestClient,
) -> (jsonwebtoken::Header, Value) {
    let id_token = tokens["id_token"].as_str().expect("an id_token");
    let doc = discovery(app).await;
    let set: JwkSet = app
        .client
        .get(doc["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    let jwk = set
        .find(header.kid.as_deref().unwrap())
        .expect("kid published");
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[doc["issuer"].as_str().unwrap()]);
    validation.set_audience(&[client.app_id.as_str()]);
    validation.validate_exp = false;
    let claims =
        jsonwebtoken::decode::<Value>(id_token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
            .unwrap()
            .claims;
    (header, claims)
}

fn at_hash(access_token: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    let digest = sha2::Sha256::digest(access_token.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16])
}

async fn userinfo_get(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .get(app.url("/oauth2/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn oidcc_userinfo_get_post_header_and_post_body_return_the_same_claims() {
    let (app, client, user) = signed_in().await;
    let tokens = oidc_tokens(&app, &client, "openid profile email", None).await;
    let access = tokens["access_token"].as_str().unwrap();
    let (_, id_claims) = verified_id_token(&app, &tokens, &client).await;

    let r = userinfo_get(&app, access).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let by_get: Value = r.json().await.unwrap();
    assert_eq!(by_get["sub"], user.id.to_string());
    assert_eq!(
        by_get["sub"], id_claims["sub"],
        "UserInfo and ID token agree"
    );
    assert_eq!(by_get["name"], user.display_name.as_str());
    assert_eq!(by_get["email"], "ana@example.com");

    let by_header: Value = app
        .client
        .post(app.url("/oauth2/userinfo"))
        .bearer_auth(access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_header, by_get);
    let r = app
        .post_form("/oauth2/userinfo", &[("access_token", access)])
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap(), by_get);
}

#[tokio::test]
async fn oidcc_scope_profile_userinfo_releases_only_what_the_scopes_allow() {
    let (app, client, user) = signed_in().await;
    let tokens = oidc_tokens(&app, &client, "openid profile", None).await;
    let claims: Value = userinfo_get(&app, tokens["access_token"].as_str().unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(claims["name"], user.display_name.as_str());
    assert!(claims.get("email").is_none());
    assert!(claims.get("address").is_none());
    assert!(
        claims.as_object().unwrap().values().all(|v| !v.is_null()),
        "absent data is omitted, not null"
    );
}

#[tokio::test]
async fn userinfo_refusals_follow_rfc_6750_with_a_www_authenticate_challenge() {
    let (app, client, _) = signed_in().await;
    let r = app.get("/oauth2/userinfo").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers()["www-authenticate"], r#"Bearer realm="keygate""#);

    let r = userinfo_get(&app, "not-a-token").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains(r#"error="invalid_token""#));
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_token");

    // A token granted without openid is valid but insufficient.
    let code = app
        .code_for(
            &client.app_id,
            CALLBACK,
            Some("vso.work_write"),
            Some(CHALLENGE),
        )
        .await;
    let tokens: Value = app
        .standard_exchange(&client, &code)
        .await
        .json()
        .await
        .unwrap();
    let plain = tokens["access_token"].as_str().unwrap();
    let r = userinfo_get(&app, plain).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains(r#"error="insufficient_scope""#));

    // The refresh token is not an access token.
    let r = userinfo_get(&app, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Two ways at once is a bad request.
    let oidc = oidc_tokens(&app, &client, "openid", None).await;
    let access = oidc["access_token"].as_str().unwrap();
    let r = app
        .client
        .post(app.url("/oauth2/userinfo"))
        .bearer_auth(access)
        .form(&[("access_token", access)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_request");
}

#[tokio::test]
async fn userinfo_refuses_the_access_token_of_a_revoked_authorization() {
    let (app, client, _) = signed_in().await;
    let tokens = oidc_tokens(&app, &client, "openid", None).await;
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(userinfo_get(&app, &access).await.status(), StatusCode::OK);
    let r = app
        .post_client(
            "/oauth2/revoke",
            Auth::Basic(&client.app_id, &client.secret),
            &[("token", tokens["refresh_token"].as_str().unwrap())],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while userinfo_get(&app, &access).await.status() == StatusCode::OK {
        assert!(
            std::time::Instant::now() < deadline,
            "still answered after revocation"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        userinfo_get(&app, &access).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
