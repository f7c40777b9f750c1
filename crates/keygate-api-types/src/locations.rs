//! Resource-location negotiation: the `OPTIONS` list and `ResourceAreas`.

use serde::{Deserialize, Serialize};

/// One entry of the answer to `OPTIONS {collection}/_apis[/{area}]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResourceLocation {
    /// The location id the SDKs look an API up by.
    pub id: String,
    /// Its area (`core`, `wit`, ...).
    pub area: String,
    /// What the SDKs put in place of `{resource}`.
    pub resource_name: String,
    /// The route relative to the collection URL.
    pub route_template: String,
    /// The newest `-preview.n` resource version.
    pub resource_version: u32,
    /// The oldest api-version served.
    pub min_version: String,
    /// The newest api-version served.
    pub max_version: String,
    /// The newest released api-version.
    pub released_version: String,
}

/// Where an area is served (`GET {collection}/_apis/ResourceAreas[/{areaId}]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceAreaInfo {
    /// The area's id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// The base URL that serves it, ending in `/`.
    pub location_url: String,
}
