//! Builds and work items: the project data the REST API serves.

use crate::clock::UnixTime;
use crate::ids::{ProjectId, UserId};

/// A queued or finished build.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    /// Store-assigned number, unique across the server.
    pub id: i64,
    /// The project.
    pub project_id: ProjectId,
    /// Human build number (`20261125.1`).
    pub build_number: String,
    /// Build definition (pipeline) name.
    pub definition_name: String,
    /// `notStarted`, `inProgress` or `completed`.
    pub status: String,
    /// `succeeded`, `failed`, ... once completed; empty before.
    pub result: String,
    /// Branch built.
    pub source_branch: String,
    /// Who asked for it.
    pub requested_for: UserId,
    /// When it was queued.
    pub queue_time: UnixTime,
}

/// A build to queue; the store assigns `id`.
pub type NewBuild = Build;

/// A work item with its fields as a JSON object (`System.Title`, `System.State`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkItem {
    /// Store-assigned number, unique across the server.
    pub id: i64,
    /// The project.
    pub project_id: ProjectId,
    /// Revision, starting at 1.
    pub rev: i64,
    /// Work item type (`Task`, `Bug`, ...).
    pub work_item_type: String,
    /// Fields as a JSON object text.
    pub fields_json: String,
    /// Who created it.
    pub created_by: UserId,
    /// When.
    pub created_at: UnixTime,
}

/// A work item to create; the store assigns `id`.
pub type NewWorkItem = WorkItem;
