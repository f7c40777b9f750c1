//! Work items, their JSON Patch operations and WIQL results.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `{"href": url}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Link {
    /// Where it leads.
    #[serde(default)]
    pub href: String,
}

/// `_links` with the resource's own URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SelfLink {
    /// The resource itself.
    #[serde(rename = "self", default)]
    pub self_: Link,
}

/// `GET /{org}/[{project}/]_apis/wit/workitems/{id}`: a work item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorkItem {
    /// The work item's id.
    pub id: i64,
    /// Its revision.
    #[serde(default)]
    pub rev: i64,
    /// Its fields by reference name (`System.Title`, `System.State`, ...).
    #[serde(default)]
    pub fields: Map<String, Value>,
    /// Its links.
    #[serde(rename = "_links", default)]
    pub links: SelfLink,
    /// Where it is served.
    #[serde(default)]
    pub url: String,
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
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchOperation {
    /// `add`, `replace`, `remove`, `test`.
    pub op: String,
    /// `/fields/System.Title`, `/rev`, ...
    pub path: String,
    /// The value, for `add`, `replace` and `test`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

/// A field a WIQL result names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldReference {
    /// `System.Title`, ...
    pub reference_name: String,
    /// Its name for people (here the reference name).
    #[serde(default)]
    pub name: String,
}

/// A sort key of a WIQL result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SortColumn {
    /// The field.
    pub field: FieldReference,
    /// Whether it sorts from high to low.
    #[serde(default)]
    pub descending: bool,
}

/// A work item a WIQL result lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkItemReference {
    /// Its id.
    pub id: i64,
    /// Where it is served.
    #[serde(default)]
    pub url: String,
}

/// `POST .../_apis/wit/wiql`: a flat query's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkItemQueryResult {
    /// `flat`.
    pub query_type: String,
    /// `workItem`.
    pub query_result_type: String,
    /// When it ran (ISO 8601).
    #[serde(default)]
    pub as_of: String,
    /// The selected fields.
    #[serde(default)]
    pub columns: Vec<FieldReference>,
    /// The sort keys.
    #[serde(default)]
    pub sort_columns: Vec<SortColumn>,
    /// The matching work items, in order.
    #[serde(default)]
    pub work_items: Vec<WorkItemReference>,
}
