//! Builds and work items, numbered by the database.

use keygate_core::ids::ProjectId;
use keygate_core::model::{Build, NewBuild, NewWorkItem, WorkItem};
use keygate_core::StoreError;

use crate::error::DbResultExt;
use crate::rows;
use crate::PgStore;

#[derive(sqlx::FromRow)]
pub(crate) struct BuildRow {
    id: i64,
    project_id: String,
    build_number: String,
    definition_name: String,
    status: String,
    result: String,
    source_branch: String,
    requested_for: String,
    queue_time: i64,
}

impl TryFrom<BuildRow> for Build {
    type Error = StoreError;

    fn try_from(r: BuildRow) -> Result<Self, StoreError> {
        Ok(Build {
            id: r.id,
            project_id: rows::id(&r.project_id, "builds.project_id")?,
            build_number: r.build_number,
            definition_name: r.definition_name,
            status: r.status,
            result: r.result,
            source_branch: r.source_branch,
            requested_for: rows::id(&r.requested_for, "builds.requested_for")?,
            queue_time: r.queue_time,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct WorkItemRow {
    id: i64,
    project_id: String,
    rev: i64,
    work_item_type: String,
    fields_json: String,
    created_by: String,
    created_at: i64,
}

impl TryFrom<WorkItemRow> for WorkItem {
    type Error = StoreError;

    fn try_from(r: WorkItemRow) -> Result<Self, StoreError> {
        Ok(WorkItem {
            id: r.id,
            project_id: rows::id(&r.project_id, "work_items.project_id")?,
            rev: r.rev,
            work_item_type: r.work_item_type,
            fields_json: r.fields_json,
            created_by: rows::id(&r.created_by, "work_items.created_by")?,
            created_at: r.created_at,
        })
    }
}

pub(crate) async fn queue_build(store: &PgStore, build: NewBuild) -> Result<Build, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO builds (project_id, build_number, definition_name, status, result,
             source_branch, requested_for, queue_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING id",
    )
    .bind(build.project_id.to_string())
    .bind(&build.build_number)
    .bind(&build.definition_name)
    .bind(&build.status)
    .bind(&build.result)
    .bind(&build.source_branch)
    .bind(build.requested_for.to_string())
    .bind(build.queue_time)
    .fetch_one(&store.pool)
    .await
    .db()?;
    Ok(Build { id, ..build })
}

pub(crate) async fn builds_of_project(
    store: &PgStore,
    project: ProjectId,
) -> Result<Vec<Build>, StoreError> {
    let found: Vec<BuildRow> = sqlx::query_as(
        "SELECT id, project_id, build_number, definition_name, status, result, source_branch,
                requested_for, queue_time
         FROM builds WHERE project_id = $1 ORDER BY id DESC",
    )
    .bind(project.to_string())
    .fetch_all(&store.pool)
    .await
    .db()?;
    rows::all(found)
}

pub(crate) async fn create_work_item(
    store: &PgStore,
    item: NewWorkItem,
) -> Result<WorkItem, StoreError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO work_items (project_id, rev, work_item_type, fields_json, created_by,
             created_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id",
    )
    .bind(item.project_id.to_string())
    .bind(item.rev)
    .bind(&item.work_item_type)
    .bind(&item.fields_json)
    .bind(item.created_by.to_string())
    .bind(item.created_at)
    .fetch_one(&store.pool)
    .await
    .db()?;
    Ok(WorkItem { id, ..item })
}

pub(crate) async fn work_item(
    store: &PgStore,
    project: ProjectId,
    id: i64,
) -> Result<Option<WorkItem>, StoreError> {
    let row: Option<WorkItemRow> = sqlx::query_as(
        "SELECT id, project_id, rev, work_item_type, fields_json, created_by, created_at
         FROM work_items WHERE id = $1 AND project_id = $2",
    )
    .bind(id)
    .bind(project.to_string())
    .fetch_optional(&store.pool)
    .await
    .db()?;
    row.map(WorkItem::try_from).transpose()
}
