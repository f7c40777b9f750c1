//! The SDK against a real Keygate: the server in-process on port 0, a real SQLite file, real
//! HTTP. Each test starts its own server.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly at the line that broke"
)]

mod support;

use keygate_client::api::{PatchOperation, QueueBuild};
use keygate_client::{
    AuthorizeOptions, Callback, ClientConfig, Error, ErrorCode, ErrorShape, OAuthClient,
    TokenFailure,
};
use support::{Keygate, CALLBACK, EMAIL, ORG, PROJECT};

fn oauth_error(result: Result<impl std::fmt::Debug, Error>) -> keygate_client::OAuthError {
    match result {
        Err(Error::OAuth(e)) => e,
        other => panic!("expected an OAuth refusal, got {other:?}"),
    }
}

/// The crate documentation's example, step for step; the browser part is done by `consent`.
#[tokio::test]
async fn the_documentation_example_runs_against_a_real_keygate() {
    let kg = Keygate::start().await;
    let client = OAuthClient::new(
        ClientConfig::keygate(&kg.base, &kg.app_id, &kg.client_secret, CALLBACK)
            .unwrap()
            .with_scopes(support::SCOPES),
    )
    .unwrap();

    let request = client.authorize_url(AuthorizeOptions { pkce: true });
    let query = kg.consent(&request, "accept").await;
    let code = Callback::parse(&query).into_code(&request.state).unwrap();
    let tokens = client
        .exchange_code(&code, request.pkce_verifier.as_deref())
        .await
        .unwrap();

    let api = client.api(&tokens.access_token);
    let me = api.profile().await.unwrap();
    let mut seen = Vec::new();
    for org in api.accounts(&me.id).await.unwrap() {
        for project in api.projects(&org.account_name).await.unwrap() {
            let builds = api.builds(&org.account_name, &project.name).await.unwrap();
            seen.push((org.account_name.clone(), project.name.clone(), builds.len()));
        }
    }
    assert_eq!(seen, vec![(ORG.to_owned(), PROJECT.to_owned(), 1)]);

    let refresh_token = tokens.refresh_token.as_ref().unwrap();
    let fresh = client.refresh(refresh_token).await.unwrap();
    assert_eq!(fresh.expires_in.as_secs(), 3599);
    assert_ne!(fresh.access_token, tokens.access_token);
}

