//! `POST /oauth2/token`, Azure flavour: every row of protocol §4's error table, single use under
//! concurrency, rotation and reuse, and the habits of real clients.

use std::sync::Arc;

use keygate_core::apps::Manager;
use keygate_core::{accounts, authorizations};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use super::helpers::*;

async fn assert_error(r: Response, error: &str, description: &str) {
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body,
        serde_json::json!({"Error": error, "ErrorDescription": description})
    );
}

async fn ready() -> (TestApp, TestClient, String) {
    let app = TestApp::spawn().await;
    let user = app.create_user("ana@example.com").await;
    app.sign_in("ana@example.com").await;
    let client = app.register_client(&user).await;
    let code = app.authorize_code(&client).await;
    (app, client, code)
}

#[tokio::test]
async fn a_code_exchange_returns_exactly_the_azure_token_shape() {
    let (app, client, code) = ready().await;
    let r = app.exchange(&client, &code).await;
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
        ["access_token", "token_type", "expires_in", "refresh_token"]
    );
    let _snapshots = super::helpers::shared_snapshots();
    insta::assert_json_snapshot!("azure_token_response", body, {
        ".access_token" => "[access_token]",
        ".refresh_token" => "[refresh_token]",
    });
}

#[tokio::test]
async fn a_client_that_decodes_expires_in_as_a_string_gets_one() {
    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct GoStyleToken {
        access_token: String,
        token_type: String,
        expires_in: String,
        refresh_token: String,
    }
    let (app, client, code) = ready().await;
    let t: GoStyleToken = app.exchange(&client, &code).await.json().await.unwrap();
    assert_eq!(t.expires_in, "3599");
    assert_eq!(t.token_type, "jwt-bearer");
}

#[tokio::test]
async fn the_access_token_carries_the_protocol_claims_with_sorted_lower_case_scopes() {
    let (app, client, code) = ready().await;
    let body: Value = app.exchange(&client, &code).await.json().await.unwrap();
    let token = body["access_token"].as_str().unwrap();
    let claims = app
        .state
        .kg
        .credentials
        .verify_access_token(token, app.state.kg.clock.now())
        .unwrap();
    assert_eq!(
        claims.scp,
        "vso.build vso.code vso.profile vso.project vso.work_write"
    );
    assert_eq!(claims.appid.to_string().to_uppercase(), client.app_id);
}

#[tokio::test]
async fn a_non_form_content_type_is_refused_with_400() {
    let (app, client, code) = ready().await;
    let r = app
        .client
        .post(app.url("/oauth2/token"))
        .json(&serde_json::json!({"grant_type": JWT_BEARER, "client_assertion": client.secret, "assertion": code}))
        .send()
        .await
        .unwrap();
    assert_error(r, "invalid_request", "grant_type must be provided").await;
}

#[tokio::test]
async fn a_missing_or_unknown_grant_type_is_refused() {
    let (app, client, code) = ready().await;
    for grant in [None, Some("password")] {
        let mut f = vec![
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", client.secret.as_str()),
            ("assertion", code.as_str()),
            ("redirect_uri", CALLBACK),
        ];
        if let Some(g) = grant {
            f.push(("grant_type", g));
        }
        assert_error(
            app.post_token(&f).await,
            "invalid_request",
            "grant_type must be provided",
        )
        .await;
    }
}

#[tokio::test]
async fn a_missing_client_assertion_is_refused() {
    let (app, _client, code) = ready().await;
    let r = app
        .post_token(&[
            ("grant_type", JWT_BEARER),
            ("assertion", &code),
            ("redirect_uri", CALLBACK),
        ])
        .await;
    assert_error(r, "invalid_client", "A client secret must be provided").await;
}

