//! The OAuth use cases: authorize and consent (protocol §3), the token endpoint (protocol §4).

pub mod authorize;
pub mod client;
pub mod client_assertion;
pub mod client_credentials;
pub mod device;
pub mod device_verification;
pub mod introspect;
pub mod pkce;
pub mod redirect;
pub mod revoke;
pub mod token;
mod token_error;
mod token_error_rfc;
pub mod user_code;

pub use token_error::TokenError;
