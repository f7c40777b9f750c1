//! Work items of a project, for members of its organization: read one or a batch, create one and
//! update one from a JSON Patch document ([`patch`]), and run a flat WIQL query ([`wiql`]). The
//! system fields (type, project, state, creator, dates) are filled in here; every change raises
//! `rev` and stamps `System.ChangedDate` / `System.ChangedBy`.

pub mod patch;
pub mod wiql;

use serde_json::{json, Map, Value};

use crate::clock::rfc3339;
use crate::context::Keygate;
use crate::directory::{OrgAccess, ProjectAccess};
use crate::ids::UserId;
use crate::model::{HookEventDraft, NewWorkItem, WorkItem};
use crate::store::StoreError;

pub use patch::{Operation, PatchError};
pub use wiql::WiqlError;

/// The work item types of the Agile, Scrum, Basic and CMMI processes, as they are spelled.
pub const WORK_ITEM_TYPES: &[&str] = &[
    "Task",
    "Bug",
    "Epic",
    "Feature",
    "User Story",
    "Product Backlog Item",
    "Issue",
    "Impediment",
    "Test Case",
    "Requirement",
];

/// The most ids one batch read may name, as on the hosted service.
pub const MAX_BATCH: usize = 200;

/// Why a work item could not be created, changed or queried.
#[derive(Debug, thiserror::Error)]
pub enum WorkItemError {
    /// `System.Title` is missing or blank.
    #[error("a work item needs a title")]
    TitleRequired,
    /// The member creating it no longer exists.
    #[error("user {0} no longer exists")]
    UnknownCreator(UserId),
    /// No such work item type.
    #[error("VS402323: Work item type {0} does not exist in project.")]
    UnknownType(String),
    /// The patch document is unusable, or one of its `test` operations failed.
    #[error(transparent)]
    Patch(#[from] PatchError),
    /// The query is outside the supported WIQL.
    #[error(transparent)]
    Wiql(#[from] WiqlError),
    /// No such work item (or not in this project or organization).
    #[error("TF401232: Work item {0} does not exist, or you do not have permissions to read it.")]
    NotFound(String),
    /// Someone else changed it between our read and our write.
    #[error("TF26071: This work item has been changed by someone else since you opened it.")]
    Changed,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The fields of a stored work item as a JSON object (an unreadable text reads as empty).
pub fn fields_of(item: &WorkItem) -> Map<String, Value> {
    match serde_json::from_str(&item.fields_json) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
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

/// The organization's work items `ids` (at most [`MAX_BATCH`]), in that order; the first id
/// that names no item of the organization is [`WorkItemError::NotFound`].
pub async fn work_items(
    kg: &Keygate,
    access: &OrgAccess,
    ids: &[i64],
) -> Result<Vec<WorkItem>, WorkItemError> {
    let found = kg.store().work_items_in_org(access.org().id, ids).await?;
    if let Some(missing) = ids.iter().find(|id| !found.iter().any(|w| w.id == **id)) {
        return Err(WorkItemError::NotFound(missing.to_string()));
    }
    Ok(found)
}

/// The canonical spelling of a work item type, if it is one.
pub fn work_item_type(name: &str) -> Option<&'static str> {
    WORK_ITEM_TYPES
        .iter()
        .find(|t| t.eq_ignore_ascii_case(name))
        .copied()
}

fn require_title(fields: &Map<String, Value>) -> Result<(), WorkItemError> {
    let has_title = fields
        .get("System.Title")
        .and_then(Value::as_str)
        .is_some_and(|s| !s.trim().is_empty());
    if has_title {
        Ok(())
    } else {
        Err(WorkItemError::TitleRequired)
    }
}

async fn member_name(kg: &Keygate, user: UserId) -> Result<String, WorkItemError> {
    Ok(kg
        .data()
        .user(user)
        .await?
        .ok_or(WorkItemError::UnknownCreator(user))?
        .display_name)
}

/// Creates a work item of `work_item_type` from a patch document's operations, created by the
/// member; the system fields are set here (a client's `System.State` is kept, `New` otherwise).
pub async fn create_work_item(
    kg: &Keygate,
    access: &ProjectAccess,
    work_item_type: &str,
    ops: &[Operation],
) -> Result<WorkItem, WorkItemError> {
    let work_item_type = self::work_item_type(work_item_type)
        .ok_or_else(|| WorkItemError::UnknownType(work_item_type.chars().take(64).collect()))?;
    let mut fields = Map::new();
    patch::apply(&mut fields, 0, 0, ops)?;
    require_title(&fields)?;
    let creator = member_name(kg, access.user()).await?;
    let now = kg.clock.now();
    let project = access.project();
    fields.insert("System.WorkItemType".into(), json!(work_item_type));
    fields.insert("System.TeamProject".into(), json!(project.name));
    fields.entry("System.State").or_insert(json!("New"));
    fields.insert("System.CreatedBy".into(), json!(creator));
    fields.insert("System.CreatedDate".into(), json!(rfc3339(now)));
    fields.insert("System.ChangedBy".into(), json!(creator));
    fields.insert("System.ChangedDate".into(), json!(rfc3339(now)));
    let item = NewWorkItem {
        id: 0,
        project_id: project.id,
        rev: 1,
        work_item_type: work_item_type.to_owned(),
        fields_json: Value::Object(fields).to_string(),
        created_by: access.user(),
        created_at: now,
    };
    Ok(record_work_item(kg, item).await?)
}

/// Applies a patch document to the project's work item `item`: all operations or none, then
/// `rev` + 1 and the change stamped. The write lands only on the revision the patch was checked
/// against, so a concurrent change is [`WorkItemError::Changed`], never overwritten.
pub async fn update_work_item(
    kg: &Keygate,
    access: &ProjectAccess,
    item: &str,
    ops: &[Operation],
) -> Result<WorkItem, WorkItemError> {
    let current = work_item(kg, access, item)
        .await?
        .ok_or_else(|| WorkItemError::NotFound(item.chars().take(32).collect()))?;
    let mut fields = fields_of(&current);
    patch::apply(&mut fields, current.rev, current.id, ops)?;
    require_title(&fields)?;
    let changer = member_name(kg, access.user()).await?;
    fields.insert("System.ChangedBy".into(), json!(changer));
    fields.insert("System.ChangedDate".into(), json!(rfc3339(kg.clock.now())));
    let updated = WorkItem {
        rev: current.rev + 1,
        fields_json: Value::Object(fields).to_string(),
        ..current.clone()
    };
    let event = hook_event(kg);
    if kg
        .store()
        .update_work_item(&updated, current.rev, &event)
        .await?
    {
        Ok(updated)
    } else {
        Err(WorkItemError::Changed)
    }
}

/// The result of a WIQL query: the selected columns and the matching items' numbers, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryResult {
    /// The parsed query (its columns and sort keys are echoed to the client).
    pub query: wiql::Query,
    /// Matching work item numbers, sorted.
    pub ids: Vec<i64>,
}

/// Runs a flat WIQL query over the organization's work items; `@project` is `project` (the
/// project of the request's path, if any) and `@me` the member's display name. At most `top`
/// ids are returned.
pub async fn query(
    kg: &Keygate,
    access: &OrgAccess,
    project: Option<&str>,
    text: &str,
    top: usize,
) -> Result<QueryResult, WorkItemError> {
    let query = wiql::parse(text)?;
    let me = member_name(kg, access.user()).await?;
    let macros = wiql::Macros { project, me: &me };
    let mut matching = Vec::new();
    for p in kg.store().projects_of_org(access.org().id).await? {
        for item in kg.store().work_items_of_project(p.id).await? {
            let fields = fields_of(&item);
            if query.matches(item.id, &fields, macros) {
                matching.push((item.id, fields));
            }
        }
    }
    query.sort(&mut matching);
    let ids = matching.into_iter().map(|(id, _)| id).take(top).collect();
    Ok(QueryResult { query, ids })
}

/// Stores a work item exactly as given (the demo's seeded items); the store assigns its id and
/// queues a `workitem.created` event for every subscription that follows it, in the same write.
pub async fn record_work_item(kg: &Keygate, item: NewWorkItem) -> Result<WorkItem, StoreError> {
    kg.store().create_work_item(item, &hook_event(kg)).await
}

/// The event a change queues for the service hooks that follow it: a fresh id, now.
fn hook_event(kg: &Keygate) -> HookEventDraft {
    HookEventDraft {
        event_id: uuid::Uuid::new_v4().to_string(),
        at: kg.clock.now(),
    }
}
