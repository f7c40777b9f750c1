//! Work items of a project, for members of its organization: read one, create one from the
//! fields a client sets, with the system fields (type, project, state, creator, date) filled in.

use serde_json::{json, Map, Value};

use crate::clock::rfc3339;
use crate::context::Keygate;
use crate::directory::ProjectAccess;
use crate::ids::UserId;
use crate::model::{NewWorkItem, WorkItem};
use crate::store::StoreError;

/// Why a work item could not be created.
#[derive(Debug, thiserror::Error)]
pub enum WorkItemError {
    /// `System.Title` is missing or blank.
    #[error("a work item needs a title")]
    TitleRequired,
    /// The member creating it no longer exists.
    #[error("user {0} no longer exists")]
    UnknownCreator(UserId),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The work item `item` of the project; `None` when there is none, including when `item` is not
/// a work item number.
pub async fn work_item(
    kg: &Keygate,
    access: &ProjectAccess,
    item: &str,
) -> Result<Option<WorkItem>, StoreError> {
    let Ok(id) = item.parse::<i64>() else {
        return Ok(None);
    };
    kg.store().work_item(access.project().id, id).await
}

/// Creates a work item of `work_item_type` with the client's `fields`, created by the member;
/// the system fields are set here (a client's `System.State` is kept, `New` otherwise).
pub async fn create_work_item(
    kg: &Keygate,
    access: &ProjectAccess,
    work_item_type: String,
    mut fields: Map<String, Value>,
) -> Result<WorkItem, WorkItemError> {
    let has_title = fields
        .get("System.Title")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty());
    if !has_title {
        return Err(WorkItemError::TitleRequired);
    }
    let creator = kg
        .data()
        .user(access.user())
        .await?
        .ok_or(WorkItemError::UnknownCreator(access.user()))?;
    let now = kg.clock.now();
    let project = access.project();
    fields.insert("System.WorkItemType".into(), json!(work_item_type));
    fields.insert("System.TeamProject".into(), json!(project.name));
    fields.entry("System.State").or_insert(json!("New"));
    fields.insert("System.CreatedBy".into(), json!(creator.display_name));
    fields.insert("System.CreatedDate".into(), json!(rfc3339(now)));
    let item = NewWorkItem {
        id: 0,
        project_id: project.id,
        rev: 1,
        work_item_type,
        fields_json: Value::Object(fields).to_string(),
        created_by: creator.id,
        created_at: now,
    };
    Ok(record_work_item(kg, item).await?)
}

/// Stores a work item exactly as given (the demo's seeded items); the store assigns its id.
pub async fn record_work_item(kg: &Keygate, item: NewWorkItem) -> Result<WorkItem, StoreError> {
    kg.store().create_work_item(item).await
}
