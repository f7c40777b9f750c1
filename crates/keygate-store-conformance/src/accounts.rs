//! Users, sign-in failures, organizations, projects and sessions.

use std::sync::Arc;

use keygate_core::ids::{OrgId, ProjectId, RepositoryId, UserId};
use keygate_core::model::{NewProject, NewSession, Project, SignInFailures};
use keygate_core::secrets::TokenHash;
use keygate_core::{Store, StoreError};

use crate::fixtures::{new_org, new_user, org, user, NOW};

/// A second account on a taken email is refused, whatever its id.
pub async fn creating_a_user_with_a_taken_email_is_a_conflict(store: Arc<dyn Store>) {
    user(&*store, "ada@example.com").await;
    let again = store.create_user(new_user("ada@example.com")).await;
    assert!(
        matches!(again, Err(StoreError::Conflict("user"))),
        "{again:?}"
    );
}

/// Users come back as created, by email and by id; only `user_credentials` carries the hash.
pub async fn users_are_found_by_email_and_by_id_with_their_password_hash(store: Arc<dyn Store>) {
    let new = new_user("grace@example.com");
    let password_hash = new.password_hash.clone();
    let created = store.create_user(new).await.expect("create user");
    user(&*store, "other@example.com").await;

    let by_email = store
        .user_by_email("grace@example.com")
        .await
        .expect("by email");
    assert_eq!(by_email.as_ref(), Some(&created));
    let by_id = store.user_by_id(created.id).await.expect("by id");
    assert_eq!(by_id.as_ref(), Some(&created));
    let credentials = store
        .user_credentials("grace@example.com")
        .await
        .expect("credentials")
        .expect("a user");
    assert_eq!(credentials.user, created);
    assert_eq!(credentials.password_hash, password_hash);

    assert!(store
        .user_by_email("nobody@example.com")
        .await
        .expect("by email")
        .is_none());
    assert!(store
        .user_by_id(UserId::new_random())
        .await
        .expect("by id")
        .is_none());
    assert!(store
        .user_credentials("nobody@example.com")
        .await
        .expect("credentials")
        .is_none());
}

/// Failures are counted from `since` inclusive, known user or not, per email (any address), per
/// address (any email) and per (email, address) pair.
pub async fn sign_in_failures_are_counted_per_email_per_address_and_per_pair(
    store: Arc<dyn Store>,
) {
    let record = |email: &'static str, address: &'static str, at| {
        let store = Arc::clone(&store);
        async move {
            store
                .record_sign_in_failure(email, address, at, crate::fixtures::audit())
                .await
                .expect("record failure");
        }
    };
    for at in [NOW - 100, NOW - 10, NOW, NOW + 5] {
        record("ghost@example.com", "192.0.2.1", at).await;
    }
    record("ghost@example.com", "192.0.2.2", NOW).await;
    record("other@example.com", "192.0.2.1", NOW).await;
    record("other@example.com", "2001:db8::/64", NOW - 50).await;

    let count = |email: &'static str, address: &'static str, since| {
        let store = Arc::clone(&store);
        async move {
            store
                .sign_in_failures_since(email, address, since)
                .await
                .expect("count failures")
        }
    };
    let failures = |account, address, pair| SignInFailures {
        account,
        address,
        pair,
    };
    assert_eq!(
        count("ghost@example.com", "192.0.2.1", NOW - 1000).await,
        failures(5, 5, 4)
    );
    assert_eq!(
        count("ghost@example.com", "192.0.2.1", NOW - 10).await,
        failures(4, 4, 3)
    );
    assert_eq!(
        count("ghost@example.com", "192.0.2.2", NOW - 10).await,
        failures(4, 1, 1)
    );
    assert_eq!(
        count("other@example.com", "2001:db8::/64", NOW - 60).await,
        failures(2, 1, 1)
    );
    assert_eq!(
        count("ghost@example.com", "192.0.2.1", NOW + 6).await,
        failures(0, 0, 0)
    );
    assert_eq!(
        count("nobody@example.com", "198.51.100.9", 0).await,
        failures(0, 0, 0)
    );
}

