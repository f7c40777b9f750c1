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
mod client_cache;
pub mod clock;
pub mod config;
pub mod context;
pub mod credentials;
pub mod data;
pub mod directory;
pub mod dump;
pub mod entra;
pub mod follow;
pub mod hooks;
pub mod ids;
pub mod keys;
pub mod model;
pub mod oauth;
pub mod oidc;
pub mod password;
pub mod projects;
pub mod scopes;
pub mod secrets;
pub mod sign_in_throttle;
pub mod store;
mod user_cache;
pub mod validate;
pub mod work_items;
pub mod x509;

pub use clock::{Clock, ManualClock, SystemClock};
pub use config::Lifetimes;
pub use context::{
    IntrospectionMode, Keygate, OpenError, Policy, Settings, UnknownIntrospectionMode,
};
pub use data::Data;
pub use store::{Store, StoreError};
