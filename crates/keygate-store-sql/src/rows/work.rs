//! Builds and work items, numbered by the database.

use keygate_core::model::{Build, WorkItem};
use keygate_core::StoreError;

use super::id;
use crate::table::table;

table! {
    /// A queued build.
    pub struct BuildRow in "builds" by "id", columns build_columns {
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
}

impl TryFrom<BuildRow> for Build {
    type Error = StoreError;

    fn try_from(r: BuildRow) -> Result<Self, StoreError> {
        Ok(Build {
            id: r.id,
            project_id: id(&r.project_id, "builds.project_id")?,
            build_number: r.build_number,
            definition_name: r.definition_name,
            status: r.status,
            result: r.result,
            source_branch: r.source_branch,
            requested_for: id(&r.requested_for, "builds.requested_for")?,
            queue_time: r.queue_time,
        })
    }
}

impl From<Build> for BuildRow {
    fn from(b: Build) -> Self {
        BuildRow {
            id: b.id,
            project_id: b.project_id.to_string(),
            build_number: b.build_number,
            definition_name: b.definition_name,
            status: b.status,
            result: b.result,
            source_branch: b.source_branch,
            requested_for: b.requested_for.to_string(),
            queue_time: b.queue_time,
        }
    }
}

table! {
    /// A work item.
    pub struct WorkItemRow in "work_items" by "id", columns work_item_columns {
        id: i64,
        project_id: String,
        rev: i64,
        work_item_type: String,
        fields_json: String,
        created_by: String,
        created_at: i64,
    }
}

impl TryFrom<WorkItemRow> for WorkItem {
    type Error = StoreError;

    fn try_from(r: WorkItemRow) -> Result<Self, StoreError> {
        Ok(WorkItem {
            id: r.id,
            project_id: id(&r.project_id, "work_items.project_id")?,
            rev: r.rev,
            work_item_type: r.work_item_type,
            fields_json: r.fields_json,
            created_by: id(&r.created_by, "work_items.created_by")?,
            created_at: r.created_at,
        })
    }
}

impl From<WorkItem> for WorkItemRow {
    fn from(w: WorkItem) -> Self {
        WorkItemRow {
            id: w.id,
            project_id: w.project_id.to_string(),
            rev: w.rev,
            work_item_type: w.work_item_type,
            fields_json: w.fields_json,
            created_by: w.created_by.to_string(),
            created_at: w.created_at,
        }
    }
}
