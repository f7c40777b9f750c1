//! Resource-location negotiation, which Microsoft's SDKs do before any real call: `OPTIONS
//! {collection}/_apis[/{area}]` lists where each API lives (by the location ids the SDKs' generated
//! clients look up), and `GET {collection}/_apis/ResourceAreas` says which base URL serves each
//! area. `{collection}` is the base URL or `{base}/{org}`; both answer.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, options};
use axum::Router;
use keygate_api_types::{ApiResourceLocation, Collection, ResourceAreaInfo};
use serde::Serialize;

use super::error::ApiError;
use super::typed_response;
use super::version::{self, MAX_VERSION, MIN_VERSION, RELEASED_VERSION};
use crate::state::AppState;

/// One API Keygate serves, as the SDKs' location table names it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Location {
    /// The location id the SDKs' generated clients look the API up by.
    pub(crate) id: &'static str,
    /// The area (`core`, `git`, `wit`, ...), as the hosted service spells it.
    pub(crate) area: &'static str,
    /// The resource name the SDKs put in place of `{resource}`.
    pub(crate) resource: &'static str,
    /// The route, relative to the collection URL; `{area}` and `{resource}` are filled by the SDK.
    pub(crate) route_template: &'static str,
    /// The resource version (the `n` of `-preview.n`) the SDKs may ask for.
    pub(crate) resource_version: u32,
}

/// Every endpoint Keygate serves under `/_apis`, by location id. The ids come from the SDKs'
/// generated clients (azure-devops-node-api's `*Api.ts`, azure-devops' `*_client.py`).
pub(crate) const LOCATIONS: &[Location] = &[
    Location {
        id: "e81700f7-3be2-46de-8624-2eb35882fcaa",
        area: "Location",
        resource: "ResourceAreas",
        route_template: "_apis/{resource}/{areaId}",
        resource_version: 1,
    },
    Location {
        id: "00d9565f-ed9c-4a06-9a50-00e7896ccab4",
        area: "Location",
        resource: "ConnectionData",
        route_template: "_apis/connectionData",
        resource_version: 1,
    },
    Location {
        id: "603fe2ac-9723-48b9-88ad-09305aa6c6e1",
        area: "core",
        resource: "projects",
        route_template: "_apis/{resource}/{*projectId}",
        resource_version: 4,
    },
    Location {
        id: "225f7195-f9c7-4d14-ab28-a83f7ff77e1f",
        area: "git",
        resource: "repositories",
        route_template: "{project}/_apis/{area}/{resource}/{repositoryId}",
        resource_version: 2,
    },
    Location {
        id: "0cd358e1-9217-4d94-8269-1c1ee6f93dcf",
        area: "build",
        resource: "builds",
        route_template: "{project}/_apis/{area}/{resource}/{buildId}",
        resource_version: 7,
    },
    Location {
        id: "72c7ddf8-2cdc-4f60-90cd-ab71c14a399b",
        area: "wit",
        resource: "workItems",
        route_template: "{project}/_apis/{area}/{resource}/{id}",
        resource_version: 3,
    },
    Location {
        id: "62d3d110-0047-428c-ad3c-4fe872c91c74",
        area: "wit",
        resource: "workItems",
        route_template: "{project}/_apis/{area}/{resource}/${type}",
        resource_version: 3,
    },
    Location {
        id: "1a9c53f7-f243-4447-b110-35ef023636e4",
        area: "wit",
        resource: "wiql",
        route_template: "{project}/{team}/_apis/{area}/{resource}/{id}",
        resource_version: 2,
    },
    Location {
        id: "f83735dc-483f-4238-a291-d45f6080a9af",
        area: "Profile",
        resource: "Profiles",
        route_template: "_apis/profile/{resource}/{id}",
        resource_version: 3,
    },
    Location {
        id: "fc50d02a-849f-41fb-8af1-0a5216103269",
        area: "hooks",
        resource: "Subscriptions",
        route_template: "_apis/{area}/{resource}/{subscriptionId}",
        resource_version: 1,
    },
    Location {
        id: "229a6a53-b428-4ffb-a835-e8f36b5b4b1e",
        area: "Account",
        resource: "Accounts",
        route_template: "_apis/{resource}",
        resource_version: 1,
    },
];

/// A resource area and whether it lives under an organization (`{base}/{org}/`) or at the base
/// URL (profile and accounts, which the hosted service serves from its identity host).
struct Area {
    id: &'static str,
    name: &'static str,
    per_org: bool,
}

/// The areas `ResourceAreas` names, with the ids the SDKs' `RESOURCE_AREA_ID`s use.
const AREAS: &[Area] = &[
    Area {
        id: "79134c72-4a58-4b42-976c-04e7115f32bf",
        name: "core",
        per_org: true,
    },
    Area {
        id: "4e080c62-fa21-4fbc-8fef-2a10a2b38049",
        name: "git",
        per_org: true,
    },
    Area {
        id: "965220d5-5bb9-42cf-8d67-9b146df2a5a4",
        name: "build",
        per_org: true,
    },
    Area {
        id: "5264459e-e5e0-4bd8-b118-0985e68a4ec5",
        name: "wit",
        per_org: true,
    },
    Area {
        id: "8ccfef3d-2b87-4e99-8ccb-66e343d2daa8",
        name: "Profile",
        per_org: false,
    },
    Area {
        id: "0d55247a-1c47-4462-9b1f-5e2125590ee6",
        name: "Account",
        per_org: false,
    },
];

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/_apis", options(list_locations).fallback(not_found))
        .route(
            "/_apis/{area}",
            options(list_area_locations).fallback(not_found),
        )
        .route("/{org}/_apis", options(list_locations).fallback(not_found))
        .route(
            "/{org}/_apis/{area}",
            options(list_org_area_locations).fallback(not_found),
        )
        .route("/_apis/resourceAreas", get(list_resource_areas))
        .route("/{org}/_apis/resourceAreas", get(list_org_resource_areas))
        .route("/_apis/resourceAreas/{area_id}", get(get_resource_area))
        .route(
            "/{org}/_apis/resourceAreas/{area_id}",
            get(get_org_resource_area),
        )
}

