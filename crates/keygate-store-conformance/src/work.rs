//! Builds and work items, and the readiness ping.

use std::sync::Arc;

use keygate_core::ids::{OrgId, ProjectId, RepositoryId, UserId};
use keygate_core::model::{Build, NewProject, Project, WorkItem};
use keygate_core::Store;

use crate::fixtures::{org, user, NOW};

async fn project(store: &dyn Store, org: OrgId, name: &str) -> Project {
    store
        .create_project(NewProject {
            project: Project {
                id: ProjectId::new_random(),
                org_id: org,
                name: name.to_owned(),
                description: String::new(),
                created_at: NOW,
            },
            repository_id: RepositoryId::new_random(),
        })
        .await
        .expect("create project")
}

fn new_build(project: ProjectId, requested_for: UserId, number: &str, queued: i64) -> Build {
    Build {
        id: 0,
        project_id: project,
        build_number: number.to_owned(),
        definition_name: "CI".to_owned(),
        status: "completed".to_owned(),
        result: "succeeded".to_owned(),
        source_branch: "refs/heads/main".to_owned(),
        requested_for,
        queue_time: queued,
    }
}

/// The store numbers builds (ignoring the id it is given) and lists a project's newest first.
pub async fn builds_are_numbered_by_the_store_and_listed_newest_first(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let fabrikam = org(&*store, ada.id, "Fabrikam").await;
    let web = project(&*store, fabrikam.id, "Web").await;
    let api = project(&*store, fabrikam.id, "Api").await;

    let first = store
        .queue_build(new_build(web.id, ada.id, "20261125.1", NOW))
        .await
        .expect("queue build");
    let other = store
        .queue_build(new_build(api.id, ada.id, "20261125.1", NOW + 1))
        .await
        .expect("queue build");
    let second = store
        .queue_build(new_build(web.id, ada.id, "20261125.2", NOW + 2))
        .await
        .expect("queue build");
    assert!(first.id > 0);
    assert!(first.id < other.id && other.id < second.id);
    assert_eq!(second.build_number, "20261125.2");
    assert_eq!(second.requested_for, ada.id);

    assert_eq!(
        store.builds_of_project(web.id).await.expect("builds"),
        vec![second, first]
    );
    assert_eq!(
        store.builds_of_project(api.id).await.expect("builds"),
        vec![other]
    );
    assert!(store
        .builds_of_project(ProjectId::new_random())
        .await
        .expect("builds")
        .is_empty());
}

/// Work items are numbered by the store across projects and are found only through their own.
pub async fn work_items_are_found_only_in_their_project(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let fabrikam = org(&*store, ada.id, "Fabrikam").await;
    let web = project(&*store, fabrikam.id, "Web").await;
    let api = project(&*store, fabrikam.id, "Api").await;

    let new = |project: ProjectId, title: &str| WorkItem {
        id: 0,
        project_id: project,
        rev: 1,
        work_item_type: "Task".to_owned(),
        fields_json: format!(r#"{{"System.Title":"{title}","System.State":"New"}}"#),
        created_by: ada.id,
        created_at: NOW,
    };
    let task = store
        .create_work_item(new(web.id, "Ship it"), &crate::fixtures::change())
        .await
        .expect("create work item");
    let other = store
        .create_work_item(new(api.id, "Document it"), &crate::fixtures::change())
        .await
        .expect("create work item");
    assert!(task.id > 0 && other.id > task.id);
    assert_eq!(
        task.fields_json,
        r#"{"System.Title":"Ship it","System.State":"New"}"#
    );

    assert_eq!(
        store.work_item(web.id, task.id).await.expect("work item"),
        Some(task.clone())
    );
    assert_eq!(
        store.work_item(api.id, task.id).await.expect("work item"),
        None
    );
    assert_eq!(
        store.work_item(api.id, other.id).await.expect("work item"),
        Some(other)
    );
    assert_eq!(
        store
            .work_item(web.id, task.id + 1000)
            .await
            .expect("work item"),
        None
    );
}

fn task(project: ProjectId, creator: UserId, title: &str) -> WorkItem {
    WorkItem {
        id: 0,
        project_id: project,
        rev: 1,
        work_item_type: "Task".to_owned(),
        fields_json: format!(r#"{{"System.Title":"{title}"}}"#),
        created_by: creator,
        created_at: NOW,
    }
}

/// An update lands only on the revision it was made from, and only in the item's project.
pub async fn a_work_item_update_lands_only_on_the_revision_it_was_made_from(store: Arc<dyn Store>) {
    let ada = user(&*store, "ada@example.com").await;
    let fabrikam = org(&*store, ada.id, "Fabrikam").await;
    let web = project(&*store, fabrikam.id, "Web").await;
    let api = project(&*store, fabrikam.id, "Api").await;
    let item = store
        .create_work_item(task(web.id, ada.id, "Ship it"), &crate::fixtures::change())
        .await
        .expect("create work item");

    let edited = WorkItem {
        rev: 2,
        fields_json: r#"{"System.Title":"Shipped"}"#.to_owned(),
        ..item.clone()
    };
    assert!(store
        .update_work_item(&edited, 1, &crate::fixtures::change())
        .await
        .expect("update"));
    assert_eq!(
        store.work_item(web.id, item.id).await.expect("work item"),
        Some(edited.clone())
    );

    let stale = WorkItem {
        rev: 2,
        fields_json: r#"{"System.Title":"Lost"}"#.to_owned(),
        ..item.clone()
    };
    assert!(!store
        .update_work_item(&stale, 1, &crate::fixtures::change())
        .await
        .expect("update"));
    let elsewhere = WorkItem {
        project_id: api.id,
        rev: 3,
        ..edited.clone()
    };
    assert!(!store
        .update_work_item(&elsewhere, 2, &crate::fixtures::change())
        .await
        .expect("update"));
    assert_eq!(
        store.work_item(web.id, item.id).await.expect("work item"),
        Some(edited)
    );
}

/// A project lists its own work items by id; a batch finds the organization's items in the
/// order asked and leaves out unknown ids and other organizations' items.
pub async fn work_items_are_listed_by_project_and_found_in_batches_within_their_org(
    store: Arc<dyn Store>,
) {
    let ada = user(&*store, "ada@example.com").await;
    let fabrikam = org(&*store, ada.id, "Fabrikam").await;
    let contoso = org(&*store, ada.id, "Contoso").await;
    let web = project(&*store, fabrikam.id, "Web").await;
    let api = project(&*store, fabrikam.id, "Api").await;
    let theirs = project(&*store, contoso.id, "Web").await;
    let mut made = Vec::new();
    for (p, title) in [
        (web.id, "a"),
        (api.id, "b"),
        (web.id, "c"),
        (theirs.id, "d"),
    ] {
        made.push(
            store
                .create_work_item(task(p, ada.id, title), &crate::fixtures::change())
                .await
                .expect("create work item"),
        );
    }
    assert_eq!(
        store.work_items_of_project(web.id).await.expect("list"),
        vec![made[0].clone(), made[2].clone()]
    );
    let batch = store
        .work_items_in_org(
            fabrikam.id,
            &[
                made[2].id,
                made[3].id,
                made[0].id,
                made[1].id,
                made[3].id + 100,
            ],
        )
        .await
        .expect("batch");
    assert_eq!(
        batch,
        vec![made[2].clone(), made[0].clone(), made[1].clone()]
    );
}

/// `/readyz` asks the store whether the database answers.
pub async fn the_store_answers_a_ping(store: Arc<dyn Store>) {
    store.ping().await.expect("ping");
}
