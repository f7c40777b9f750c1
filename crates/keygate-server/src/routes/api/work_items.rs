//! Work items: read one or a batch, create (`POST`/`PATCH .../workitems/${type}`), update
//! (`PATCH .../workitems/{id}` with JSON Patch; `X-HTTP-Method-Override: PATCH` on a POST means
//! PATCH), and flat WIQL queries.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use keygate_api_types as wire;
use keygate_core::directory::{self, ProjectAccess};
use keygate_core::model::WorkItem;
use keygate_core::work_items::{self, patch, WorkItemError, MAX_BATCH};
use serde::Deserialize;

use super::auth::BearerToken;
use super::error::ApiError;
use super::{iso, list, typed_response};
use crate::state::AppState;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/{org}/{project}/_apis/wit/workitems/{item}",
            get(get_work_item)
                .post(post_work_item)
                .patch(patch_work_item)
                .fallback(super::other_method),
        )
        .route(
            "/{org}/_apis/wit/workitems/{item}",
            get(get_org_work_item)
                .post(post_org_work_item)
                .patch(patch_org_work_item)
                .fallback(super::other_method),
        )
        .route(
            "/{org}/_apis/wit/workitems",
            get(list_org_work_items).fallback(super::other_method),
        )
        .route(
            "/{org}/{project}/_apis/wit/workitems",
            get(list_project_work_items).fallback(super::other_method),
        )
        .route(
            "/{org}/_apis/wit/wiql",
            post(query_org).fallback(super::other_method),
        )
        .route(
            "/{org}/{project}/_apis/wit/wiql",
            post(query_project).fallback(super::other_method),
        )
        .route(
            "/{org}/{project}/{team}/_apis/wit/wiql",
            post(query_team).fallback(super::other_method),
        )
}

/// The work item's URL: organization-level, as the hosted service writes it.
fn work_item_url(base: &str, org: &str, id: i64) -> String {
    format!("{base}/{org}/_apis/wit/workItems/{id}")
}

fn work_item_json(base: &str, org: &str, w: &WorkItem, only: Option<&[String]>) -> wire::WorkItem {
    let mut fields = work_items::fields_of(w);
    if let Some(only) = only {
        fields.retain(|k, _| only.iter().any(|f| f.eq_ignore_ascii_case(k)));
    }
    let url = work_item_url(base, org, w.id);
    wire::WorkItem {
        id: w.id,
        rev: w.rev,
        fields,
        links: wire::SelfLink {
            self_: wire::Link { href: url.clone() },
        },
        url,
    }
}

fn respond(state: &AppState, bearer: &BearerToken, org: &str, w: &WorkItem) -> Response {
    typed_response(
        StatusCode::OK,
        &work_item_json(&state.base(), org, w, None),
        bearer.api_version.as_deref(),
    )
}

fn not_found(item: &str) -> ApiError {
    WorkItemError::NotFound(item.chars().take(32).collect()).into()
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
        .ok_or_else(|| not_found(&item))?;
    Ok(respond(&state, &bearer, &access.org().name, &w))
}

/// The organization's work item `item`, and the member's access to its project.
async fn org_work_item(
    state: &AppState,
    bearer: &BearerToken,
    scope: &str,
    org: &str,
    item: &str,
) -> Result<(ProjectAccess, WorkItem), ApiError> {
    let access = bearer.require_org(state, scope, org).await?;
    let id = item.parse::<i64>().map_err(|_| not_found(item))?;
    let w = work_items::work_items(&state.kg, &access, &[id])
        .await?
        .pop()
        .ok_or_else(|| not_found(item))?;
    let access = directory::project_of(&state.kg, access, &w.project_id.to_string()).await?;
    Ok((access, w))
}

