//! A project's builds.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use keygate_api_types as wire;
use keygate_core::model::Project;
use keygate_core::projects::{self, BuildOrder, RequestedBuild};
use serde::Deserialize;

use super::auth::BearerToken;
use super::error::ApiError;
use super::{iso, list, typed_response};
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/{org}/{project}/_apis/build/builds",
            get(list_builds)
                .post(queue_build)
                .fallback(super::other_method),
        )
        .route(
            "/{org}/{project}/_apis/build/builds/{build}",
            get(get_build).fallback(super::other_method),
        )
}

fn build_json(base: &str, org: &str, project: &Project, requested: &RequestedBuild) -> wire::Build {
    let (b, requested_by) = (&requested.build, &requested.requested_by);
    wire::Build {
        id: b.id,
        build_number: b.build_number.clone(),
        status: b.status.clone(),
        queue_time: Some(iso(b.queue_time)),
        source_branch: b.source_branch.clone(),
        definition: Some(wire::DefinitionRef {
            id: 1,
            name: b.definition_name.clone(),
        }),
        project: Some(wire::ProjectRef {
            id: project.id.to_string(),
            name: project.name.clone(),
            ..Default::default()
        }),
        requested_for: Some(wire::IdentityRef {
            id: b.requested_for.to_string(),
            display_name: requested_by.clone(),
        }),
        url: format!("{base}/{org}/{}/_apis/build/Builds/{}", project.id, b.id),
        result: (!b.result.is_empty()).then(|| b.result.clone()),
    }
}

/// `GET /{org}/{project}/_apis/build/builds` (vso.build).
async fn list_builds(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path((org, project)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let access = bearer
        .require_project(&state, "vso.build", &org, &project)
        .await?;
    let base = state.base();
    let values = projects::builds(&state.kg, &access)
        .await?
        .iter()
        .map(|b| build_json(&base, &access.org().name, access.project(), b))
        .collect();
    Ok(typed_response(
        StatusCode::OK,
        &list(values),
        bearer.api_version.as_deref(),
    ))
}

/// `GET /{org}/{project}/_apis/build/builds/{id}` (vso.build): one build, where its `url` leads.
async fn get_build(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path((org, project, build)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let access = bearer
        .require_project(&state, "vso.build", &org, &project)
        .await?;
    let b = match build.parse::<i64>().ok() {
        Some(id) => projects::builds(&state.kg, &access)
            .await?
            .into_iter()
            .find(|b| b.build.id == id),
        None => None,
    }
    .ok_or_else(|| ApiError::NotFound {
        message: format!("The requested build {build} could not be found."),
        type_key: "BuildNotFoundException",
    })?;
    let value = build_json(&state.base(), &access.org().name, access.project(), &b);
    Ok(typed_response(
        StatusCode::OK,
        &value,
        bearer.api_version.as_deref(),
    ))
}

#[derive(Deserialize)]
struct QueueBuildRequest {
    definition: Option<DefinitionRef>,
    #[serde(rename = "sourceBranch")]
    source_branch: Option<String>,
}

#[derive(Deserialize)]
struct DefinitionRef {
    id: Option<i64>,
    name: Option<String>,
}

/// `POST /{org}/{project}/_apis/build/builds` (vso.build_execute): queues a build.
async fn queue_build(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path((org, project)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let access = bearer
        .require_project(&state, "vso.build_execute", &org, &project)
        .await?;
    let request: QueueBuildRequest = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("The request body is not a valid build: {e}")))?;
    let definition = request.definition.ok_or_else(|| {
        ApiError::BadRequest("Value cannot be null. Parameter name: build.Definition".into())
    })?;
    let order = BuildOrder {
        definition_id: definition.id,
        definition_name: definition.name,
        source_branch: request.source_branch,
    };
    let build = projects::queue_build(&state.kg, &access, order).await?;
    let value = build_json(&state.base(), &access.org().name, access.project(), &build);
    Ok(typed_response(
        StatusCode::OK,
        &value,
        bearer.api_version.as_deref(),
    ))
}