#[tokio::test]
async fn an_exchanged_token_opens_every_typed_api_call() {
    let kg = Keygate::start().await;
    let client = kg.client();
    let request = client.authorize_url(AuthorizeOptions::default());
    let code = Callback::parse(&kg.consent(&request, "accept").await)
        .into_code(&request.state)
        .unwrap();
    let tokens = client.exchange_code(&code, None).await.unwrap();
    assert_eq!(tokens.token_type, "jwt-bearer");
    let api = client.api(&tokens.access_token);

    let me = api.profile().await.unwrap();
    assert_eq!(me.email_address, EMAIL);
    assert_eq!(me.display_name, "Ana Lima");
    let projects = api.projects(ORG).await.unwrap();
    assert_eq!(projects[0].name, PROJECT);
    let repos = api.repositories(ORG, PROJECT).await.unwrap();
    assert_eq!(repos[0].name, PROJECT);

    let builds = api.builds(ORG, PROJECT).await.unwrap();
    assert_eq!(builds[0].build_number, "20240101.1");
    assert_eq!(builds[0].result.as_deref(), Some("succeeded"));
    let queued = api
        .queue_build(
            ORG,
            PROJECT,
            &QueueBuild {
                definition_id: 1,
                source_branch: Some("refs/heads/feature".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(queued.status, "notStarted");
    assert_eq!(queued.source_branch, "refs/heads/feature");
    assert_eq!(api.builds(ORG, PROJECT).await.unwrap().len(), 2);

    let seeded = api.work_item(ORG, PROJECT, kg.work_item).await.unwrap();
    assert_eq!(seeded.title(), Some("Seeded task"));
    let created = api
        .create_work_item(
            ORG,
            PROJECT,
            "Bug",
            &[
                PatchOperation::add_field("System.Title", "Made by the SDK"),
                PatchOperation::add_field("Microsoft.VSTS.Common.Priority", 2),
            ],
        )
        .await
        .unwrap();
    assert_eq!(created.title(), Some("Made by the SDK"));
    assert_eq!(created.field_str("System.WorkItemType"), Some("Bug"));
    let fetched = api.work_item(ORG, PROJECT, created.id).await.unwrap();
    assert_eq!(fetched.fields["Microsoft.VSTS.Common.Priority"], 2);
}

#[tokio::test]
async fn a_spent_refresh_token_is_refused_with_the_azure_error_and_the_rfc_code() {
    let kg = Keygate::start().await;
    let client = kg.client();
    let request = client.authorize_url(AuthorizeOptions::default());
    let code = Callback::parse(&kg.consent(&request, "accept").await)
        .into_code(&request.state)
        .unwrap();
    let first = client.exchange_code(&code, None).await.unwrap();
    let old = first.refresh_token.clone().unwrap();
    let second = client.refresh(&old).await.unwrap();
    assert_ne!(second.refresh_token.as_deref(), Some(old.as_str()));

    let refused = client.refresh(&old).await;
    let needs_authorization = refused.as_ref().err().map(Error::needs_authorization);
    let e = oauth_error(refused);
    assert_eq!(e.shape, ErrorShape::AzureBody);
    assert_eq!(e.status, Some(400));
    assert_eq!(e.error, "invalid_request");
    assert_eq!(e.code, ErrorCode::InvalidRequest);
    assert_eq!(e.azure_error(), "InvalidRequest");
    assert_eq!(e.reason(), Some(TokenFailure::RefreshTokenAlreadyUsed));
    assert_eq!(needs_authorization, Some(true));

    // Reuse revoked the whole authorization (RFC 9700 §4.14.2): the live token is dead too.
    let e = oauth_error(
        client
            .refresh(second.refresh_token.as_deref().unwrap())
            .await,
    );
    assert_eq!(e.reason(), Some(TokenFailure::RefreshTokenRevoked));
}

#[tokio::test]
async fn a_redeemed_code_and_a_wrong_secret_are_told_apart() {
    let kg = Keygate::start().await;
    let client = kg.client();
    let request = client.authorize_url(AuthorizeOptions::default());
    let code = Callback::parse(&kg.consent(&request, "accept").await)
        .into_code(&request.state)
        .unwrap();

    let mut wrong = kg.config();
    wrong.client_secret = "not-a-secret".into();
    let e = oauth_error(
        OAuthClient::new(wrong)
            .unwrap()
            .exchange_code(&code, None)
            .await,
    );
    assert_eq!(e.code, ErrorCode::InvalidClient);
    assert_eq!(e.reason(), Some(TokenFailure::ClientSecretMalformed));

    client.exchange_code(&code, None).await.unwrap();
    let e = oauth_error(client.exchange_code(&code, None).await);
    assert_eq!(e.reason(), Some(TokenFailure::GrantAlreadyUsed));
}

#[tokio::test]
async fn pkce_binds_the_code_to_the_verifier_the_app_kept() {
    let kg = Keygate::start().await;
    let client = kg.client();
    let request = client.authorize_url(AuthorizeOptions { pkce: true });
    let code = Callback::parse(&kg.consent(&request, "accept").await)
        .into_code(&request.state)
        .unwrap();
    let other_verifier = client
        .authorize_url(AuthorizeOptions { pkce: true })
        .pkce_verifier;
    let e = oauth_error(client.exchange_code(&code, other_verifier.as_deref()).await);
    assert_eq!(e.code, ErrorCode::InvalidGrant);
    assert_eq!(e.reason(), Some(TokenFailure::GrantInvalid));

    let request = client.authorize_url(AuthorizeOptions { pkce: true });
    let code = Callback::parse(&kg.consent(&request, "accept").await)
        .into_code(&request.state)
        .unwrap();
    client
        .exchange_code(&code, request.pkce_verifier.as_deref())
        .await
        .unwrap();
}

#[tokio::test]
async fn deny_reaches_the_app_as_access_denied_with_its_state() {
    let kg = Keygate::start().await;
    let client = kg.client();
    let request = client.authorize_url(AuthorizeOptions::default());
    let query = kg.consent(&request, "deny").await;
    let callback = Callback::parse(&query);
    assert_eq!(callback.state.as_deref(), Some(request.state.as_str()));
    let result = callback.into_code(&request.state);
    let needs_authorization = result.as_ref().err().map(Error::needs_authorization);
    let e = oauth_error(result);
    assert_eq!(e.code, ErrorCode::AccessDenied);
    assert_eq!(e.shape, ErrorShape::Redirect);
    assert_eq!(needs_authorization, Some(true));
}

#[tokio::test]
async fn api_refusals_are_typed() {
    let kg = Keygate::start().await;
    let client = kg.client();

    match client.api("garbage").profile().await {
        Err(e @ Error::Api(_)) => {
            assert!(e.needs_authorization());
            let Error::Api(api) = e else { unreachable!() };
            assert_eq!(api.status, 401);
            assert!(api.is_tf400813(), "{}", api.message);
        }
        other => panic!("expected a 401, got {other:?}"),
    }

    let request = client.authorize_url(AuthorizeOptions::default());
    let code = Callback::parse(&kg.consent(&request, "accept").await)
        .into_code(&request.state)
        .unwrap();
    let api = client.api(
        &client
            .exchange_code(&code, None)
            .await
            .unwrap()
            .access_token,
    );
    match api.work_item(ORG, PROJECT, 999_999).await {
        Err(Error::Api(e)) => {
            assert_eq!(e.status, 404);
            assert!(e.message.starts_with("TF401232"), "{}", e.message);
        }
        other => panic!("expected a 404, got {other:?}"),
    }
    match api.projects("nowhere").await {
        Err(Error::Api(e)) => assert!(e.is_tf400813()),
        other => panic!("expected TF400813, got {other:?}"),
    }
}

#[tokio::test]
async fn an_unreachable_server_is_a_transport_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = OAuthClient::new(
        ClientConfig::keygate(&format!("http://127.0.0.1:{port}"), "a", "s", CALLBACK).unwrap(),
    )
    .unwrap();
    assert!(matches!(
        client.refresh("r").await,
        Err(Error::Transport(_))
    ));
}