/// Organization names are unique ignoring case, found ignoring case, and the owner is a member.
pub async fn creating_an_org_whose_name_is_taken_in_any_case_is_a_conflict(store: Arc<dyn Store>) {
    let owner = user(&*store, "owner@example.com").await;
    let created = org(&*store, owner.id, "Fabrikam").await;

    let again = store.create_org(new_org(owner.id, "FABRIKAM")).await;
    assert!(
        matches!(again, Err(StoreError::Conflict("organization"))),
        "{again:?}"
    );
    let found = store.org_by_name("fabrikam").await.expect("org by name");
    assert_eq!(found.as_ref(), Some(&created));
    assert_eq!(found.map(|o| o.name), Some("Fabrikam".to_owned()));
    assert!(store
        .org_by_name("contoso")
        .await
        .expect("org by name")
        .is_none());
    assert!(store
        .is_org_member(created.id, owner.id)
        .await
        .expect("is member"));
}

/// An organization is found by its id, and an unknown id finds none.
pub async fn an_org_is_found_by_its_id(store: Arc<dyn Store>) {
    let owner = user(&*store, "owner@example.com").await;
    let created = org(&*store, owner.id, "Fabrikam").await;
    assert_eq!(
        store.org_by_id(created.id).await.expect("org by id"),
        Some(created)
    );
    assert!(store
        .org_by_id(keygate_core::ids::OrgId::new_random())
        .await
        .expect("org by id")
        .is_none());
}

/// Membership is unique; members see their organizations sorted by name.
pub async fn adding_a_member_twice_is_a_conflict(store: Arc<dyn Store>) {
    let owner = user(&*store, "owner@example.com").await;
    let member = user(&*store, "member@example.com").await;
    let zeta = org(&*store, owner.id, "Zeta").await;
    let alpha = org(&*store, owner.id, "alpha").await;

    assert!(!store
        .is_org_member(zeta.id, member.id)
        .await
        .expect("is member"));
    store
        .add_org_member(zeta.id, member.id)
        .await
        .expect("add member");
    store
        .add_org_member(alpha.id, member.id)
        .await
        .expect("add member");
    let again = store.add_org_member(zeta.id, member.id).await;
    assert!(
        matches!(again, Err(StoreError::Conflict("membership"))),
        "{again:?}"
    );
    assert!(store
        .is_org_member(zeta.id, member.id)
        .await
        .expect("is member"));

    let orgs = store.orgs_of_user(member.id).await.expect("orgs of user");
    assert_eq!(orgs, vec![alpha, zeta]);
    let none = store
        .orgs_of_user(UserId::new_random())
        .await
        .expect("orgs of user");
    assert!(none.is_empty());
}

fn new_project(org: OrgId, name: &str) -> NewProject {
    NewProject {
        project: Project {
            id: ProjectId::new_random(),
            org_id: org,
            name: name.to_owned(),
            description: format!("The {name} project"),
            created_at: NOW,
        },
        repository_id: RepositoryId::new_random(),
    }
}

