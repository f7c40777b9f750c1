//! What Keygate's integration tests share, written once: free ports, `keygate` processes started
//! from a binary path the test passes in (only the binary crate's own tests see
//! `CARGO_BIN_EXE_keygate`), the admin CLI with JSON output, the sign-in, consent and token flows
//! over a real HTTP client, and an in-process server for the SDK and web-app tests.
//!
//! Every helper panics with a readable message when the step it performs fails: the caller is a
//! test, and the failing line is what it needs to see.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test support fails the test loudly at the step that broke"
)]

pub mod cli;
pub mod flows;
pub mod html;
pub mod in_process;
pub mod process;
pub mod tools;
pub mod upgrade;

pub use cli::{ok_json, refused, sqlite_url, Cli};
pub use flows::{
    authorize, authorize_as, azure_token_request, browser, csrf, exchange, refresh, sign_in,
    standard_token_request, status, time_until_all_refuse, time_until_token_refused, tokens,
    tokens_from,
};
pub use html::{field, hidden_fields};
pub use process::{free_port, wait_ready, wait_until_answers, Process, Server};
pub use tools::{in_ci, python_venv, run, tools_present};

/// The callback URL the tests register apps with (the demo app's).
pub const CALLBACK: &str = "https://localhost:5001/oauth/callback";
/// The seeded user's email.
pub const EMAIL: &str = "ana@example.com";
/// The seeded user's password.
pub const PASSWORD: &str = "long enough";
/// The seeded organization.
pub const ORG: &str = "fabrikam";
/// The seeded organization's project.
pub const PROJECT: &str = "Fabrikam-Fiber";
/// The scopes the multi-process tests register and ask for.
pub const SCOPES: &str = "vso.profile vso.project";
/// The REST path every bearer check in the tests uses.
pub const ME: &str = "/_apis/profile/profiles/me";
