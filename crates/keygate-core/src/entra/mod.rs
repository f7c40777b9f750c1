//! Microsoft Entra ID, as an app that moved off Azure DevOps OAuth sees it: the tenant this
//! deployment is, the `{resource}/{permission}` scopes, the token shapes (a v1 access token for
//! the Azure DevOps resource, a v2 ID token, `client_info`) and the `AADSTS` error codes. The
//! grants themselves are the ones every flavour shares (`crate::oauth`); this module translates.

pub mod authorize;
pub mod client;
pub mod errors;
pub mod grants;
pub mod scopes;
pub mod tenant;
pub mod tokens;

pub use errors::{EntraError, EntraErrorKind};
pub use scopes::{EntraScopes, ScopeRequest};
pub use tenant::{Tenant, TenantMatch};

/// The Azure DevOps resource's application id: the audience of every Entra access token here.
pub const AZURE_DEVOPS_RESOURCE: &str = "499b84ac-1321-427f-aa17-267ca6975798";

/// The same resource in its URI form, which Entra accepts as well.
pub const AZURE_DEVOPS_RESOURCE_URI: &str = "https://app.vssps.visualstudio.com";
