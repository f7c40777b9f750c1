//! Service hooks: subscriptions, the outbox rows a work item change writes in its own
//! transaction, and the leases delivery workers take on them.

use std::collections::BTreeSet;
use std::sync::Arc;

use keygate_core::ids::{HookSubscriptionId, OrgId, ProjectId, RepositoryId, UserId};
use keygate_core::model::*;
use keygate_core::Store;

use crate::fixtures::{change, change_at, org, user, NOW};

/// Stores an enabled subscription of `org` to `event` (of `project`, or of every project).
pub(crate) async fn subscribe(
    store: &dyn Store,
    org: OrgId,
    project: Option<ProjectId>,
    event: HookEventType,
    by: UserId,
) -> HookSubscription {
    let sub = HookSubscription {
        id: HookSubscriptionId::new_random(),
        org_id: org,
        event_type: event,
        project_id: project,
        consumer_url: "https://hooks.example.com/in".to_owned(),
        http_headers: String::new(),
        status: HookStatus::Enabled,
        created_by: by,
        created_at: NOW,
        modified_at: NOW,
        failure_count: 0,
        last_error: None,
        last_error_at: None,
    };
    store
        .create_hook_subscription(&sub, crate::fixtures::audit())
        .await
        .expect("create subscription");
    sub
}

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

