//! RFC 8414 metadata, the JWK Set, signing algorithms and key rotation as a resource server sees
//! them: every access token verifies against the published keys, before, during and after a
//! rotation.

use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{DecodingKey, Validation};
use keygate_core::keys::rotation::publish_next_key;
use keygate_core::keys::SigningAlgorithm;
use keygate_core::Policy;
use reqwest::StatusCode;
use serde_json::Value;

use super::helpers::*;
use super::standard_helpers::*;

async fn jwks(app: &TestApp) -> JwkSet {
    let r = app.get("/.well-known/jwks.json").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "public, max-age=300");
    r.json().await.unwrap()
}

fn kids(set: &JwkSet) -> Vec<String> {
    set.keys
        .iter()
        .filter_map(|k| k.common.key_id.clone())
        .collect()
}

/// Verifies `token` the way a resource server would: the key named by `kid` from the JWK Set.
fn verify(set: &JwkSet, token: &str, host: &str) -> Value {
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwk = set
        .find(header.kid.as_deref().unwrap())
        .expect("kid published");
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[host]);
    validation.set_issuer(&[host]);
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .unwrap()
        .claims
}

async fn client_token(app: &TestApp, client: &TestClient) -> String {
    let r = app
        .post_client(
            "/oauth2/token",
            Auth::Basic(&client.app_id, &client.secret),
            &[("grant_type", "client_credentials")],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    body["access_token"].as_str().unwrap().to_owned()
}

fn kid_of(token: &str) -> String {
    jsonwebtoken::decode_header(token).unwrap().kid.unwrap()
}

/// Polls until `done` holds, failing after five seconds.
async fn eventually<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done().await {
        assert!(Instant::now() < deadline, "{what} did not happen");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn host(app: &TestApp) -> String {
    url::Url::parse(&app.base)
        .unwrap()
        .host_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn the_metadata_document_advertises_what_is_implemented() {
    let app = TestApp::spawn().await;
    let r = app.get("/.well-known/oauth-authorization-server").await;
    assert_eq!(r.status(), StatusCode::OK);
    let text = r
        .text()
        .await
        .unwrap()
        .replace(&app.base, "http://keygate.test");
    let doc: Value = serde_json::from_str(&text).unwrap();
    let _snapshots = super::helpers::shared_snapshots();
    insta::assert_json_snapshot!("authorization_server_metadata", doc);
    let again = app.get("/.well-known/openid-configuration").await;
    let again = again
        .text()
        .await
        .unwrap()
        .replace(&app.base, "http://keygate.test");
    assert_eq!(serde_json::from_str::<Value>(&again).unwrap(), doc);
}

#[tokio::test]
async fn every_advertised_endpoint_answers() {
    let app = TestApp::spawn().await;
    let doc: Value = app
        .get("/.well-known/oauth-authorization-server")
        .await
        .json()
        .await
        .unwrap();
    for key in [
        "token_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
    ] {
        let url = doc[key].as_str().unwrap();
        let r = app
            .client
            .post(url)
            .form(&[("x", "y")])
            .send()
            .await
            .unwrap();
        assert_ne!(r.status(), StatusCode::NOT_FOUND, "{key}");
        assert_ne!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{key}");
    }
    for key in ["jwks_uri", "authorization_endpoint"] {
        let r = app
            .client
            .get(doc[key].as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_ne!(r.status(), StatusCode::NOT_FOUND, "{key}");
    }
}

#[tokio::test]
async fn access_tokens_verify_against_the_jwks_with_each_signing_algorithm() {
    for algorithm in SigningAlgorithm::ALL {
        let app = TestApp::spawn_with_policy(Policy {
            signing_algorithm: algorithm,
            ..Policy::default()
        })
        .await;
        let client = app
            .register_client(&app.create_user("ana@example.com").await)
            .await;
        let token = client_token(&app, &client).await;
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.alg, algorithm.jwt_algorithm());
        let set = jwks(&app).await;
        // The access-token key and the RS256 key of OpenID Connect ID tokens.
        assert_eq!(set.keys.len(), 2);
        let claims = verify(&set, &token, &host(&app));
        assert_eq!(
            claims["appid"].as_str().unwrap().to_uppercase(),
            client.app_id
        );
    }
}

#[tokio::test]
async fn a_rotated_key_is_published_before_it_signs_and_unpublished_after_its_tokens_expire() {
    let app = TestApp::spawn().await;
    let client = app
        .register_client(&app.create_user("ana@example.com").await)
        .await;
    let host = host(&app);
    let before = client_token(&app, &client).await;
    let old = kid_of(&before);

    let next = publish_next_key(&app.state.kg, SigningAlgorithm::EdDsa)
        .await
        .unwrap();
    eventually("publishing the next key", || async {
        kids(&jwks(&app).await).contains(&next.kid)
    })
    .await;
    // Published, but not signing until the publish-ahead delay has passed.
    assert_eq!(kid_of(&client_token(&app, &client).await), old);

    app.clock.advance(Policy::default().key_publish_ahead);
    eventually("the next key signing", || async {
        kid_of(&client_token(&app, &client).await) == next.kid
    })
    .await;
    let set = jwks(&app).await;
    assert!(
        kids(&set).contains(&old),
        "the retired key must stay published"
    );
    verify(&set, &before, &host);
    verify(&set, &client_token(&app, &client).await, &host);

    app.clock
        .advance(3600 + keygate_core::keys::rotation::RETIRED_KEY_MARGIN);
    eventually("unpublishing the retired key", || async {
        !kids(&jwks(&app).await).contains(&old)
    })
    .await;
    let left = kids(&jwks(&app).await);
    assert_eq!(left.len(), 2, "the new access key and the ID token key");
    assert!(left.contains(&next.kid));
}