/// Project names are unique within an organization ignoring case, and each project comes with
/// a repository of its own name on `refs/heads/main`.
pub async fn creating_a_project_whose_name_is_taken_in_its_org_is_a_conflict(
    store: Arc<dyn Store>,
) {
    let owner = user(&*store, "owner@example.com").await;
    let fabrikam = org(&*store, owner.id, "Fabrikam").await;
    let contoso = org(&*store, owner.id, "Contoso").await;

    let web = new_project(fabrikam.id, "Web");
    let repository_id = web.repository_id;
    let web = store.create_project(web).await.expect("create project");
    let api = store
        .create_project(new_project(fabrikam.id, "api"))
        .await
        .expect("create project");
    let again = store.create_project(new_project(fabrikam.id, "WEB")).await;
    assert!(
        matches!(again, Err(StoreError::Conflict("project")),),
        "{again:?}"
    );
    // The same name in another organization is another project.
    store
        .create_project(new_project(contoso.id, "Web"))
        .await
        .expect("same name in another org");

    assert_eq!(
        store.projects_of_org(fabrikam.id).await.expect("projects"),
        vec![api, web.clone()]
    );
    assert_eq!(
        store
            .project_by_name(fabrikam.id, "wEb")
            .await
            .expect("project by name"),
        Some(web.clone())
    );
    assert!(store
        .project_by_name(fabrikam.id, "mobile")
        .await
        .expect("project by name")
        .is_none());

    let repositories = store
        .repositories_of_project(web.id)
        .await
        .expect("repositories");
    assert_eq!(repositories.len(), 1);
    assert_eq!(repositories[0].id, repository_id);
    assert_eq!(repositories[0].project_id, web.id);
    assert_eq!(repositories[0].name, "Web");
    assert_eq!(repositories[0].default_branch, "refs/heads/main");
}

/// A session opens its user strictly before `expires_at`, and not at or after it.
pub async fn a_session_finds_its_user_until_it_expires(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let hash = TokenHash::of("session cookie");
    store
        .create_session(NewSession {
            hash,
            user_id: ada.id,
            created_at: NOW,
            expires_at: NOW + 60,
        })
        .await
        .expect("create session");

    let at = |now| {
        let store = Arc::clone(&store);
        async move { store.session_user(hash, now).await.expect("session user") }
    };
    assert_eq!(at(NOW).await, Some(ada.clone()));
    assert_eq!(at(NOW + 59).await, Some(ada));
    assert_eq!(at(NOW + 60).await, None);
    // When it began (OpenID Connect `auth_time`), while it is live.
    let started = |now| {
        let store = Arc::clone(&store);
        async move {
            store
                .session_started(hash, now)
                .await
                .expect("session start")
        }
    };
    assert_eq!(started(NOW + 59).await, Some(NOW));
    assert_eq!(started(NOW + 60).await, None);
    assert_eq!(
        store
            .session_user(TokenHash::of("another cookie"), NOW)
            .await
            .expect("session user"),
        None
    );
}

/// Signing out ends the session at once, and ending an unknown session is not an error.
pub async fn a_deleted_session_finds_no_user(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let hash = TokenHash::of("session cookie");
    store
        .create_session(NewSession {
            hash,
            user_id: ada.id,
            created_at: NOW,
            expires_at: NOW + 60,
        })
        .await
        .expect("create session");
    store.delete_session(hash).await.expect("delete session");
    assert_eq!(
        store.session_user(hash, NOW).await.expect("session user"),
        None
    );
    store
        .delete_session(TokenHash::of("never stored"))
        .await
        .expect("delete unknown session");
}

/// An app added to an organization is its member (once: a second add is a conflict), in that
/// organization only, until the app is deleted.
pub async fn an_app_added_to_an_org_is_its_member_until_deleted(store: Arc<dyn Store>) {
    let owner = user(&*store, "owner@example.com").await;
    let fabrikam = org(&*store, owner.id, "Fabrikam").await;
    let contoso = org(&*store, owner.id, "Contoso").await;
    let registered = crate::fixtures::app(&*store, owner.id, "Daemon").await;
    let app = registered.app.id;
    assert!(!store
        .is_org_app(fabrikam.id, app)
        .await
        .expect("is org app"));
    store
        .add_org_app(fabrikam.id, app)
        .await
        .expect("add org app");
    let again = store.add_org_app(fabrikam.id, app).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert!(store
        .is_org_app(fabrikam.id, app)
        .await
        .expect("is org app"));
    assert!(!store.is_org_app(contoso.id, app).await.expect("is org app"));
    store
        .delete_app(app, crate::fixtures::NOW + 10, crate::fixtures::audit())
        .await
        .expect("delete app");
    assert!(!store
        .is_org_app(fabrikam.id, app)
        .await
        .expect("is org app"));
}