fn task(project: ProjectId, by: UserId, title: &str) -> WorkItem {
    WorkItem {
        id: 0,
        project_id: project,
        rev: 1,
        work_item_type: "Task".to_owned(),
        fields_json: format!(r#"{{"System.Title":"{title}"}}"#),
        created_by: by,
        created_at: NOW,
    }
}

/// One organization with a project and a subscription to its created work items.
struct Setup {
    ada: UserId,
    org: OrgId,
    web: ProjectId,
    created: HookSubscription,
}

async fn setup(store: &dyn Store) -> Setup {
    let ada = user(store, "ada@example.com").await;
    let fabrikam = org(store, ada.id, "Fabrikam").await;
    let web = project(store, fabrikam.id, "Web").await;
    let created = subscribe(
        store,
        fabrikam.id,
        Some(web.id),
        HookEventType::WorkItemCreated,
        ada.id,
    )
    .await;
    Setup {
        ada: ada.id,
        org: fabrikam.id,
        web: web.id,
        created,
    }
}

/// Subscriptions are read, listed, replaced and deleted only through their organization.
pub async fn subscriptions_are_stored_replaced_and_deleted_within_their_org(store: Arc<dyn Store>) {
    let s = setup(&*store).await;
    let other = org(&*store, s.ada, "Contoso").await;
    assert_eq!(
        store
            .hook_subscription(s.org, s.created.id)
            .await
            .expect("read"),
        Some(s.created.clone())
    );
    assert_eq!(
        store
            .hook_subscription(other.id, s.created.id)
            .await
            .expect("read"),
        None
    );
    let all = subscribe(&*store, s.org, None, HookEventType::WorkItemUpdated, s.ada).await;
    let mut expected = vec![s.created.clone(), all.clone()];
    expected.sort_by_key(|x| x.id.to_string());
    assert_eq!(
        store.hook_subscriptions_of_org(s.org).await.expect("list"),
        expected
    );
    assert!(store
        .hook_subscriptions_of_org(other.id)
        .await
        .expect("list")
        .is_empty());

    let replaced = HookSubscription {
        consumer_url: "https://elsewhere.example.com/".to_owned(),
        http_headers: "X-Key: 1".to_owned(),
        project_id: None,
        modified_at: NOW + 5,
        ..all.clone()
    };
    assert!(store
        .replace_hook_subscription(&replaced, crate::fixtures::audit())
        .await
        .expect("replace"));
    assert!(!store
        .replace_hook_subscription(
            &HookSubscription {
                org_id: other.id,
                ..replaced.clone()
            },
            crate::fixtures::audit()
        )
        .await
        .expect("replace"));
    assert_eq!(
        store.hook_subscription(s.org, all.id).await.expect("read"),
        Some(replaced)
    );

    assert!(!store
        .delete_hook_subscription(other.id, all.id, crate::fixtures::audit())
        .await
        .expect("delete"));
    assert!(store
        .delete_hook_subscription(s.org, all.id, crate::fixtures::audit())
        .await
        .expect("delete"));
    assert!(!store
        .delete_hook_subscription(s.org, all.id, crate::fixtures::audit())
        .await
        .expect("delete"));
    assert_eq!(
        store.hook_subscription(s.org, all.id).await.expect("read"),
        None
    );
}

/// A created work item queues its event in the same write; an update that does not land (a
/// stale revision) queues nothing, and one that lands queues its event with the old fields.
pub async fn an_outbox_row_is_written_with_the_change_or_not_at_all(store: Arc<dyn Store>) {
    let s = setup(&*store).await;
    let updated = subscribe(&*store, s.org, None, HookEventType::WorkItemUpdated, s.ada).await;
    let draft = change_at(NOW + 1);
    let item = store
        .create_work_item(task(s.web, s.ada, "Ship it"), &draft)
        .await
        .expect("create");
    let queued = store.hook_outbox_of(s.created.id).await.expect("outbox");
    assert_eq!(queued.len(), 1);
    let row = &queued[0];
    assert_eq!(row.event_id, draft.event_id);
    assert_eq!(row.event_type, HookEventType::WorkItemCreated);
    assert_eq!(
        (row.work_item_id, row.work_item_rev, row.project_id),
        (item.id, 1, s.web)
    );
    assert_eq!(row.fields_json, item.fields_json);
    assert_eq!(row.old_fields_json, None);
    assert_eq!((row.attempts, row.next_attempt_at), (0, NOW + 1));
    assert_eq!((row.delivered_at, row.lease_owner.clone()), (None, None));
    assert!(store
        .hook_outbox_of(updated.id)
        .await
        .expect("outbox")
        .is_empty());

    let stale = WorkItem {
        rev: 2,
        fields_json: r#"{"System.Title":"Lost"}"#.to_owned(),
        ..item.clone()
    };
    assert!(!store
        .update_work_item(&stale, 5, &change())
        .await
        .expect("update"));
    assert!(store
        .hook_outbox_of(updated.id)
        .await
        .expect("outbox")
        .is_empty());

    let edited = WorkItem {
        rev: 2,
        fields_json: r#"{"System.Title":"Shipped"}"#.to_owned(),
        ..item.clone()
    };
    assert!(store
        .update_work_item(&edited, 1, &change())
        .await
        .expect("update"));
    let queued = store.hook_outbox_of(updated.id).await.expect("outbox");
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].event_type, HookEventType::WorkItemUpdated);
    assert_eq!(queued[0].work_item_rev, 2);
    assert_eq!(queued[0].fields_json, edited.fields_json);
    assert_eq!(
        queued[0].old_fields_json.as_deref(),
        Some(item.fields_json.as_str())
    );
    assert_eq!(
        store
            .hook_outbox_of(s.created.id)
            .await
            .expect("outbox")
            .len(),
        1,
        "an update is not a creation"
    );
}

/// Events go only to enabled subscriptions of the item's organization, for its project or
/// for every project.
pub async fn events_are_queued_only_for_matching_enabled_subscriptions(store: Arc<dyn Store>) {
    let s = setup(&*store).await;
    let api = project(&*store, s.org, "Api").await;
    let every = subscribe(&*store, s.org, None, HookEventType::WorkItemCreated, s.ada).await;
    let other_org = org(&*store, s.ada, "Contoso").await;
    let other_project = project(&*store, other_org.id, "Web").await;
    let elsewhere = subscribe(
        &*store,
        other_org.id,
        None,
        HookEventType::WorkItemCreated,
        s.ada,
    )
    .await;
    let disabled = subscribe(&*store, s.org, None, HookEventType::WorkItemCreated, s.ada).await;
    assert!(store
        .replace_hook_subscription(
            &HookSubscription {
                status: HookStatus::DisabledBySystem,
                ..disabled.clone()
            },
            crate::fixtures::audit()
        )
        .await
        .expect("disable"));

    store
        .create_work_item(task(api.id, s.ada, "In Api"), &change())
        .await
        .expect("create");
    store
        .create_work_item(task(other_project.id, s.ada, "Elsewhere"), &change())
        .await
        .expect("create");
    let count = |id| {
        let store = store.clone();
        async move { store.hook_outbox_of(id).await.expect("outbox").len() }
    };
    assert_eq!(count(s.created.id).await, 0, "another project");
    assert_eq!(count(every.id).await, 1);
    assert_eq!(count(elsewhere.id).await, 1);
    assert_eq!(count(disabled.id).await, 0);
}

