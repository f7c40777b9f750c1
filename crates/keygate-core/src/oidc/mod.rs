//! OpenID Connect (Core 1.0) on top of the standard code flow: ID tokens minted beside the
//! tokens of a grant, and the claims a user's record gives by scope (ID token and UserInfo).
//!
//! What a sign-in needs at the token endpoint (`nonce`, `auth_time`, `sid`, the `client_id` as
//! sent) rides inside the signed code and refresh token ([`OidcContext`]), so no table changes.

pub mod claims;
pub mod id_token;
pub mod logout;
pub mod prompt;
pub mod userinfo;

pub use crate::credentials::OidcContext;
pub use claims::user_claims;
pub use id_token::{mint_id_token, IdTokenClaims};
pub use userinfo::{userinfo, UserInfoError};

/// The scope that makes an authorization request an OpenID Connect one.
pub const OPENID_SCOPE: &str = "openid";
