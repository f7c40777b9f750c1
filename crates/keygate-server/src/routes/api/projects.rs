//! An organization's projects and a project's git repositories.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use keygate_api_types as wire;
use keygate_core::model::{Project, Repository};
use keygate_core::projects;

use super::auth::BearerToken;
use super::error::ApiError;
use super::{iso, list, typed_response};
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/{org}/_apis/projects",
            get(list_projects).fallback(super::other_method),
        )
        .route(
            "/{org}/_apis/projects/{project}",
            get(get_project).fallback(super::other_method),
        )
        .route(
            "/{org}/{project}/_apis/git/repositories",
            get(list_repositories).fallback(super::other_method),
        )
        .route(
            "/{org}/{project}/_apis/git/repositories/{repository}",
            get(get_repository).fallback(super::other_method),
        )
}

fn project_json(base: &str, org: &str, p: &Project) -> wire::Project {
    wire::Project {
        id: p.id.to_string(),
        name: p.name.clone(),
        description: p.description.clone(),
        url: format!("{base}/{org}/_apis/projects/{}", p.id),
        state: "wellFormed".into(),
        revision: 1,
        visibility: "private".into(),
        last_update_time: iso(p.created_at),
    }
}

fn repository_json(base: &str, org: &str, project: &Project, r: &Repository) -> wire::Repository {
    wire::Repository {
        id: r.id.to_string(),
        name: r.name.clone(),
        url: format!(
            "{base}/{org}/{}/_apis/git/repositories/{}",
            project.id, r.id
        ),
        project: wire::ProjectRef {
            id: project.id.to_string(),
            name: project.name.clone(),
            url: Some(format!("{base}/{org}/_apis/projects/{}", project.id)),
            state: Some("wellFormed".into()),
            visibility: Some("private".into()),
        },
        default_branch: Some(r.default_branch.clone()),
        size: 0,
        remote_url: format!("{base}/{org}/{}/_git/{}", project.name, r.name),
        web_url: format!("{base}/{org}/{}/_git/{}", project.name, r.name),
        is_disabled: false,
    }
}

/// `GET /{org}/_apis/projects/{project}` (vso.project): one project by name or id, where its
/// `url` leads.
async fn get_project(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path((org, project)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let access = bearer
        .require_project(&state, "vso.project", &org, &project)
        .await?;
    Ok(typed_response(
        StatusCode::OK,
        &project_json(&state.base(), &access.org().name, access.project()),
        bearer.api_version.as_deref(),
    ))
}

/// `GET /{org}/{project}/_apis/git/repositories/{repository}` (vso.code): one repository by name
/// or id.
async fn get_repository(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path((org, project, repository)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let access = bearer
        .require_project(&state, "vso.code", &org, &project)
        .await?;
    let r = projects::repositories(&state.kg, &access)
        .await?
        .into_iter()
        .find(|r| r.id.to_string().eq_ignore_ascii_case(&repository) || r.name.eq_ignore_ascii_case(&repository))
        .ok_or_else(|| ApiError::NotFound {
            message: format!("TF401019: The Git repository with name or identifier {repository} does not exist or you do not have permissions for the operation you are attempting."),
            type_key: "GitRepositoryNotFoundException",
        })?;
    Ok(typed_response(
        StatusCode::OK,
        &repository_json(&state.base(), &access.org().name, access.project(), &r),
        bearer.api_version.as_deref(),
    ))
}

/// `GET /{org}/_apis/projects` (vso.project).
async fn list_projects(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path(org): Path<String>,
) -> Result<Response, ApiError> {
    let access = bearer.require_org(&state, "vso.project", &org).await?;
    let org = access.org();
    let base = state.base();
    let values = projects::projects(&state.kg, &access)
        .await?
        .iter()
        .map(|p| project_json(&base, &org.name, p))
        .collect();
    Ok(typed_response(
        StatusCode::OK,
        &list(values),
        bearer.api_version.as_deref(),
    ))
}

/// `GET /{org}/{project}/_apis/git/repositories` (vso.code).
async fn list_repositories(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path((org, project)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let access = bearer
        .require_project(&state, "vso.code", &org, &project)
        .await?;
    let (org, project) = (access.org(), access.project());
    let base = state.base();
    let values = projects::repositories(&state.kg, &access)
        .await?
        .iter()
        .map(|r| repository_json(&base, &org.name, project, r))
        .collect();
    Ok(typed_response(
        StatusCode::OK,
        &list(values),
        bearer.api_version.as_deref(),
    ))
}
