//! Who may manage an organization, who may read its projects' data, and what they read.

use keygate_core::directory::{self, AccessError, OwnedOrgError};
use keygate_core::ids::UserId;
use keygate_core::model::NewBuild;
use keygate_core::projects::{self, BuildOrder};
use keygate_core::work_items::{self, WorkItemError};
use keygate_core::{accounts, Keygate};
use serde_json::{json, Value};

use super::support::*;

/// `ana` owns `fabrikam` (project `Fiber`); `bob` is a member; `eve` is not.
async fn fabrikam(w: &World) -> [UserId; 3] {
    let ana = w.user("ana@example.com").await;
    let bob = w.user_named("bob@example.com", "Bob").await;
    let eve = w.user("eve@example.com").await;
    let (data, clock) = (w.kg.data(), w.clock.as_ref());
    accounts::create_org(data, clock, "fabrikam", "ana@example.com")
        .await
        .unwrap();
    accounts::add_org_member(data, "fabrikam", "bob@example.com")
        .await
        .unwrap();
    accounts::create_project(data, clock, "fabrikam", "Fiber", "")
        .await
        .unwrap();
    [ana.id, bob.id, eve.id]
}

#[tokio::test]
async fn only_the_owner_manages_an_organization_and_a_member_is_no_owner() {
    let w = World::new().await;
    let [ana, bob, _] = fabrikam(&w).await;
    let owned = directory::owned_org(&w.kg, ana, "FABRIKAM").await.unwrap();
    assert_eq!(owned.name, "fabrikam");
    let member = directory::owned_org(&w.kg, bob, "fabrikam").await;
    assert!(matches!(member, Err(OwnedOrgError::NotOwner)), "{member:?}");
    let missing = directory::owned_org(&w.kg, ana, "contoso").await;
    assert!(
        matches!(missing, Err(OwnedOrgError::NotFound)),
        "{missing:?}"
    );
}

#[tokio::test]
async fn a_non_member_is_refused_like_an_unknown_organization_and_members_find_projects() {
    let w = World::new().await;
    let [_, bob, eve] = fabrikam(&w).await;
    for (user, org) in [(eve, "fabrikam"), (bob, "contoso")] {
        let refused = directory::member_org(&w.kg, user, org).await;
        assert!(matches!(refused, Err(AccessError::Refused(u)) if u == user));
    }
    let access = directory::member_org(&w.kg, bob, "fabrikam").await.unwrap();
    let names: Vec<String> = projects::projects(&w.kg, &access)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Fiber"]);
    let missing = directory::member_project(&w.kg, bob, "fabrikam", "Nope").await;
    assert!(matches!(missing, Err(AccessError::NoSuchProject(ref n)) if n == "Nope"));
    let hidden = directory::member_project(&w.kg, eve, "fabrikam", "Nope").await;
    assert!(matches!(hidden, Err(AccessError::Refused(_))), "{hidden:?}");
}

#[tokio::test]
async fn a_user_lists_only_their_own_organizations() {
    let w = World::new().await;
    let [_, bob, eve] = fabrikam(&w).await;
    let bob_user = directory::token_user(&w.kg, bob).await.unwrap();
    for asked in [None, Some("me"), Some("ME"), Some(&*bob.to_string())] {
        let orgs = directory::organizations_of(&w.kg, &bob_user, asked).await;
        assert_eq!(orgs.unwrap().len(), 1, "{asked:?}");
    }
    let other = directory::organizations_of(&w.kg, &bob_user, Some(&eve.to_string())).await;
    assert!(other.unwrap().is_empty());
    let gone = directory::token_user(&w.kg, UserId::new_random()).await;
    assert!(matches!(gone, Err(AccessError::Refused(_))), "{gone:?}");
}

async fn queued(kg: &Keygate, access: &directory::ProjectAccess, by: UserId) {
    let build = NewBuild {
        id: 0,
        project_id: access.project().id,
        build_number: "1".into(),
        definition_name: "CI".into(),
        status: "completed".into(),
        result: "succeeded".into(),
        source_branch: "refs/heads/main".into(),
        requested_for: by,
        queue_time: NOW,
    };
    projects::record_build(kg, build).await.unwrap();
}

#[tokio::test]
async fn builds_name_their_requesters_and_a_queued_build_takes_the_defaults() {
    let w = World::new().await;
    let [ana, bob, _] = fabrikam(&w).await;
    let access = directory::member_project(&w.kg, bob, "fabrikam", "Fiber")
        .await
        .unwrap();
    for by in [ana, bob, ana] {
        queued(&w.kg, &access, by).await;
    }
    let order = BuildOrder {
        definition_id: Some(7),
        ..BuildOrder::default()
    };
    let mine = projects::queue_build(&w.kg, &access, order).await.unwrap();
    assert_eq!(mine.build.definition_name, "Fiber-CI-7");
    assert_eq!(mine.build.source_branch, "refs/heads/main");
    assert_eq!(mine.build.status, "notStarted");
    assert_eq!(mine.build.requested_for, bob);
    assert_eq!(mine.build.build_number, format!("20231114.{}", NOW % 1000));

    let builds = projects::builds(&w.kg, &access).await.unwrap();
    assert_eq!(builds.len(), 4);
    for b in &builds {
        let expected = if b.build.requested_for == bob {
            "Bob"
        } else {
            "Test User"
        };
        assert_eq!(b.requested_by, expected);
    }
}

#[tokio::test]
async fn a_work_item_needs_a_title_and_gets_its_system_fields() {
    let w = World::new().await;
    let [_, bob, _] = fabrikam(&w).await;
    let access = directory::member_project(&w.kg, bob, "fabrikam", "Fiber")
        .await
        .unwrap();
    let untitled = work_items::create_work_item(&w.kg, &access, "Bug", &[]).await;
    assert!(
        matches!(untitled, Err(WorkItemError::TitleRequired)),
        "{untitled:?}"
    );

    let ops = work_items::patch::parse(
        json!([{"op": "add", "path": "/fields/System.Title", "value": "Fix the fiber"}])
            .to_string()
            .as_bytes(),
    )
    .unwrap();
    let made = work_items::create_work_item(&w.kg, &access, "bug", &ops)
        .await
        .unwrap();
    let stored: Value = serde_json::from_str(&made.fields_json).unwrap();
    assert_eq!(stored["System.WorkItemType"], "Bug");
    assert_eq!(stored["System.TeamProject"], "Fiber");
    assert_eq!(stored["System.State"], "New");
    assert_eq!(stored["System.CreatedBy"], "Bob");
    let found = work_items::work_item(&w.kg, &access, &made.id.to_string()).await;
    assert_eq!(found.unwrap(), Some(made));
    let not_a_number = work_items::work_item(&w.kg, &access, "abc").await;
    assert_eq!(not_a_number.unwrap(), None);
}