async fn not_found() -> StatusCode {
    StatusCode::NOT_FOUND
}

fn locations_of(area: Option<&str>) -> Collection<ApiResourceLocation> {
    let value = LOCATIONS
        .iter()
        .filter(|l| area.is_none_or(|a| a.eq_ignore_ascii_case(l.area)))
        .map(|l| ApiResourceLocation {
            id: l.id.into(),
            area: l.area.into(),
            resource_name: l.resource.into(),
            route_template: l.route_template.into(),
            resource_version: l.resource_version,
            min_version: MIN_VERSION.into(),
            max_version: format!("{}.{}", MAX_VERSION.0, MAX_VERSION.1),
            released_version: RELEASED_VERSION.into(),
        })
        .collect();
    Collection::of(value)
}

fn answer<T: Serialize>(value: &T, api_version: Option<&str>) -> Response {
    typed_response(StatusCode::OK, value, api_version)
}

fn respond_locations(
    uri: &Uri,
    headers: &HeaderMap,
    area: Option<&str>,
) -> Result<Response, ApiError> {
    let v = version::requested(uri, headers)?;
    Ok(answer(&locations_of(area), v.as_deref()))
}

/// `OPTIONS {collection}/_apis`: every location (the Python SDK asks once per base URL).
async fn list_locations(uri: Uri, headers: HeaderMap) -> Result<Response, ApiError> {
    respond_locations(&uri, &headers, None)
}

/// `OPTIONS /_apis/{area}`: the area's locations (the Node SDK asks once per area).
async fn list_area_locations(
    Path(area): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    respond_locations(&uri, &headers, Some(&area))
}

/// `OPTIONS /{org}/_apis/{area}`.
async fn list_org_area_locations(
    Path((_org, area)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    respond_locations(&uri, &headers, Some(&area))
}

fn area_info(area: &Area, base: &str, org: Option<&str>) -> ResourceAreaInfo {
    let location_url = match org.filter(|_| area.per_org) {
        Some(org) => format!("{base}/{org}/"),
        None => format!("{base}/"),
    };
    ResourceAreaInfo {
        id: area.id.into(),
        name: area.name.into(),
        location_url,
    }
}

fn resource_areas(state: &AppState, org: Option<&str>) -> Collection<ResourceAreaInfo> {
    let base = state.base();
    Collection::of(AREAS.iter().map(|a| area_info(a, &base, org)).collect())
}

/// `GET /_apis/ResourceAreas`: every area, served from this base URL.
async fn list_resource_areas(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let v = version::requested(&uri, &headers)?;
    Ok(answer(&resource_areas(&state, None), v.as_deref()))
}

/// `GET /{org}/_apis/ResourceAreas`: the organization's areas under `{base}/{org}/`, profile
/// and accounts at the base URL.
async fn list_org_resource_areas(
    State(state): State<AppState>,
    Path(org): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let v = version::requested(&uri, &headers)?;
    Ok(answer(&resource_areas(&state, Some(&org)), v.as_deref()))
}

/// The `hostId` of `GET /_apis/resourceAreas/{areaId}?hostId=`.
fn host_id(query: Option<&str>) -> Option<String> {
    form_urlencoded::parse(query?.as_bytes())
        .find(|(k, _)| k.eq_ignore_ascii_case("hostId"))
        .map(|(_, v)| v.into_owned())
}

async fn resource_area(
    state: &AppState,
    area_id: &str,
    org: Option<String>,
    host_id: Option<&str>,
) -> Result<ResourceAreaInfo, ApiError> {
    let area = AREAS
        .iter()
        .find(|a| a.id.eq_ignore_ascii_case(area_id))
        .ok_or_else(|| ApiError::NotFound {
            message: format!("No resource area with id {area_id} exists."),
            type_key: "ResourceAreaNotFoundException",
        })?;
    let org = match host_id {
        Some(host) => Some(
            keygate_core::directory::org_name_by_id(&state.kg, host)
                .await?
                .ok_or_else(|| ApiError::NotFound {
                    message: format!("No organization with host id {host} exists."),
                    type_key: "HostDoesNotExistException",
                })?,
        ),
        None => org,
    };
    Ok(area_info(area, &state.base(), org.as_deref()))
}

/// `GET /_apis/resourceAreas/{areaId}[?hostId={organizationId}]`: where an area is served; with
/// `hostId`, for that organization (how Sentry finds an organization's URL).
async fn get_resource_area(
    State(state): State<AppState>,
    Path(area_id): Path<String>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let v = version::requested(&uri, &headers)?;
    let info = resource_area(&state, &area_id, None, host_id(uri.query()).as_deref()).await?;
    Ok(answer(&info, v.as_deref()))
}

/// `GET /{org}/_apis/resourceAreas/{areaId}`.
async fn get_org_resource_area(
    State(state): State<AppState>,
    Path((org, area_id)): Path<(String, String)>,
    uri: Uri,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let v = version::requested(&uri, &headers)?;
    let info = resource_area(&state, &area_id, Some(org), host_id(uri.query()).as_deref()).await?;
    Ok(answer(&info, v.as_deref()))
}
