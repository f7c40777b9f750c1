//! The project data the REST API serves to members of an organization: its projects, a
//! project's git repositories and builds. Each read takes the proof of membership from
//! [`crate::directory`], so none can be made for a user who is not a member.

use std::collections::HashMap;

use crate::context::Keygate;
use crate::directory::{OrgAccess, ProjectAccess};
use crate::ids::UserId;
use crate::model::{Build, NewBuild, Project, Repository};
use crate::store::StoreError;

/// A build with the display name of the user it was requested for (empty when that user is
/// gone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestedBuild {
    /// The build.
    pub build: Build,
    /// Who asked for it, as shown.
    pub requested_by: String,
}

/// A build to queue, as a client asks for it; what it leaves out takes the defaults.
#[derive(Debug, Clone, Default)]
pub struct BuildOrder {
    /// The definition (pipeline) by id.
    pub definition_id: Option<i64>,
    /// The definition by name; wins over the id.
    pub definition_name: Option<String>,
    /// The branch to build; `refs/heads/main` when absent.
    pub source_branch: Option<String>,
}

/// The organization's projects, by name.
pub async fn projects(kg: &Keygate, access: &OrgAccess) -> Result<Vec<Project>, StoreError> {
    kg.store().projects_of_org(access.org().id).await
}

/// The project's git repositories, by name.
pub async fn repositories(
    kg: &Keygate,
    access: &ProjectAccess,
) -> Result<Vec<Repository>, StoreError> {
    kg.store()
        .repositories_of_project(access.project().id)
        .await
}

/// The project's builds, newest first, each with its requester's name. Each requester is looked
/// up once per call, through the user cache.
pub async fn builds(
    kg: &Keygate,
    access: &ProjectAccess,
) -> Result<Vec<RequestedBuild>, StoreError> {
    let builds = kg.store().builds_of_project(access.project().id).await?;
    let mut names: HashMap<UserId, String> = HashMap::new();
    let mut requested = Vec::with_capacity(builds.len());
    for build in builds {
        let requested_by = match names.get(&build.requested_for) {
            Some(name) => name.clone(),
            None => {
                let name = display_name(kg, build.requested_for).await?;
                names.insert(build.requested_for, name.clone());
                name
            }
        };
        requested.push(RequestedBuild {
            build,
            requested_by,
        });
    }
    Ok(requested)
}

/// Queues a build in the project for the member, numbered after today's date.
pub async fn queue_build(
    kg: &Keygate,
    access: &ProjectAccess,
    order: BuildOrder,
) -> Result<RequestedBuild, StoreError> {
    let project = access.project();
    let now = kg.clock.now();
    let date = time::OffsetDateTime::from_unix_timestamp(now)
        .ok()
        .and_then(|d| {
            d.format(&time::macros::format_description!("[year][month][day]"))
                .ok()
        })
        .unwrap_or_default();
    let definition_name = order
        .definition_name
        .or(order
            .definition_id
            .map(|id| format!("{}-CI-{id}", project.name)))
        .unwrap_or_else(|| format!("{}-CI", project.name));
    let build = record_build(
        kg,
        NewBuild {
            id: 0,
            project_id: project.id,
            build_number: format!("{date}.{}", now % 1000),
            definition_name,
            status: "notStarted".into(),
            result: String::new(),
            source_branch: order
                .source_branch
                .unwrap_or_else(|| "refs/heads/main".into()),
            requested_for: access.user(),
            queue_time: now,
        },
    )
    .await?;
    let requested_by = display_name(kg, build.requested_for).await?;
    Ok(RequestedBuild {
        build,
        requested_by,
    })
}

/// Stores a build exactly as given (the demo's seeded history); the store assigns its id.
pub async fn record_build(kg: &Keygate, build: NewBuild) -> Result<Build, StoreError> {
    kg.store().queue_build(build).await
}

/// The display name of `user`, or nothing when that user is gone.
async fn display_name(kg: &Keygate, user: UserId) -> Result<String, StoreError> {
    Ok(kg
        .data()
        .user(user)
        .await?
        .map(|u| u.display_name)
        .unwrap_or_default())
}