/// `GET /{org}/_apis/wit/workitems/{id}` (vso.work): where a work item's `url` leads.
async fn get_org_work_item(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path((org, item)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (access, w) = org_work_item(&state, &bearer, "vso.work", &org, &item).await?;
    Ok(respond(&state, &bearer, &access.org().name, &w))
}

/// `PATCH /{org}/_apis/wit/workitems/{id}` (vso.work_write).
async fn patch_org_work_item(
    State(state): State<AppState>,
    bearer: BearerToken,
    headers: HeaderMap,
    Path((org, item)): Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (access, _) = org_work_item(&state, &bearer, "vso.work_write", &org, &item).await?;
    let ops = patch_document(&headers, &body)?;
    let updated = work_items::update_work_item(&state.kg, &access, &item, &ops).await?;
    Ok(respond(&state, &bearer, &access.org().name, &updated))
}

/// The JSON Patch body, which must say `application/json-patch+json` (parameters such as
/// `charset` allowed).
fn patch_document(headers: &HeaderMap, body: &[u8]) -> Result<Vec<patch::Operation>, ApiError> {
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
    Ok(patch::parse(body).map_err(WorkItemError::from)?)
}

/// Whether a POST carries `X-HTTP-Method-Override: PATCH`.
fn overrides_to_patch(headers: &HeaderMap) -> bool {
    headers
        .get("x-http-method-override")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("PATCH"))
}

/// `POST /{org}/_apis/wit/workitems/{id}` with `X-HTTP-Method-Override: PATCH` updates it; any
/// other POST there is not served.
async fn post_org_work_item(
    state: State<AppState>,
    bearer: BearerToken,
    headers: HeaderMap,
    path: Path<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !overrides_to_patch(&headers) {
        bearer.require(&state, "vso.work_write", Some(&path.0 .0))?;
        return Ok(StatusCode::METHOD_NOT_ALLOWED.into_response());
    }
    patch_org_work_item(state, bearer, headers, path, body).await
}

/// `POST .../workitems/${type}` creates; a POST carrying `X-HTTP-Method-Override: PATCH` is a
/// PATCH.
async fn post_work_item(
    state: State<AppState>,
    bearer: BearerToken,
    headers: HeaderMap,
    path: Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !overrides_to_patch(&headers) && !path.0 .2.starts_with('$') {
        bearer.require(&state, "vso.work_write", Some(&path.0 .0))?;
        return Ok(StatusCode::METHOD_NOT_ALLOWED.into_response());
    }
    patch_work_item(state, bearer, headers, path, body).await
}

/// `PATCH .../workitems/${type}` (vso.work_write) creates a work item of that type (Sentry's
/// way); `PATCH .../workitems/{id}` updates one.
async fn patch_work_item(
    State(state): State<AppState>,
    bearer: BearerToken,
    headers: HeaderMap,
    Path((org, project, item)): Path<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let access = bearer
        .require_project(&state, "vso.work_write", &org, &project)
        .await?;
    let ops = patch_document(&headers, &body)?;
    let w = match item.strip_prefix('$') {
        Some(work_item_type) => {
            work_items::create_work_item(&state.kg, &access, work_item_type, &ops).await?
        }
        None => work_items::update_work_item(&state.kg, &access, &item, &ops).await?,
    };
    Ok(respond(&state, &bearer, &access.org().name, &w))
}

/// `ids=1,2,3` (required, at most 200) and `fields=a,b` (optional) of a batch read.
fn batch_query(query: Option<&str>) -> Result<(Vec<i64>, Option<Vec<String>>), ApiError> {
    let mut ids = None;
    let mut fields = None;
    for (k, v) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        if k.eq_ignore_ascii_case("ids") {
            let parsed: Result<Vec<i64>, _> = v
                .split(',')
                .filter(|s| !s.trim().is_empty())
                .map(|s| s.trim().parse::<i64>())
                .collect();
            ids = Some(parsed.map_err(|_| {
                ApiError::BadRequest(
                    "The ids parameter must be a comma-separated list of work item ids.".into(),
                )
            })?);
        } else if k.eq_ignore_ascii_case("fields") {
            fields = Some(
                v.split(',')
                    .map(|f| f.trim().to_owned())
                    .filter(|f| !f.is_empty())
                    .collect(),
            );
        }
    }
    let ids = ids
        .filter(|i| !i.is_empty())
        .ok_or_else(|| ApiError::BadRequest("Value cannot be null. Parameter name: ids".into()))?;
    if ids.len() > MAX_BATCH {
        return Err(ApiError::BadRequest(format!(
            "VS402337: The number of work items requested exceeds the limit of {MAX_BATCH}."
        )));
    }
    Ok((ids, fields))
}

