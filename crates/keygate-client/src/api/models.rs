//! The REST API's resources as typed values (protocol §7): the shapes the server writes, shared
//! through `keygate-api-types`, plus what only the SDK needs. Every field a server may leave out
//! has a default, so a sparse answer still reads.

pub use keygate_api_types::{
    Account, Build, DefinitionRef, IdentityRef, PatchOperation, Profile, Project, Repository,
    WorkItem,
};

/// `{"count": N, "value": [...]}`.
pub(crate) type List<T> = keygate_api_types::Collection<T>;

/// What to queue with [`super::ApiClient::queue_build`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueBuild {
    /// The definition to run.
    pub definition_id: i64,
    /// The branch to build (`refs/heads/main` if `None`).
    pub source_branch: Option<String>,
}
