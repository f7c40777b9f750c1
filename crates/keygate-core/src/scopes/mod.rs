//! The scope catalogue (compiled in once) and scope sets closed under implication (protocol §6).

mod areas;
mod catalogue;
mod scope_set;

pub use catalogue::{catalogue, Availability, Catalogue, ScopeInfo};
pub use scope_set::{ScopeError, ScopeSet};

/// The pseudo-scope added to an authorization code's `scp`, so a code is never taken for an access token.
pub const AUTHORIZATION_GRANT_SCOPE: &str = "vso.authorization_grant";
