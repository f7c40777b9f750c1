//! The REST API's resources as typed values (protocol §7). Every field a server may leave out
//! has a default, so a sparse answer still reads.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `{"count": N, "value": [...]}`.
#[derive(Debug, Deserialize)]
pub(crate) struct List<T> {
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
}

/// `GET /_apis/profile/profiles/me`: who the token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// The user's id (a GUID); pass it to [`super::ApiClient::accounts`].
    pub id: String,
    /// The name to show.
    #[serde(default)]
    pub display_name: String,
    /// The user's email address.
    #[serde(default)]
    pub email_address: String,
    /// A stable public alias.
    #[serde(default)]
    pub public_alias: String,
}

/// `GET /_apis/accounts?memberId=`: an organization the user belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// The organization's id.
    #[serde(default)]
    pub account_id: String,
    /// The organization's name, used in API paths.
    pub account_name: String,
    /// The organization's URL.
    #[serde(default)]
    pub account_uri: String,
}

/// `GET /{org}/_apis/projects`: a project.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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
    /// `wellFormed` once created.
    #[serde(default)]
    pub state: String,
    /// `private` or `public`.
    #[serde(default)]
    pub visibility: String,
}

/// A reference to a build definition.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct DefinitionRef {
    /// The definition's id.
    #[serde(default)]
    pub id: i64,
    /// The definition's name.
    #[serde(default)]
    pub name: String,
}

/// A reference to a person.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct IdentityRef {
    /// The person's id.
    #[serde(default)]
    pub id: String,
    /// The name to show.
    #[serde(default)]
    pub display_name: String,
}

/// `GET /{org}/{project}/_apis/build/builds`: a build.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
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
    /// `succeeded`, `failed`, ... once completed.
    #[serde(default)]
    pub result: Option<String>,
    /// When it was queued (ISO 8601).
    #[serde(default)]
    pub queue_time: Option<String>,
    /// The branch it builds.
    #[serde(default)]
    pub source_branch: String,
    /// Which definition it runs.
    #[serde(default)]
    pub definition: Option<DefinitionRef>,
    /// Who asked for it.
    #[serde(default)]
    pub requested_for: Option<IdentityRef>,
}

/// What to queue with [`super::ApiClient::queue_build`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueBuild {
    /// The definition to run.
    pub definition_id: i64,
    /// The branch to build (`refs/heads/main` if `None`).
    pub source_branch: Option<String>,
}

/// `GET /{org}/{project}/_apis/git/repositories`: a git repository.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Repository {
    /// The repository's id.
    #[serde(default)]
    pub id: String,
    /// Its name.
    pub name: String,
    /// `refs/heads/main`, if it has one.
    #[serde(default)]
    pub default_branch: Option<String>,
    /// The clone URL.
    #[serde(default)]
    pub remote_url: String,
    /// The page URL.
    #[serde(default)]
    pub web_url: String,
}

/// `GET /{org}/{project}/_apis/wit/workitems/{id}`: a work item.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WorkItem {
    /// The work item's id.
    pub id: i64,
    /// Its revision.
    #[serde(default)]
    pub rev: i64,
    /// Its fields by reference name (`System.Title`, `System.State`, ...).
    #[serde(default)]
    pub fields: Map<String, Value>,
}

impl WorkItem {
    /// A text field, if present and a string.
    pub fn field_str(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
    }

    /// `System.Title`.
    pub fn title(&self) -> Option<&str> {
        self.field_str("System.Title")
    }
}

/// One JSON Patch operation (RFC 6902) of a work item create or update.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PatchOperation {
    /// `add`, `replace`, `remove`, `test`, ...
    pub op: String,
    /// `/fields/System.Title`, ...
    pub path: String,
    /// The value, for `add`, `replace` and `test`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
}

impl PatchOperation {
    /// `{"op": "add", "path": "/fields/{field}", "value": value}`: sets a field.
    pub fn add_field(field: &str, value: impl Into<Value>) -> Self {
        Self {
            op: "add".into(),
            path: format!("/fields/{field}"),
            value: Some(value.into()),
        }
    }
}
