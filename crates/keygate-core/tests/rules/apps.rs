//! Who may manage an app, who owns a new one, and the one-alternative-secret rule.

use keygate_core::apps::{self, AppError, Manager};
use keygate_core::ids::{AppId, UserId};
use keygate_core::model::SecretSlot;

use super::support::*;

#[tokio::test]
async fn an_app_of_another_owner_is_not_found_like_a_missing_one() {
    let w = World::new().await;
    let (ana, bob) = (
        w.user("ana@example.com").await,
        w.user("bob@example.com").await,
    );
    let app = w.app(&ana).await;

    let found = apps::managed_app(&w.kg, &Manager::Owner(ana.id), app.id).await;
    assert_eq!(found.unwrap().id, app.id);
    let theirs = apps::managed_app(&w.kg, &Manager::Owner(bob.id), app.id).await;
    assert!(matches!(theirs, Err(AppError::NotFound)), "{theirs:?}");
    let missing = apps::managed_app(&w.kg, &Manager::Owner(ana.id), AppId::new_random()).await;
    assert!(matches!(missing, Err(AppError::NotFound)), "{missing:?}");
}

#[tokio::test]
async fn an_admin_manages_and_lists_every_app_and_an_owner_only_theirs() {
    let w = World::new().await;
    let (ana, bob) = (
        w.user("ana@example.com").await,
        w.user("bob@example.com").await,
    );
    let (anas, bobs) = (w.app(&ana).await, w.app(&bob).await);

    for app in [&anas, &bobs] {
        let managed = apps::managed_app(&w.kg, &Manager::Admin, app.id).await;
        assert_eq!(managed.unwrap().id, app.id);
    }
    let all = apps::apps_of(&w.kg, &Manager::Admin).await.unwrap();
    assert_eq!(all.len(), 2);
    let own = apps::apps_of(&w.kg, &Manager::Owner(bob.id)).await.unwrap();
    assert_eq!(own.iter().map(|a| a.id).collect::<Vec<_>>(), vec![bobs.id]);
}

#[tokio::test]
async fn a_user_registers_only_for_themselves_and_an_admin_only_for_a_named_user() {
    let w = World::new().await;
    let (ana, bob) = (
        w.user("ana@example.com").await,
        w.user("bob@example.com").await,
    );
    let reg = registration();
    let ana_manages = Manager::Owner(ana.id);

    let own = ana_manages.register_app(&w.kg, None, &reg).await.unwrap();
    assert_eq!(own.app.owner_id, ana.id);
    let named_self = ana_manages.register_app(&w.kg, Some(ana.id), &reg).await;
    assert_eq!(named_self.unwrap().app.owner_id, ana.id);
    let for_bob = ana_manages.register_app(&w.kg, Some(bob.id), &reg).await;
    assert!(
        matches!(for_bob, Err(AppError::OwnerNotCaller)),
        "{for_bob:?}"
    );

    let unnamed = Manager::Admin.register_app(&w.kg, None, &reg).await;
    assert!(
        matches!(unnamed, Err(AppError::OwnerRequired)),
        "{unnamed:?}"
    );
    let nobody = Manager::Admin
        .register_app(&w.kg, Some(UserId::new_random()), &reg)
        .await;
    assert!(matches!(nobody, Err(AppError::NoSuchOwner)), "{nobody:?}");
    let named = Manager::Admin.register_app(&w.kg, Some(bob.id), &reg).await;
    assert_eq!(named.unwrap().app.owner_id, bob.id);
}

#[tokio::test]
async fn a_second_alternative_secret_is_refused_but_rotating_it_is_not() {
    let w = World::new().await;
    let ana = w.user("ana@example.com").await;
    let app = w.app(&ana).await;

    let first = apps::create_alternative_secret(&w.kg, &app).await.unwrap();
    assert!(
        apps::holds_secret_in(&w.kg, &app, SecretSlot::Alternative, &first)
            .await
            .unwrap()
    );
    let second = apps::create_alternative_secret(&w.kg, &app).await;
    assert!(
        matches!(second, Err(AppError::AlternativeSecretExists)),
        "{second:?}"
    );
    // Still the first one: the refusal replaced nothing.
    assert!(
        apps::holds_secret_in(&w.kg, &app, SecretSlot::Alternative, &first)
            .await
            .unwrap()
    );

    let rotated = apps::rotate_secret(&w.kg, &app, SecretSlot::Alternative, None)
        .await
        .unwrap();
    assert!(
        !apps::holds_secret_in(&w.kg, &app, SecretSlot::Alternative, &first)
            .await
            .unwrap()
    );
    assert!(
        apps::holds_secret_in(&w.kg, &app, SecretSlot::Alternative, &rotated)
            .await
            .unwrap()
    );
    assert!(
        !apps::holds_secret_in(&w.kg, &app, SecretSlot::Primary, &rotated)
            .await
            .unwrap()
    );
}
