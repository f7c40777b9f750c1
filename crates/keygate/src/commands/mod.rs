//! Subcommand dispatch and what the subcommands share.

mod accounts;
mod apps;
mod demo;
mod keys;
mod serve;

use std::sync::Arc;

use keygate_core::{Keygate, SystemClock};
use keygate_server::{build_state, ServerOptions};

use crate::cli::{Cli, Command, DbArgs, ServeArgs};
use crate::settings;

/// Runs the chosen subcommand.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(*args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::User(c) => accounts::user(c).await,
        Command::Org(c) => accounts::org(c).await,
        Command::Project(c) => accounts::project(c).await,
        Command::App(c) => apps::run(c).await,
        Command::Keys(c) => keys::run(c).await,
    }
}

/// The use-case context an admin command runs against: the database and settings of `db`.
pub async fn context(db: &DbArgs) -> anyhow::Result<Keygate> {
    let args = ServeArgs {
        listen: None,
        public_url: None,
        db: db.clone(),
        log_format: None,
        access_token_lifetime: None,
        refresh_token_lifetime: None,
        code_lifetime: None,
        client_secret_lifetime: None,
        session_lifetime: None,
        allow_http_callbacks: None,
        hardening: Default::default(),
        require_pkce: None,
        signing_algorithm: None,
        key_publish_ahead: None,
    };
    let s = settings::resolve(&args)?;
    crate::hardening::install_master_key(&s.hardening)?;
    let store = crate::storage::open(&s.database_url).await?;
    let state = build_state(
        store,
        ServerOptions {
            public_url: s.public_url,
            lifetimes: s.lifetimes,
            policy: s.policy,
            clock: Arc::new(SystemClock),
        },
    )
    .await?;
    Ok(state.kg)
}
