//! Builds and work items, numbered by the database.

use keygate_core::ids::{OrgId, ProjectId};
use keygate_core::model::{Build, HookEventDraft, HookEventType, NewBuild, NewWorkItem, WorkItem};
use keygate_core::StoreError;

use crate::arg::text;
use crate::conn::Conn;
use crate::error::DbResultExt;
use crate::rows::all;
use crate::rows::work::{build_columns, work_item_columns, BuildRow, WorkItemRow};
use crate::sql::hooks;

/// Queues a build; the database assigns its id.
pub async fn queue_build<C: Conn>(conn: &mut C, build: NewBuild) -> Result<Build, StoreError> {
    let row = BuildRow::from(build);
    let (id,): (i64,) = conn
        .fetch_one(BuildRow::insert_numbered(), &row.bind()[1..])
        .await
        .db()?;
    Build::try_from(BuildRow { id, ..row })
}

/// A project's builds, newest first.
pub async fn builds_of_project<C: Conn>(
    conn: &mut C,
    project: ProjectId,
) -> Result<Vec<Build>, StoreError> {
    const SQL: &str = concat!(
        "SELECT ",
        build_columns!(),
        " FROM builds WHERE project_id = $1 ORDER BY id DESC"
    );
    let found: Vec<BuildRow> = conn.fetch_all(SQL, &[text(project)]).await.db()?;
    all(found)
}

/// Creates a work item (the database assigns its id) and queues its `workitem.created`
/// events; run it in a transaction, so both land or neither does.
pub async fn create_work_item<C: Conn>(
    conn: &mut C,
    item: NewWorkItem,
    event: &HookEventDraft,
) -> Result<WorkItem, StoreError> {
    let row = WorkItemRow::from(item);
    let (id,): (i64,) = conn
        .fetch_one(WorkItemRow::insert_numbered(), &row.bind()[1..])
        .await
        .db()?;
    let created = WorkItem::try_from(WorkItemRow { id, ..row })?;
    hooks::queue_events(conn, HookEventType::WorkItemCreated, &created, None, event).await?;
    Ok(created)
}

/// Replaces a work item's revision and fields if its revision is still `expected_rev`, and
/// queues its `workitem.updated` events; run it in a transaction, so both land or neither does.
pub async fn update_work_item<C: Conn>(
    conn: &mut C,
    item: &WorkItem,
    expected_rev: i64,
    event: &HookEventDraft,
) -> Result<bool, StoreError> {
    const OLD: &str = "SELECT fields_json FROM work_items
         WHERE id = $1 AND project_id = $2 AND rev = $3";
    let old: Option<(String,)> = conn
        .fetch_optional(
            OLD,
            &[item.id.into(), text(item.project_id), expected_rev.into()],
        )
        .await
        .db()?;
    let Some((old,)) = old else {
        return Ok(false);
    };
    const SQL: &str = "UPDATE work_items SET rev = $1, fields_json = $2
         WHERE id = $3 AND project_id = $4 AND rev = $5";
    let changed = conn
        .execute(
            SQL,
            &[
                item.rev.into(),
                (&item.fields_json).into(),
                item.id.into(),
                text(item.project_id),
                expected_rev.into(),
            ],
        )
        .await
        .db()?;
    if changed != 1 {
        return Ok(false);
    }
    hooks::queue_events(
        conn,
        HookEventType::WorkItemUpdated,
        item,
        Some(&old),
        event,
    )
    .await?;
    Ok(true)
}

/// A project's work items, by id.
pub async fn work_items_of_project<C: Conn>(
    conn: &mut C,
    project: ProjectId,
) -> Result<Vec<WorkItem>, StoreError> {
    const SQL: &str = concat!(
        "SELECT ",
        work_item_columns!(),
        " FROM work_items WHERE project_id = $1 ORDER BY id"
    );
    let found: Vec<WorkItemRow> = conn.fetch_all(SQL, &[text(project)]).await.db()?;
    all(found)
}

/// The work items among `ids` in a project of `org`, in the order of `ids`.
pub async fn work_items_in_org<C: Conn>(
    conn: &mut C,
    org: OrgId,
    ids: &[i64],
) -> Result<Vec<WorkItem>, StoreError> {
    const SQL: &str = concat!(
        "SELECT ",
        work_item_columns!(),
        " FROM work_items WHERE id = $1
           AND project_id IN (SELECT id FROM projects WHERE org_id = $2)"
    );
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        let row: Option<WorkItemRow> = conn
            .fetch_optional(SQL, &[(*id).into(), text(org)])
            .await
            .db()?;
        if let Some(row) = row {
            found.push(WorkItem::try_from(row)?);
        }
    }
    Ok(found)
}

/// A work item by id, only if it belongs to `project`.
pub async fn work_item<C: Conn>(
    conn: &mut C,
    project: ProjectId,
    id: i64,
) -> Result<Option<WorkItem>, StoreError> {
    const SQL: &str = concat!(
        "SELECT ",
        work_item_columns!(),
        " FROM work_items WHERE id = $1 AND project_id = $2"
    );
    let row: Option<WorkItemRow> = conn
        .fetch_optional(SQL, &[id.into(), text(project)])
        .await
        .db()?;
    row.map(WorkItem::try_from).transpose()
}
