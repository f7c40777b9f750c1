//! An organization's projects and a project's git repositories.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use keygate_core::projects;
use serde_json::json;

use super::auth::BearerToken;
use super::error::ApiError;
use super::{iso, json_response, list};
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/{org}/_apis/projects",
            get(list_projects).fallback(super::other_method),
        )
        .route(
            "/{org}/{project}/_apis/git/repositories",
            get(list_repositories).fallback(super::other_method),
        )
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
        .into_iter()
        .map(|p| {
            json!({
                "id": p.id,
                "name": p.name,
                "description": p.description,
                "url": format!("{base}/{}/_apis/projects/{}", org.name, p.id),
                "state": "wellFormed",
                "revision": 1,
                "visibility": "private",
                "lastUpdateTime": iso(p.created_at)
            })
        })
        .collect();
    Ok(json_response(
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
        .into_iter()
        .map(|r| {
            json!({
                "id": r.id,
                "name": r.name,
                "url": format!("{base}/{}/{}/_apis/git/repositories/{}", org.name, project.name, r.id),
                "project": {"id": project.id, "name": project.name, "state": "wellFormed", "visibility": "private"},
                "defaultBranch": r.default_branch,
                "size": 0,
                "remoteUrl": format!("{base}/{}/{}/_git/{}", org.name, project.name, r.name),
                "webUrl": format!("{base}/{}/{}/_git/{}", org.name, project.name, r.name),
                "isDisabled": false
            })
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        &list(values),
        bearer.api_version.as_deref(),
    ))
}
