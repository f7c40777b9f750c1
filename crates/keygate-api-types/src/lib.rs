//! The JSON shapes of the emulated Azure DevOps REST API (protocol §7, rest-api.md), written once
//! and used by both sides: the server serializes them and `keygate-client` reads them. Fields are
//! declared in the order the hosted service writes them; every field a server may leave out has a
//! default, so a sparse answer from the hosted service still reads.

mod hooks;
mod identity;
mod locations;
mod projects;
mod work_items;

use serde::{Deserialize, Serialize};

pub use hooks::{HookEvent, IdRef, Subscription};
pub use identity::{
    AccessMapping, Account, ConnectionData, Identity, LocationServiceData, Profile,
};
pub use locations::{ApiResourceLocation, ResourceAreaInfo};
pub use projects::{Build, DefinitionRef, IdentityRef, Project, ProjectRef, Repository};
pub use work_items::{
    FieldReference, Link, PatchOperation, SelfLink, SortColumn, WorkItem, WorkItemQueryResult,
    WorkItemReference,
};

/// `{"count": N, "value": [...]}`: every list the API answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Collection<T> {
    /// How many values follow.
    #[serde(default)]
    pub count: usize,
    /// The values.
    #[serde(default = "Vec::new")]
    pub value: Vec<T>,
}

impl<T> Collection<T> {
    /// A collection of `value`, counted.
    pub fn of(value: Vec<T>) -> Self {
        Self {
            count: value.len(),
            value,
        }
    }
}

/// The hosted service's error body (`{"$id","innerException","message","typeName","typeKey",...}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorEnvelope {
    /// Always `"1"`.
    #[serde(rename = "$id", default)]
    pub id: String,
    /// Always null here.
    #[serde(default)]
    pub inner_exception: Option<serde_json::Value>,
    /// What went wrong, for people.
    #[serde(default)]
    pub message: String,
    /// The .NET type of the exception.
    #[serde(default)]
    pub type_name: String,
    /// Its short name, for programs.
    #[serde(default)]
    pub type_key: String,
    /// Always 0.
    #[serde(default)]
    pub error_code: i64,
    /// Always 3000.
    #[serde(default)]
    pub event_id: i64,
}

impl ErrorEnvelope {
    /// The envelope of `message` with the exception `type_name` / `type_key`.
    pub fn new(message: &str, type_name: &str, type_key: &str) -> Self {
        Self {
            id: "1".into(),
            inner_exception: None,
            message: message.into(),
            type_name: type_name.into(),
            type_key: type_key.into(),
            error_code: 0,
            event_id: 3000,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

    use super::*;
    use serde_json::json;

    #[test]
    fn a_sparse_answer_from_the_hosted_service_still_reads() {
        let build: Build = serde_json::from_value(json!({"id": 7, "extra": true})).unwrap();
        assert_eq!(build.id, 7);
        assert_eq!(build.result, None);
        let list: Collection<Project> =
            serde_json::from_value(json!({"value": [{"name": "Web"}]})).unwrap();
        assert_eq!(list.value[0].name, "Web");
        let item: WorkItem = serde_json::from_value(json!({"id": 1})).unwrap();
        assert_eq!(item.title(), None);
    }

    #[test]
    fn what_the_server_writes_reads_back_the_same() {
        let item = WorkItem {
            id: 3,
            rev: 2,
            fields: serde_json::from_value(json!({"System.Title": "T"})).unwrap(),
            links: SelfLink {
                self_: Link {
                    href: "https://k/o/_apis/wit/workItems/3".into(),
                },
            },
            url: "https://k/o/_apis/wit/workItems/3".into(),
        };
        let text = serde_json::to_value(&item).unwrap();
        assert_eq!(text["_links"]["self"]["href"], item.url);
        assert_eq!(serde_json::from_value::<WorkItem>(text).unwrap(), item);
        let envelope = ErrorEnvelope::new("m", "T, A", "T");
        let text = serde_json::to_value(&envelope).unwrap();
        assert_eq!(text["$id"], "1");
        assert_eq!(text["eventId"], 3000);
    }
}