#[tokio::test]
async fn a_client_assertion_that_is_not_a_secret_is_refused() {
    let (app, _client, code) = ready().await;
    let r = app
        .post_token(&[
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", "hunter2"),
            ("grant_type", JWT_BEARER),
            ("assertion", &code),
            ("redirect_uri", CALLBACK),
        ])
        .await;
    assert_error(
        r,
        "invalid_client",
        "Failed to deserialize the JsonWebToken object.",
    )
    .await;
}

#[tokio::test]
async fn a_wrong_or_another_apps_client_secret_fails_validation() {
    let (app, client, code) = ready().await;
    let other_owner = app.create_user("bob@example.com").await;
    let other = app.register_client(&other_owner).await;
    // A well-formed secret that was never issued: the same claims, another signature.
    let mut forged = client.secret.clone();
    forged.pop();
    forged.push(if client.secret.ends_with('A') {
        'B'
    } else {
        'A'
    });
    for secret in [other.secret.as_str(), forged.as_str()] {
        let r = app
            .exchange(
                &TestClient {
                    app_id: client.app_id.clone(),
                    secret: secret.into(),
                },
                &code,
            )
            .await;
        let body: Value = r.json().await.unwrap();
        assert!(
            body["Error"] == "unauthorized_client" || body["Error"] == "invalid_grant",
            "{body}"
        );
    }
    // Another app's valid secret presenting this app's code: the code is not for that app.
    let r = app
        .exchange(
            &TestClient {
                app_id: other.app_id.clone(),
                secret: other.secret.clone(),
            },
            &code,
        )
        .await;
    assert_error(
        r,
        "invalid_grant",
        "The provided authorization grant failed verification",
    )
    .await;
    // A secret that never existed.
    let r = app
        .exchange(
            &TestClient {
                app_id: client.app_id.clone(),
                secret: forged.clone(),
            },
            &code,
        )
        .await;
    assert_error(r, "unauthorized_client", "Client failed validation").await;
}

#[tokio::test]
async fn a_client_secret_past_its_lifetime_is_expired() {
    let (app, client, code) = ready().await;
    app.clock.advance(app.state.kg.lifetimes.client_secret + 1);
    assert_error(
        app.exchange(&client, &code).await,
        "invalid_request",
        "Client secret is expired.",
    )
    .await;
}

#[tokio::test]
async fn a_regenerated_secret_fails_validation() {
    let (app, client, code) = ready().await;
    let id = client.app_id.parse().unwrap();
    let stored = keygate_core::apps::managed_app(&app.state.kg, &Manager::Admin, id)
        .await
        .unwrap();
    keygate_core::apps::regenerate_secret(&app.state.kg, &stored)
        .await
        .unwrap();
    assert_error(
        app.exchange(&client, &code).await,
        "unauthorized_client",
        "Client failed validation",
    )
    .await;
}

#[tokio::test]
async fn a_missing_assertion_is_refused() {
    let (app, client, _code) = ready().await;
    let r = app
        .post_token(&[
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &client.secret),
            ("grant_type", JWT_BEARER),
            ("redirect_uri", CALLBACK),
        ])
        .await;
    assert_error(
        r,
        "invalid_request",
        "A valid authorization grant must be provided",
    )
    .await;
}

#[tokio::test]
async fn a_forged_or_unknown_code_fails_verification() {
    let (app, client, code) = ready().await;
    for bad in ["garbage", &format!("{code}x")] {
        assert_error(
            app.exchange(&client, bad).await,
            "invalid_grant",
            "The provided authorization grant failed verification",
        )
        .await;
    }
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let (app, client, code) = ready().await;
    app.clock.advance(15 * 60);
    assert_error(
        app.exchange(&client, &code).await,
        "invalid_request",
        "The authorization grant has expired.",
    )
    .await;
}

#[tokio::test]
async fn token_endpoint_rejects_a_reused_authorization_code_and_revokes_what_it_issued() {
    let (app, client, code) = ready().await;
    let first: Value = app.exchange(&client, &code).await.json().await.unwrap();
    assert_error(
        app.exchange(&client, &code).await,
        "invalid_request",
        "An access token has already been issued",
    )
    .await;
    // RFC 6749 §4.1.2: the tokens the first redemption issued are revoked.
    let r = app
        .refresh(&client, first["refresh_token"].as_str().unwrap())
        .await;
    assert_error(r, "invalid_request", "The access token is not valid").await;
}

