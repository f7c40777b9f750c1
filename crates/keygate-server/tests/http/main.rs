//! HTTP tests: the real server on a random loopback port, a real SQLite file per test, and a real
//! HTTP client.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly at the line that broke"
)]

mod api;
mod apps_pages;
mod audit;
mod authorize;
mod backend;
mod client_credentials;
mod device_grant;
mod discovery;
mod emulator;
mod entra;
mod helpers;
mod hook_delivery;
mod hooks;
mod introspection;
mod limited_app;
mod limits;
mod metrics;
mod negotiation;
mod oidc;
mod oidc_authorize;
mod oidc_helpers;
mod oidc_logout;
mod page_markup;
mod parser_properties;
mod public_clients;
mod rate_limits;
mod registration_api;
mod secret_slots;
mod security_bcp;
mod security_headers;
mod signin;
mod standard_helpers;
mod standard_token;
mod strict_parameters;
mod token;
mod work_items;
