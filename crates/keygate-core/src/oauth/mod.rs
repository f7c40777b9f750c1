//! The OAuth use cases: authorize and consent (protocol §3), the token endpoint (protocol §4).

pub mod authorize;
pub mod pkce;
pub mod token;
mod token_error;

pub use token_error::TokenError;