#[tokio::test]
async fn a_code_of_a_revoked_authorization_is_not_found() {
    let (app, client, code) = ready().await;
    let user = accounts::find_user(app.state.kg.data(), "ana@example.com")
        .await
        .unwrap()
        .unwrap();
    authorizations::revoke_user_authorizations(&app.state.kg, user.id, None)
        .await
        .unwrap();
    assert_error(
        app.exchange(&client, &code).await,
        "invalid_grant",
        "No authorization grant was found",
    )
    .await;
}

#[tokio::test]
async fn a_missing_redirect_uri_is_refused() {
    let (app, client, code) = ready().await;
    let r = app
        .post_token(&[
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &client.secret),
            ("grant_type", JWT_BEARER),
            ("assertion", &code),
        ])
        .await;
    assert_error(r, "invalid_request", "A redirect URI must be provided").await;
}

#[tokio::test]
async fn a_different_redirect_uri_is_refused() {
    let (app, client, code) = ready().await;
    let r = app
        .post_token(&[
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", &client.secret),
            ("grant_type", JWT_BEARER),
            ("assertion", &code),
            ("redirect_uri", "https://localhost:5001/other"),
        ])
        .await;
    assert_error(r, "invalid_request", "The given redirect_url was not valid").await;
    // The failed attempt did not burn the code.
    assert_eq!(app.exchange(&client, &code).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_refresh_returns_a_new_pair_and_the_old_refresh_token_stops_working() {
    let (app, client, code) = ready().await;
    let first: Value = app.exchange(&client, &code).await.json().await.unwrap();
    let old = first["refresh_token"].as_str().unwrap();
    let r = app.refresh(&client, old).await;
    assert_eq!(r.status(), StatusCode::OK);
    let second: Value = r.json().await.unwrap();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(second["expires_in"], "3599");
    let newest = second["refresh_token"].as_str().unwrap().to_owned();
    // Presenting the rotated token again is reuse: refused, and the chain's newest token dies too.
    assert_error(
        app.refresh(&client, old).await,
        "invalid_request",
        "The access token has already been refreshed",
    )
    .await;
    assert_error(
        app.refresh(&client, &newest).await,
        "invalid_request",
        "The access token is not valid",
    )
    .await;
}

#[tokio::test]
async fn an_unknown_or_malformed_refresh_token_is_invalid() {
    let (app, client, code) = ready().await;
    let first: Value = app.exchange(&client, &code).await.json().await.unwrap();
    let mut tampered = first["refresh_token"].as_str().unwrap().to_owned();
    tampered.push('x');
    for bad in ["nonsense", tampered.as_str()] {
        assert_error(
            app.refresh(&client, bad).await,
            "invalid_request",
            "The given refresh token is invalid",
        )
        .await;
    }
}

#[tokio::test]
async fn a_refresh_on_a_revoked_authorization_is_not_valid() {
    let (app, client, code) = ready().await;
    let first: Value = app.exchange(&client, &code).await.json().await.unwrap();
    let user = accounts::find_user(app.state.kg.data(), "ana@example.com")
        .await
        .unwrap()
        .unwrap();
    authorizations::revoke_user_authorizations(&app.state.kg, user.id, None)
        .await
        .unwrap();
    let r = app
        .refresh(&client, first["refresh_token"].as_str().unwrap())
        .await;
    assert_error(r, "invalid_request", "The access token is not valid").await;
}

#[tokio::test]
async fn twenty_simultaneous_redemptions_of_one_code_give_exactly_one_success() {
    let (app, client, code) = ready().await;
    let app = Arc::new(app);
    let client = Arc::new(client);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (app, client, code) = (app.clone(), client.clone(), code.clone());
            tokio::spawn(async move { app.exchange(&client, &code).await.status() })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap() == StatusCode::OK {
            ok += 1;
        }
    }
    assert_eq!(ok, 1);
}

#[tokio::test]
async fn twenty_simultaneous_refreshes_of_one_token_give_exactly_one_new_pair() {
    let (app, client, code) = ready().await;
    let first: Value = app.exchange(&client, &code).await.json().await.unwrap();
    let refresh = first["refresh_token"].as_str().unwrap().to_owned();
    let app = Arc::new(app);
    let client = Arc::new(client);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (app, client, refresh) = (app.clone(), client.clone(), refresh.clone());
            tokio::spawn(async move { app.refresh(&client, &refresh).await.status() })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        if t.await.unwrap() == StatusCode::OK {
            ok += 1;
        }
    }
    assert_eq!(ok, 1);
}

