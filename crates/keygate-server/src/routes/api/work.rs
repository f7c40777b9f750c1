//! Builds and work items of a project.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use keygate_core::model::{Project, WorkItem};
use keygate_core::projects::{self, BuildOrder, RequestedBuild};
use keygate_core::work_items;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::auth::BearerToken;
use super::error::ApiError;
use super::{iso, json_response, list};
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
            "/{org}/{project}/_apis/wit/workitems/{item}",
            get(get_work_item)
                .post(create_work_item)
                .fallback(super::other_method),
        )
}

fn build_json(base: &str, org: &str, project: &Project, requested: &RequestedBuild) -> Value {
    let (b, requested_by) = (&requested.build, &requested.requested_by);
    let mut v = json!({
        "id": b.id,
        "buildNumber": b.build_number,
        "status": b.status,
        "queueTime": iso(b.queue_time),
        "sourceBranch": b.source_branch,
        "definition": {"id": 1, "name": b.definition_name},
        "project": {"id": project.id, "name": project.name},
        "requestedFor": {"id": b.requested_for, "displayName": requested_by},
        "url": format!("{base}/{org}/{}/_apis/build/Builds/{}", project.id, b.id)
    });
    if !b.result.is_empty() {
        v["result"] = json!(b.result);
    }
    v
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
    Ok(json_response(
        StatusCode::OK,
        &list(values),
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
    Ok(json_response(
        StatusCode::OK,
        &value,
        bearer.api_version.as_deref(),
    ))
}

fn work_item_json(base: &str, org: &str, w: &WorkItem) -> Value {
    let fields: Value = serde_json::from_str(&w.fields_json).unwrap_or_else(|_| json!({}));
    json!({
        "id": w.id,
        "rev": w.rev,
        "fields": fields,
        "url": format!("{base}/{org}/_apis/wit/workItems/{}", w.id)
    })
}

/// `GET /{org}/{project}/_apis/wit/workitems/{id}` (vso.work).
async fn get_work_item(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path((org, project, item)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let access = bearer
        .require_project(&state, "vso.work", &org, &project)
        .await?;
    let w = work_items::work_item(&state.kg, &access, &item)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            message: format!(
                "TF401232: Work item {item} does not exist, or you do not have permissions to read it."
            ),
            type_key: "WorkItemUnauthorizedAccessException",
        })?;
    Ok(json_response(
        StatusCode::OK,
        &work_item_json(&state.base(), &access.org().name, &w),
        bearer.api_version.as_deref(),
    ))
}

#[derive(Deserialize)]
struct PatchOperation {
    op: String,
    path: String,
    value: Option<Value>,
}

/// `POST /{org}/{project}/_apis/wit/workitems/${type}` with `application/json-patch+json`
/// (vso.work_write): creates a work item from `add` operations on `/fields/...`.
async fn create_work_item(
    State(state): State<AppState>,
    bearer: BearerToken,
    headers: HeaderMap,
    Path((org, project, item)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let access = bearer
        .require_project(&state, "vso.work_write", &org, &project)
        .await?;
    let work_item_type = item
        .strip_prefix('$')
        .filter(|t| !t.is_empty() && t.len() <= 64)
        .ok_or_else(|| ApiError::BadRequest("The work item type must be given as ${type}.".into()))?
        .to_owned();
    let is_patch = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json-patch+json"));
    if !is_patch {
        return Err(ApiError::BadRequest(
            "Valid content types for this method are: application/json-patch+json.".into(),
        ));
    }
    let ops: Vec<PatchOperation> = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "The request body is not a valid JSON Patch document: {e}"
        ))
    })?;
    let mut fields = Map::new();
    for op in ops {
        let name = op
            .path
            .strip_prefix("/fields/")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "Unsupported path {}: only /fields/... can be set.",
                    op.path
                ))
            })?;
        match op.op.as_str() {
            "add" | "replace" => {
                fields.insert(name.to_owned(), op.value.unwrap_or(Value::Null));
            }
            other => {
                return Err(ApiError::BadRequest(format!(
                    "Unsupported operation {other} on a new work item."
                )))
            }
        }
    }
    let created = work_items::create_work_item(&state.kg, &access, work_item_type, fields).await?;
    Ok(json_response(
        StatusCode::OK,
        &work_item_json(&state.base(), &access.org().name, &created),
        bearer.api_version.as_deref(),
    ))
}
