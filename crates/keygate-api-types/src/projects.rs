//! Projects, their git repositories and builds.

use serde::{Deserialize, Serialize};

/// `GET /{org}/_apis/projects[/{project}]`: a project.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Project {
    /// The project's id.
    #[serde(default)]
    pub id: String,
    /// The project's name, used in API paths.
    pub name: String,
    /// Its description.
    #[serde(default)]
    pub description: String,
    /// Where it is served.
    #[serde(default)]
    pub url: String,
    /// `wellFormed` once created.
    #[serde(default)]
    pub state: String,
    /// Its revision.
    #[serde(default)]
    pub revision: i64,
    /// `private` or `public`.
    #[serde(default)]
    pub visibility: String,
    /// When it last changed (ISO 8601).
    #[serde(default)]
    pub last_update_time: String,
}

/// A project as a repository or build names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct ProjectRef {
    /// The project's id.
    #[serde(default)]
    pub id: String,
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Where it is served, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// `wellFormed`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// `private`, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visibility: Option<String>,
}

/// `GET /{org}/{project}/_apis/git/repositories[/{repository}]`: a git repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Repository {
    /// The repository's id.
    #[serde(default)]
    pub id: String,
    /// Its name.
    pub name: String,
    /// Where it is served.
    #[serde(default)]
    pub url: String,
    /// Its project.
    #[serde(default)]
    pub project: ProjectRef,
    /// `refs/heads/main`, if it has one.
    #[serde(default)]
    pub default_branch: Option<String>,
    /// Its size in bytes.
    #[serde(default)]
    pub size: i64,
    /// The clone URL.
    #[serde(default)]
    pub remote_url: String,
    /// The page URL.
    #[serde(default)]
    pub web_url: String,
    /// Whether it is disabled.
    #[serde(default)]
    pub is_disabled: bool,
}

/// A reference to a build definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct DefinitionRef {
    /// The definition's id.
    #[serde(default)]
    pub id: i64,
    /// The definition's name.
    #[serde(default)]
    pub name: String,
}

/// A reference to a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct IdentityRef {
    /// The person's id.
    #[serde(default)]
    pub id: String,
    /// The name to show.
    #[serde(default)]
    pub display_name: String,
}

/// `GET /{org}/{project}/_apis/build/builds[/{id}]`: a build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Build {
    /// The build's id.
    pub id: i64,
    /// Its number, e.g. `20240101.1`.
    #[serde(default)]
    pub build_number: String,
    /// `notStarted`, `inProgress`, `completed`, ...
    #[serde(default)]
    pub status: String,
    /// When it was queued (ISO 8601).
    #[serde(default)]
    pub queue_time: Option<String>,
    /// The branch it builds.
    #[serde(default)]
    pub source_branch: String,
    /// Which definition it runs.
    #[serde(default)]
    pub definition: Option<DefinitionRef>,
    /// Its project.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<ProjectRef>,
    /// Who asked for it.
    #[serde(default)]
    pub requested_for: Option<IdentityRef>,
    /// Where it is served.
    #[serde(default)]
    pub url: String,
    /// `succeeded`, `failed`, ... once completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
}