#[tokio::test]
async fn an_unencoded_redirect_uri_in_the_token_body_is_accepted() {
    let (app, client, code) = ready().await;
    let body = format!(
        "client_assertion_type={}&client_assertion={}&grant_type={}&assertion={}&redirect_uri={CALLBACK}",
        enc(ASSERTION_TYPE),
        client.secret,
        enc(JWT_BEARER),
        code
    );
    let r = app
        .client
        .post(app.url("/oauth2/token"))
        .header(
            "content-type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn go_x_oauth2_basic_auth_header_and_empty_code_are_tolerated() {
    let (app, client, code) = ready().await;
    let r = app
        .client
        .post(app.url("/oauth2/token"))
        .basic_auth(&client.app_id, Some("ignored"))
        .form(&[
            ("client_assertion_type", ASSERTION_TYPE),
            ("client_assertion", client.secret.as_str()),
            ("grant_type", JWT_BEARER),
            ("assertion", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("code", ""),
            ("response_type", "Assertion"),
            ("client_id", client.app_id.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_client_id_naming_another_app_beside_the_secret_is_refused_and_consumes_nothing() {
    let (app, client, code) = ready().await;
    let owner = app.create_user("other-owner@example.com").await;
    let other = app.register_client(&owner).await;
    for named in [other.app_id.as_str(), "not-an-app-id"] {
        let r = app
            .post_token(&[
                ("client_assertion_type", ASSERTION_TYPE),
                ("client_assertion", client.secret.as_str()),
                ("grant_type", JWT_BEARER),
                ("assertion", code.as_str()),
                ("redirect_uri", CALLBACK),
                ("client_id", named),
            ])
            .await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{named}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["Error"], "unauthorized_client", "{named}");
        assert_eq!(
            body["ErrorDescription"], "Client failed validation",
            "{named}"
        );
    }
    // The code is untouched: the app's own request still redeems it.
    assert_eq!(app.exchange(&client, &code).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_refresh_token_is_sent_in_assertion() {
    let (app, client, code) = ready().await;
    let first: Value = app.exchange(&client, &code).await.json().await.unwrap();
    let r = app
        .refresh(&client, first["refresh_token"].as_str().unwrap())
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let second: Value = r.json().await.unwrap();
    let _snapshots = super::helpers::shared_snapshots();
    insta::assert_json_snapshot!("azure_refresh_response", second, {
        ".access_token" => "[access_token]",
        ".refresh_token" => "[refresh_token]",
    });
}

#[tokio::test]
async fn every_azure_error_body_has_exactly_error_and_error_description() {
    let (app, _client, _code) = ready().await;
    let r = app.post_token(&[("grant_type", "nope")]).await;
    let body: Value = r.json().await.unwrap();
    let _snapshots = super::helpers::shared_snapshots();
    insta::assert_json_snapshot!("azure_error_response", body);
}

impl TestApp {
    pub(crate) fn clock_now(&self) -> i64 {
        use keygate_core::Clock;
        self.clock.now()
    }
}
