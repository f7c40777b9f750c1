//! The registration REST API: CRUD on registrations and their two secrets, by an admin token or a
//! user's `vso.tokens` access token, and the OpenAPI document generated from the code.

use keygate_core::admin::create_admin_token;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::helpers::*;

const API: &str = "/_apis/delegatedauth/registration";

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut r = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        r = r.json(&body);
    }
    r.send().await.unwrap()
}

fn registration(owner: Option<&str>) -> Value {
    json!({
        "registrationName": "Fiber CI",
        "registrationLocation": "https://fabrikam.example",
        "organizationName": "Fabrikam",
        "redirectUris": [CALLBACK],
        "scopes": "vso.work vso.profile",
        "identityId": owner,
    })
}

async fn admin_token(app: &TestApp) -> String {
    create_admin_token(&app.state.kg, "tests")
        .await
        .unwrap()
        .value
}

#[tokio::test]
async fn an_admin_token_creates_reads_updates_rotates_and_deletes_a_registration() {
    let app = TestApp::spawn().await;
    let ana = app.create_user("ana@example.com").await;
    let admin = admin_token(&app).await;

    let r = call(
        &app,
        Method::POST,
        &format!("{API}?api-version=7.2-preview.1"),
        &admin,
        Some(registration(Some(&ana.id.to_string()))),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .contains("api-version=7.2-preview.1"));
    let created: Value = r.json().await.unwrap();
    let id = created["registrationId"].as_str().unwrap().to_owned();
    let primary = created["secret"].as_str().unwrap().to_owned();
    assert_eq!(created["scopes"], "vso.profile vso.work");
    assert_eq!(created["identityId"], ana.id.to_string());
    assert_eq!(created["clientType"], "confidential");
    assert!(created["secretValidTo"].is_string() && created.get("alternativeSecret").is_none());

    // The secret works at the token endpoint.
    app.sign_in("ana@example.com").await;
    let client = TestClient {
        app_id: id.clone(),
        secret: primary.clone(),
    };
    let code = app
        .authorize_code_for(&client, "vso.profile vso.work")
        .await;
    assert_eq!(app.exchange(&client, &code).await.status(), StatusCode::OK);

    let got: Value = call(&app, Method::GET, &format!("{API}/{id}"), &admin, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["registrationName"], "Fiber CI");
    assert!(got.get("secret").is_none(), "a secret is shown only once");
    let listed: Value = call(&app, Method::GET, API, &admin, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["count"], 1);

    let mut changed = registration(None);
    changed["registrationName"] = json!("Fiber CI 2");
    changed["registrationDescription"] = json!("Now with boards");
    let updated: Value = call(
        &app,
        Method::PUT,
        &format!("{API}/{id}"),
        &admin,
        Some(changed.clone()),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(updated["registrationName"], "Fiber CI 2");
    changed["scopes"] = json!("vso.code");
    let r = call(
        &app,
        Method::PUT,
        &format!("{API}/{id}"),
        &admin,
        Some(changed),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("scopes cannot be changed"));

    // Alternative secret: create once (a JSON string), then rotate either slot.
    let secret_path = format!("/_apis/delegatedauth/registrationsecret/{id}");
    let r = call(&app, Method::POST, &secret_path, &admin, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let alternative: String = r.json().await.unwrap();
    assert_eq!(
        call(&app, Method::POST, &secret_path, &admin, None)
            .await
            .status(),
        StatusCode::CONFLICT
    );
    let alt_client = TestClient {
        app_id: id.clone(),
        secret: alternative.clone(),
    };
    let code = app
        .authorize_code_for(&alt_client, "vso.profile vso.work")
        .await;
    assert_eq!(
        app.exchange(&alt_client, &code).await.status(),
        StatusCode::OK
    );
    let rotated: Value = call(
        &app,
        Method::PUT,
        &format!("{secret_path}?secretType=alternative"),
        &admin,
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    let new_alternative = rotated["alternativeSecret"].as_str().unwrap();
    assert_ne!(new_alternative, alternative);
    assert!(rotated.get("secret").is_none());
    assert_eq!(
        rotated["secretVersionId"], got["secretVersionId"],
        "the primary stays"
    );
    let bad = call(
        &app,
        Method::PUT,
        &format!("{secret_path}?secretType=tertiary"),
        &admin,
        None,
    )
    .await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);

    assert_eq!(
        call(&app, Method::DELETE, &format!("{API}/{id}"), &admin, None)
            .await
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        call(&app, Method::GET, &format!("{API}/{id}"), &admin, None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_users_vso_tokens_access_token_manages_only_that_users_registrations() {
    let app = TestApp::spawn().await;
    let ana = app.create_user("ana@example.com").await;
    let bob = app.create_user("bob@example.com").await;
    let admin = admin_token(&app).await;
    let bobs: Value = call(
        &app,
        Method::POST,
        API,
        &admin,
        Some(registration(Some(&bob.id.to_string()))),
    )
    .await
    .json()
    .await
    .unwrap();
    let tool = app.register_client_with(&ana, "vso.tokens", CALLBACK).await;
    app.sign_in("ana@example.com").await;
    let code = app.authorize_code_for(&tool, "vso.tokens").await;
    let t: Value = app.exchange(&tool, &code).await.json().await.unwrap();
    let token = t["access_token"].as_str().unwrap();

    let mine: Value = call(&app, Method::POST, API, token, Some(registration(None)))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["identityId"], ana.id.to_string());
    let listed: Value = call(&app, Method::GET, API, token, None)
        .await
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = listed["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["registrationId"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed["count"], 2,
        "the tool app and the new one: {names:?}"
    );
    assert!(!names.contains(&bobs["registrationId"].as_str().unwrap()));
    let other = format!("{API}/{}", bobs["registrationId"].as_str().unwrap());
    assert_eq!(
        call(&app, Method::GET, &other, token, None).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&app, Method::DELETE, &other, token, None)
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let r = call(
        &app,
        Method::POST,
        API,
        token,
        Some(registration(Some(&bob.id.to_string()))),
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_api_refuses_missing_weak_or_revoked_credentials_with_401_json() {
    let app = TestApp::spawn().await;
    let ana = app.create_user("ana@example.com").await;
    let weak = app
        .register_client_with(&ana, "vso.profile", CALLBACK)
        .await;
    app.sign_in("ana@example.com").await;
    let code = app.authorize_code_for(&weak, "vso.profile").await;
    let t: Value = app.exchange(&weak, &code).await.json().await.unwrap();
    let created = create_admin_token(&app.state.kg, "soon revoked")
        .await
        .unwrap();
    keygate_core::admin::revoke_admin_token(&app.state.kg, &created.token.id)
        .await
        .unwrap();
    for token in [
        "",
        "kgat_not-a-real-token",
        t["access_token"].as_str().unwrap(),
        &created.value,
    ] {
        let r = call(&app, Method::GET, API, token, None).await;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers()["www-authenticate"], "Bearer");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["typeKey"], "UnauthorizedRequestException");
    }
}

#[tokio::test]
async fn bad_bodies_are_400_in_the_error_envelope() {
    let app = TestApp::spawn().await;
    let ana = app.create_user("ana@example.com").await;
    let admin = admin_token(&app).await;
    let owner = ana.id.to_string();
    let mut two_uris = registration(Some(&owner));
    two_uris["redirectUris"] = json!([CALLBACK, "https://localhost/other"]);
    let mut http = registration(Some(&owner));
    http["redirectUris"] = json!(["http://example.com/cb"]);
    for body in [
        json!({"registrationName": 5}),
        json!([]),
        two_uris,
        http,
        registration(None),
    ] {
        let r = call(&app, Method::POST, API, &admin, Some(body.clone())).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{body}");
        let e: Value = r.json().await.unwrap();
        assert_eq!(e["typeKey"], "ArgumentException");
    }
    assert_eq!(
        call(
            &app,
            Method::GET,
            &format!("{API}/not-a-guid"),
            &admin,
            None
        )
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_openapi_document_describes_every_registration_operation() {
    let app = TestApp::spawn().await;
    let doc: Value = app.get("/_apis/openapi.json").await.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    let ops: Vec<String> = paths
        .iter()
        .flat_map(|(p, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |m| format!("{m} {p}"))
        })
        .collect();
    for op in [
        "post /_apis/delegatedauth/registration",
        "get /_apis/delegatedauth/registration",
        "get /_apis/delegatedauth/registration/{registrationId}",
        "put /_apis/delegatedauth/registration/{registrationId}",
        "delete /_apis/delegatedauth/registration/{registrationId}",
        "post /_apis/delegatedauth/registrationsecret/{registrationId}",
        "put /_apis/delegatedauth/registrationsecret/{registrationId}",
        "get /_apis/delegatedauth/registration/{registrationId}/certificates",
        "post /_apis/delegatedauth/registration/{registrationId}/certificates",
        "delete /_apis/delegatedauth/registration/{registrationId}/certificates/{thumbprint}",
    ] {
        assert!(ops.contains(&op.to_owned()), "{op} missing: {ops:?}");
    }
    assert!(
        doc["components"]["schemas"]["RegistrationResponse"]["properties"]
            ["alternativeSecretValidTo"]
            .is_object()
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
}

/// A self-signed certificate, PEM, and its private key, PEM.
fn certificate(alg: &'static rcgen::SignatureAlgorithm) -> (String, String) {
    let key = rcgen::KeyPair::generate_for(alg).unwrap();
    let params = rcgen::CertificateParams::new(vec!["daemon.example".to_string()]).unwrap();
    (params.self_signed(&key).unwrap().pem(), key.serialize_pem())
}

#[tokio::test]
async fn certificates_are_added_listed_shown_and_removed_by_the_owner_only() {
    let app = TestApp::spawn().await;
    let ana = app.create_user("ana@example.com").await;
    let bob = app.create_user("bob@example.com").await;
    let admin = admin_token(&app).await;
    let created: Value = call(
        &app,
        Method::POST,
        API,
        &admin,
        Some(registration(Some(&ana.id.to_string()))),
    )
    .await
    .json()
    .await
    .unwrap();
    let id = created["registrationId"].as_str().unwrap().to_owned();
    assert!(created.get("certificates").is_none(), "none registered yet");
    let certs = format!("{API}/{id}/certificates");
    let (pem, key) = certificate(&rcgen::PKCS_ECDSA_P256_SHA256);

    let r = call(
        &app,
        Method::POST,
        &format!("{certs}?api-version=7.2-preview.1"),
        &admin,
        Some(json!({"pem": pem, "description": "nightly"})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let added: Value = r.json().await.unwrap();
    let thumbprint = added["thumbprint"].as_str().unwrap().to_owned();
    assert_eq!(thumbprint.len(), 40);
    assert_eq!(added["description"], "nightly");
    assert!(added["validTo"].is_string());

    // Refusals: the same certificate again, a private key, an unknown field.
    for body in [
        json!({"pem": pem}),
        json!({"pem": key}),
        json!({"pem": pem, "extra": 1}),
    ] {
        let r = call(&app, Method::POST, &certs, &admin, Some(body)).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let envelope: Value = r.json().await.unwrap();
        assert!(envelope["message"].is_string(), "{envelope}");
    }

    let listed: Value = call(&app, Method::GET, &certs, &admin, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["count"], 1);
    let got: Value = call(&app, Method::GET, &format!("{API}/{id}"), &admin, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(got["certificates"][0]["thumbprint"], thumbprint.as_str());

    // Another user sees neither the registration nor its certificates.
    let bobs_tool = app.register_client_with(&bob, "vso.tokens", CALLBACK).await;
    app.sign_in("bob@example.com").await;
    let code = app.authorize_code_for(&bobs_tool, "vso.tokens").await;
    let tokens: Value = app.exchange(&bobs_tool, &code).await.json().await.unwrap();
    let bobs = tokens["access_token"].as_str().unwrap();
    let r = call(&app, Method::GET, &certs, bobs, None).await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = call(
        &app,
        Method::DELETE,
        &format!("{certs}/{thumbprint}"),
        bobs,
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);

    let r = call(
        &app,
        Method::DELETE,
        &format!("{certs}/{thumbprint}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let r = call(
        &app,
        Method::DELETE,
        &format!("{certs}/{thumbprint}"),
        &admin,
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let listed: Value = call(&app, Method::GET, &certs, &admin, None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["count"], 0);
}
