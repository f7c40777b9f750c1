//! Builds and work items, numbered by the database.

use keygate_core::ids::ProjectId;
use keygate_core::model::{Build, NewBuild, NewWorkItem, WorkItem};
use keygate_core::StoreError;

use crate::arg::text;
use crate::conn::Conn;
use crate::error::DbResultExt;
use crate::rows::all;
use crate::rows::work::{build_columns, work_item_columns, BuildRow, WorkItemRow};

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

/// Creates a work item; the database assigns its id.
pub async fn create_work_item<C: Conn>(
    conn: &mut C,
    item: NewWorkItem,
) -> Result<WorkItem, StoreError> {
    let row = WorkItemRow::from(item);
    let (id,): (i64,) = conn
        .fetch_one(WorkItemRow::insert_numbered(), &row.bind()[1..])
        .await
        .db()?;
    WorkItem::try_from(WorkItemRow { id, ..row })
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