/// A leased row is not claimed again until the lease ends; then another worker may take it.
pub async fn a_claimed_row_is_not_claimed_again_until_its_lease_ends(store: Arc<dyn Store>) {
    let s = setup(&*store).await;
    store
        .create_work_item(task(s.web, s.ada, "Ship it"), &change())
        .await
        .expect("create");
    let first = store
        .claim_hook_deliveries("node-a", NOW, NOW + 30, 10)
        .await
        .expect("claim");
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].consumer_url, s.created.consumer_url);
    assert_eq!(first[0].org_id, s.org);
    assert_eq!(first[0].event.attempts, 1);
    assert_eq!(first[0].event.lease_owner.as_deref(), Some("node-a"));
    assert!(store
        .claim_hook_deliveries("node-b", NOW + 29, NOW + 60, 10)
        .await
        .expect("claim")
        .is_empty());
    let again = store
        .claim_hook_deliveries("node-b", NOW + 30, NOW + 60, 10)
        .await
        .expect("claim");
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].event.attempts, 2);
    assert!(
        !store
            .hook_delivered(first[0].event.id, "node-a", NOW + 31)
            .await
            .expect("delivered"),
        "the first worker lost its lease"
    );
}

/// A delivered row is never claimed again, whatever the time.
pub async fn delivered_rows_are_not_claimed(store: Arc<dyn Store>) {
    let s = setup(&*store).await;
    store
        .create_work_item(task(s.web, s.ada, "Ship it"), &change())
        .await
        .expect("create");
    let claimed = store
        .claim_hook_deliveries("node-a", NOW, NOW + 30, 10)
        .await
        .expect("claim");
    assert_eq!(claimed.len(), 1);
    assert!(store
        .hook_delivered(claimed[0].event.id, "node-a", NOW + 1)
        .await
        .expect("delivered"));
    assert!(store
        .claim_hook_deliveries("node-b", NOW + 10_000, NOW + 10_030, 10)
        .await
        .expect("claim")
        .is_empty());
    let rows = store.hook_outbox_of(s.created.id).await.expect("outbox");
    assert_eq!(rows[0].delivered_at, Some(NOW + 1));
    assert_eq!(rows[0].lease_owner, None);
}

/// Purging removes only rows delivered before the given time; pending rows always stay.
pub async fn purging_removes_only_rows_delivered_before_the_cutoff(store: Arc<dyn Store>) {
    let s = setup(&*store).await;
    for title in ["One", "Two"] {
        store
            .create_work_item(task(s.web, s.ada, title), &change())
            .await
            .expect("create");
    }
    let claimed = store
        .claim_hook_deliveries("w", NOW, NOW + 30, 1)
        .await
        .expect("claim");
    assert!(store
        .hook_delivered(claimed[0].event.id, "w", NOW + 1)
        .await
        .expect("delivered"));
    assert_eq!(
        store.purge_delivered_hooks(NOW + 1).await.expect("purge"),
        0,
        "delivered at the cutoff, not before"
    );
    assert_eq!(
        store
            .purge_delivered_hooks(NOW + 1_000_000)
            .await
            .expect("purge"),
        1
    );
    let rows = store.hook_outbox_of(s.created.id).await.expect("outbox");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].delivered_at, None);
}

