//! The SDK's standard OAuth flavour (RFC 6749) against a real Keygate, which serves it at the same
//! endpoints as the Azure flavour.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly at the line that broke"
)]

mod support;

use keygate_client::{
    AuthorizeOptions, Callback, ClientConfig, Endpoints, Error, ErrorCode, ErrorShape, Flavour,
    OAuthClient,
};
use support::{Keygate, CALLBACK, EMAIL, ORG};

#[tokio::test]
async fn a_confidential_client_exchanges_and_refreshes_with_http_basic_and_bearer_tokens() {
    let kg = Keygate::start().await;
    let client = OAuthClient::new(kg.config().with_flavour(Flavour::Standard)).unwrap();
    let request = client.authorize_url(AuthorizeOptions { pkce: true });
    assert!(request.url.as_str().contains("response_type=code&"));
    let code = Callback::parse(&kg.consent(&request, "accept").await)
        .into_code(&request.state)
        .unwrap();
    let tokens = client
        .exchange_code(&code, request.pkce_verifier.as_deref())
        .await
        .unwrap();
    assert_eq!(tokens.token_type, "Bearer");
    assert!((3590..=3600).contains(&tokens.expires_in.as_secs()));
    assert!(tokens.scope.as_deref().unwrap().contains("vso.profile"));
    let me = client.api(&tokens.access_token).profile().await.unwrap();
    assert_eq!(me.email_address, EMAIL);

    let old = tokens.refresh_token.clone().unwrap();
    let fresh = client.refresh(&old).await.unwrap();
    assert_ne!(fresh.access_token, tokens.access_token);
    assert_eq!(
        client
            .api(&fresh.access_token)
            .projects(ORG)
            .await
            .unwrap()
            .len(),
        1
    );

    match client.refresh(&old).await {
        Err(Error::OAuth(e)) => {
            assert_eq!(e.shape, ErrorShape::StandardBody);
            assert_eq!(e.code, ErrorCode::InvalidGrant);
            assert_eq!(e.azure_error(), "InvalidGrant");
        }
        other => panic!("a spent refresh token is refused, got {other:?}"),
    }
}

#[tokio::test]
async fn a_wrong_secret_is_an_rfc_invalid_client_answered_with_401() {
    let kg = Keygate::start().await;
    let mut config = kg.config().with_flavour(Flavour::Standard);
    config.client_secret = "wrong".into();
    match OAuthClient::new(config).unwrap().refresh("whatever").await {
        Err(Error::OAuth(e)) => {
            assert_eq!(e.code, ErrorCode::InvalidClient);
            assert_eq!(e.status, Some(401));
            assert_eq!(e.shape, ErrorShape::StandardBody);
        }
        other => panic!("expected invalid_client, got {other:?}"),
    }
}

#[tokio::test]
async fn a_public_client_signs_in_with_pkce_and_its_client_id_alone() {
    let kg = Keygate::start().await;
    let app_id = kg.register_public_app().await;
    let config = ClientConfig::public(Endpoints::keygate(&kg.base).unwrap(), &app_id, CALLBACK)
        .unwrap()
        .with_scopes(support::SCOPES);
    assert!(config.is_public());
    let client = OAuthClient::new(config).unwrap();
    let request = client.authorize_url(AuthorizeOptions { pkce: true });
    let code = Callback::parse(&kg.consent(&request, "accept").await)
        .into_code(&request.state)
        .unwrap();
    let tokens = client
        .exchange_code(&code, request.pkce_verifier.as_deref())
        .await
        .unwrap();
    let builds = client
        .api(&tokens.access_token)
        .builds(ORG, support::PROJECT)
        .await
        .unwrap();
    assert_eq!(builds.len(), 1);
}

#[tokio::test]
async fn a_command_line_tool_gets_tokens_through_the_device_flow_once_the_person_accepts() {
    let kg = Keygate::start().await;
    let public_id = kg.register_public_app().await;
    let config = ClientConfig::public(Endpoints::keygate(&kg.base).unwrap(), &public_id, CALLBACK)
        .unwrap()
        .with_scopes("vso.profile vso.project");
    let client = OAuthClient::new(config).unwrap();
    let started = client.start_device_authorization().await.unwrap();
    assert_eq!(started.verification_uri, format!("{}/device", kg.base));
    assert!(!format!("{started:?}").contains(&started.device_code));

    let waiting = {
        let client = client.clone();
        let started = started.clone();
        tokio::spawn(async move { client.wait_for_device_token(&started).await })
    };
    let done = kg.answer_device(&started.user_code, "accept").await;
    assert!(done.contains("Device connected"));
    let tokens = waiting.await.unwrap().unwrap();
    assert_eq!(tokens.scope.as_deref(), Some("vso.profile vso.project"));
    let me = client.api(&tokens.access_token).profile().await.unwrap();
    assert_eq!(me.email_address, EMAIL);

    // A denial ends the wait with access_denied.
    let started = client.start_device_authorization().await.unwrap();
    let waiting = {
        let client = client.clone();
        let started = started.clone();
        tokio::spawn(async move { client.wait_for_device_token(&started).await })
    };
    kg.answer_device(&started.user_code, "deny").await;
    match waiting.await.unwrap() {
        Err(Error::OAuth(e)) => assert_eq!(e.code, ErrorCode::AccessDenied),
        other => panic!("a denied device is told so, got {other:?}"),
    }
}
