//! Who a token belongs to: the profile, connection data and the user's organizations.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `GET /_apis/profile/profiles/me`: who the token belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    /// The name to show.
    #[serde(default)]
    pub display_name: String,
    /// A stable public alias.
    #[serde(default)]
    pub public_alias: String,
    /// The user's email address.
    #[serde(default)]
    pub email_address: String,
    /// Revision of the core attributes.
    #[serde(default)]
    pub core_revision: i64,
    /// When the profile was made (ISO 8601).
    #[serde(default)]
    pub time_stamp: String,
    /// The user's id (a GUID); pass it to the accounts call.
    pub id: String,
    /// Revision of the profile.
    #[serde(default)]
    pub revision: i64,
}

/// `GET /_apis/accounts?memberId=`: an organization the user belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// The organization's id.
    #[serde(default)]
    pub account_id: String,
    /// The organization's URL.
    #[serde(default)]
    pub account_uri: String,
    /// The organization's name, used in API paths.
    pub account_name: String,
    /// Always empty here.
    #[serde(default)]
    pub properties: Value,
}

/// An identity as connection data names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// The user's id.
    pub id: String,
    /// `Keygate.Identity;{email}`.
    #[serde(default)]
    pub descriptor: String,
    /// The Graph subject descriptor.
    #[serde(default)]
    pub subject_descriptor: String,
    /// The name to show.
    #[serde(default)]
    pub provider_display_name: String,
    /// Whether the identity is active.
    #[serde(default)]
    pub is_active: bool,
    /// `{"Account": {"$type": "System.String", "$value": email}}`.
    #[serde(default)]
    pub properties: Value,
    /// Always 2.
    #[serde(default)]
    pub resource_version: i64,
    /// Always 0.
    #[serde(default)]
    pub meta_type_id: i64,
}

/// An access mapping of the location service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessMapping {
    /// For people.
    #[serde(default)]
    pub display_name: String,
    /// `PublicAccessMapping`.
    #[serde(default)]
    pub moniker: String,
    /// The base URL.
    #[serde(default)]
    pub access_point: String,
}

/// Where the location service says it is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LocationServiceData {
    /// All zeros here.
    #[serde(default)]
    pub service_owner: String,
    /// `PublicAccessMapping`.
    #[serde(default)]
    pub default_access_mapping_moniker: String,
    /// The one public mapping.
    #[serde(default)]
    pub access_mappings: Vec<AccessMapping>,
}

/// `GET [/{org}]/_apis/connectionData`: the SDKs' `connect()`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionData {
    /// The token's user.
    pub authenticated_user: Identity,
    /// The same user.
    pub authorized_user: Identity,
    /// The server's instance id.
    #[serde(default)]
    pub instance_id: String,
    /// `hosted`.
    #[serde(default)]
    pub deployment_type: String,
    /// Where the server is reached.
    #[serde(default)]
    pub location_service_data: Option<LocationServiceData>,
}