/// A failed attempt waits for its retry time, counts on the subscription (a success clears
/// the count), and enough consecutive failures disable the subscription and stop its claims.
pub async fn failures_back_off_and_disable_the_subscription_after_enough(store: Arc<dyn Store>) {
    let s = setup(&*store).await;
    store
        .create_work_item(task(s.web, s.ada, "Ship it"), &change())
        .await
        .expect("create");
    store
        .create_work_item(task(s.web, s.ada, "Test it"), &change())
        .await
        .expect("create");
    let fail = |at, next| HookFailure {
        error: "HTTP 503".to_owned(),
        at,
        next_attempt_at: next,
        disable_after: 3,
    };
    let claimed = store
        .claim_hook_deliveries("w", NOW, NOW + 30, 1)
        .await
        .expect("claim");
    let first = claimed[0].event.id;
    assert!(store
        .hook_failed(first, "w", &fail(NOW, NOW + 100))
        .await
        .expect("failed"));
    let sub = store
        .hook_subscription(s.org, s.created.id)
        .await
        .expect("read")
        .expect("subscription");
    assert_eq!(sub.failure_count, 1);
    assert_eq!(sub.last_error.as_deref(), Some("HTTP 503"));
    assert_eq!(sub.status, HookStatus::Enabled);
    // Only the second row is due before the retry time.
    let due = store
        .claim_hook_deliveries("w", NOW + 1, NOW + 31, 10)
        .await
        .expect("claim");
    assert_eq!(due.len(), 1);
    assert_ne!(due[0].event.id, first);
    assert!(store
        .hook_delivered(due[0].event.id, "w", NOW + 2)
        .await
        .expect("delivered"));
    let sub = store
        .hook_subscription(s.org, s.created.id)
        .await
        .expect("read")
        .expect("subscription");
    assert_eq!(sub.failure_count, 0, "a success clears the count");

    for round in 0..3 {
        let at = NOW + 100 + round * 1000;
        let due = store
            .claim_hook_deliveries("w", at, at + 30, 10)
            .await
            .expect("claim");
        assert_eq!(due.len(), 1, "round {round}");
        assert!(store
            .hook_failed(first, "w", &fail(at, at + 1000))
            .await
            .expect("failed"));
    }
    let sub = store
        .hook_subscription(s.org, s.created.id)
        .await
        .expect("read")
        .expect("subscription");
    assert_eq!(sub.failure_count, 3);
    assert_eq!(sub.status, HookStatus::DisabledBySystem);
    assert!(store
        .claim_hook_deliveries("w", NOW + 100_000, NOW + 100_030, 10)
        .await
        .expect("claim")
        .is_empty());
    let rows = store.hook_outbox_of(s.created.id).await.expect("outbox");
    assert_eq!(rows[0].attempts, 4);
    assert_eq!(rows[0].delivered_at, None, "kept for a later replay");
}

/// An event that finds its subscription's queue full disables the subscription and is not
/// queued; the queue never holds more than the cap.
pub async fn a_full_queue_disables_the_subscription_instead_of_growing(store: Arc<dyn Store>) {
    let s = setup(&*store).await;
    let item = store
        .create_work_item(task(s.web, s.ada, "Ship it"), &change())
        .await
        .expect("create");
    let updated = subscribe(&*store, s.org, None, HookEventType::WorkItemUpdated, s.ada).await;
    let mut current = item;
    for rev in 2..=HOOK_QUEUE_CAP + 2 {
        let next = WorkItem {
            rev,
            ..current.clone()
        };
        assert!(store
            .update_work_item(&next, current.rev, &change())
            .await
            .expect("update"));
        current = next;
    }
    let queued = store.hook_outbox_of(updated.id).await.expect("outbox");
    assert_eq!(queued.len() as i64, HOOK_QUEUE_CAP);
    let sub = store
        .hook_subscription(s.org, updated.id)
        .await
        .expect("read")
        .expect("subscription");
    assert_eq!(sub.status, HookStatus::DisabledBySystem);
    assert!(sub.last_error.is_some());
}

/// Workers racing for the same due rows each get a disjoint share.
pub async fn concurrent_workers_never_claim_one_row_twice(store: Arc<dyn Store>) {
    let s = setup(&*store).await;
    for n in 0..20 {
        store
            .create_work_item(task(s.web, s.ada, &format!("Item {n}")), &change())
            .await
            .expect("create");
    }
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .claim_hook_deliveries(&format!("node-{w}"), NOW, NOW + 30, 20)
                    .await
                    .expect("claim")
            })
        })
        .collect();
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for w in workers {
        for d in w.await.expect("worker") {
            total += 1;
            assert!(seen.insert(d.event.id), "row {} claimed twice", d.event.id);
        }
    }
    assert_eq!(total, 20);
}
