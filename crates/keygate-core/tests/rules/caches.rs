//! The caches behind the one door: a node keeps serving what it cached until its catch-up with
//! the change feed applies what another node changed, and then serves the change.

use keygate_core::apps::{self, Manager};
use keygate_core::bearer::{check_bearer, BearerError};
use keygate_core::ids::{AppId, AuthorizationId};
use keygate_core::keys::rotation::publish_next_key;
use keygate_core::keys::SigningAlgorithm;
use keygate_core::scopes::ScopeSet;
use keygate_core::{accounts, Keygate};

use super::support::*;

async fn app_name(kg: &Keygate, id: AppId) -> String {
    apps::managed_app(kg, &Manager::Admin, id)
        .await
        .unwrap()
        .name
}

#[tokio::test]
async fn an_app_edited_on_another_node_is_served_fresh_after_the_catch_up() {
    let w = World::new().await;
    let ana = w.user("ana@example.com").await;
    let app = w.app(&ana).await;
    let other = w.another_node().await;
    assert_eq!(app_name(&w.kg, app.id).await, "Fiber app");

    let renamed = apps::Registration {
        name: "Renamed".into(),
        ..registration()
    };
    apps::update_app(&other, &app, &renamed).await.unwrap();
    assert_eq!(
        app_name(&other, app.id).await,
        "Renamed",
        "the editing node at once"
    );
    assert_eq!(
        app_name(&w.kg, app.id).await,
        "Fiber app",
        "still cached here"
    );

    let caught_up = w.kg.catch_up().await.unwrap();
    assert!(caught_up.applied >= 1);
    assert_eq!(app_name(&w.kg, app.id).await, "Renamed");
}

#[tokio::test]
async fn a_policy_changed_elsewhere_refuses_tokens_here_after_the_catch_up() {
    let w = World::new().await;
    let ana = w.user("ana@example.com").await;
    let org = accounts::create_org(w.kg.data(), w.clock.as_ref(), "fabrikam", "ana@example.com")
        .await
        .unwrap();
    let scopes = ScopeSet::parse("vso.work").unwrap();
    let token =
        w.kg.credentials
            .mint_access_token(
                ana.id,
                AppId::new_random(),
                AuthorizationId::new_random(),
                &scopes,
                NOW,
                NOW + 3600,
            )
            .unwrap();
    assert!(check_bearer(&w.kg, &token, "vso.work", Some("fabrikam")).is_ok());

    let other = w.another_node().await;
    accounts::set_org_oauth_policy(&other, &org, false)
        .await
        .unwrap();
    assert!(check_bearer(&w.kg, &token, "vso.work", Some("fabrikam")).is_ok());
    w.kg.catch_up().await.unwrap();
    let refused = check_bearer(&w.kg, &token, "vso.work", Some("FABRIKAM"));
    assert_eq!(refused.unwrap_err(), BearerError::Unauthorized(ana.id));
}

#[tokio::test]
async fn a_key_published_elsewhere_joins_the_ring_after_the_catch_up() {
    let w = World::new().await;
    let other = w.another_node().await;
    let next = publish_next_key(&other, SigningAlgorithm::EdDsa)
        .await
        .unwrap();
    let published = |kg: &Keygate| {
        kg.credentials
            .keys()
            .jwks()
            .keys
            .iter()
            .any(|k| k.common.key_id.as_deref() == Some(next.kid.as_str()))
    };
    assert!(!published(&w.kg));
    let caught_up = w.kg.catch_up().await.unwrap();
    assert!(caught_up.keys_changed);
    assert!(published(&w.kg));
}
