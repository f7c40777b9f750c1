//! Keygate's domain: accounts, apps, authorizations, credentials and scopes, and the use cases
//! (sign in, register, authorize, exchange, refresh, revoke) written once over the [`Store`] trait.
//!
//! Nothing here speaks HTTP or SQL: the server crate turns wire requests into calls on these use
//! cases, and each storage backend implements [`Store`].

pub mod accounts;
pub mod admin;
pub mod apps;
pub mod audit;
pub mod authorizations;
pub mod bearer;
pub mod client_cache;
pub mod clock;
pub mod config;
pub mod context;
pub mod credentials;
pub mod dump;
pub mod ids;
pub mod keys;
pub mod model;
pub mod oauth;
pub mod password;
pub mod scopes;
pub mod secrets;
pub mod store;
pub mod user_cache;
pub mod validate;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::Lifetimes;
pub use context::{Keygate, Policy};
pub use store::{Store, StoreError};