async fn list_batch(
    state: &AppState,
    bearer: &BearerToken,
    org: &str,
    query: Option<&str>,
) -> Result<Response, ApiError> {
    let access = bearer.require_org(state, "vso.work", org).await?;
    let (ids, fields) = batch_query(query)?;
    let base = state.base();
    let values = work_items::work_items(&state.kg, &access, &ids)
        .await?
        .iter()
        .map(|w| work_item_json(&base, &access.org().name, w, fields.as_deref()))
        .collect();
    Ok(typed_response(
        StatusCode::OK,
        &list(values),
        bearer.api_version.as_deref(),
    ))
}

/// `GET /{org}/_apis/wit/workitems?ids=1,2,3[&fields=...]` (vso.work).
async fn list_org_work_items(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path(org): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    list_batch(&state, &bearer, &org, query.as_deref()).await
}

/// `GET /{org}/{project}/_apis/wit/workitems?ids=...` (vso.work): the same batch read, as the
/// SDKs address it with a project.
async fn list_project_work_items(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path((org, project)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    bearer
        .require_project(&state, "vso.work", &org, &project)
        .await?;
    list_batch(&state, &bearer, &org, query.as_deref()).await
}

#[derive(Deserialize)]
struct WiqlRequest {
    query: String,
}

/// `$top` of a WIQL request; the hosted service's cap otherwise.
fn top(query: Option<&str>) -> usize {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case("$top"))
        .and_then(|(_, v)| v.parse().ok())
        .map_or(20_000, |t: usize| t.min(20_000))
}

async fn run_query(
    state: &AppState,
    bearer: &BearerToken,
    org: &str,
    project: Option<&str>,
    query: Option<&str>,
    body: &[u8],
) -> Result<Response, ApiError> {
    let (access, project_name) = match project {
        Some(p) => {
            let access = bearer.require_project(state, "vso.work", org, p).await?;
            let name = access.project().name.clone();
            (
                bearer.require_org(state, "vso.work", org).await?,
                Some(name),
            )
        }
        None => (bearer.require_org(state, "vso.work", org).await?, None),
    };
    let request: WiqlRequest = serde_json::from_slice(body).map_err(|e| {
        ApiError::BadRequest(format!("The request body is not a valid WIQL query: {e}"))
    })?;
    let result = work_items::query(
        &state.kg,
        &access,
        project_name.as_deref(),
        &request.query,
        top(query),
    )
    .await?;
    let base = state.base();
    let org = &access.org().name;
    let field = |f: &String| wire::FieldReference {
        reference_name: f.clone(),
        name: f.clone(),
    };
    let body = wire::WorkItemQueryResult {
        query_type: "flat".into(),
        query_result_type: "workItem".into(),
        as_of: iso(state.kg.clock.now()),
        columns: result.query.columns.iter().map(field).collect(),
        sort_columns: result
            .query
            .order
            .iter()
            .map(|(f, ascending)| wire::SortColumn {
                field: field(f),
                descending: !ascending,
            })
            .collect(),
        work_items: result
            .ids
            .iter()
            .map(|id| wire::WorkItemReference {
                id: *id,
                url: work_item_url(&base, org, *id),
            })
            .collect(),
    };
    Ok(typed_response(
        StatusCode::OK,
        &body,
        bearer.api_version.as_deref(),
    ))
}

/// `POST /{org}/_apis/wit/wiql` (vso.work): a query over the organization; `@project` unset.
async fn query_org(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path(org): Path<String>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    run_query(&state, &bearer, &org, None, query.as_deref(), &body).await
}

/// `POST /{org}/{project}/_apis/wit/wiql` (vso.work).
async fn query_project(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path((org, project)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    run_query(
        &state,
        &bearer,
        &org,
        Some(&project),
        query.as_deref(),
        &body,
    )
    .await
}

/// `POST /{org}/{project}/{team}/_apis/wit/wiql` (vso.work): teams are not modelled, so a team's
/// query is its project's.
async fn query_team(
    State(state): State<AppState>,
    bearer: BearerToken,
    Path((org, project, _team)): Path<(String, String, String)>,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Result<Response, ApiError> {
    run_query(
        &state,
        &bearer,
        &org,
        Some(&project),
        query.as_deref(),
        &body,
    )
    .await
}
