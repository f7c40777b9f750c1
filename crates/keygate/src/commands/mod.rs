//! Subcommand dispatch and what the subcommands share.

mod accounts;
mod admin_tokens;
mod apps;
mod audit;
mod db;
mod demo;
mod keys;
mod operations;
mod serve;
mod tenant;
mod tls;

use std::sync::Arc;

use keygate_core::{Keygate, Store, SystemClock};
use keygate_server::{build_state, ServerOptions};

use crate::cli::{Cli, Command, DbArgs, ServeArgs};
use crate::settings::{self, ConfigFile};

/// Runs the chosen subcommand.
pub(crate) async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(*args).await,
        Command::Demo(args) => demo::run(args).await,
        Command::User(c) => accounts::user(c).await,
        Command::Org(c) => accounts::org(c).await,
        Command::Project(c) => accounts::project(c).await,
        Command::App(c) => apps::run(c).await,
        Command::Audit(c) => audit::run(c).await,
        Command::AdminToken(c) => admin_tokens::run(c).await,
        Command::Keys(c) => keys::run(c).await,
        Command::Db(c) => db::run(c).await,
        Command::Tls(c) => tls::run(c),
        Command::Tenant(c) => tenant::run(c).await,
    }
}

/// Opens the database `db` names, with the pool settings its flags, environment and config file
/// ask for (as `serve` does), for a command that needs only the store.
pub(crate) async fn open_store(db: &DbArgs) -> anyhow::Result<Arc<dyn Store>> {
    let file = ConfigFile::load(db.config.as_deref())?;
    let pool = crate::db_pool::resolve(&db.pool, &file)?;
    crate::storage::open_with(&settings::database_url(db, &file), &pool).await
}

/// The use-case context an admin command runs against: the database and settings of `db`.
pub(crate) async fn context(db: &DbArgs) -> anyhow::Result<Keygate> {
    Ok(context_and_master_key(db).await?.0)
}

/// [`context`], and where its master key came from (for the commands that manage the key).
pub(crate) async fn context_and_master_key(
    db: &DbArgs,
) -> anyhow::Result<(Keygate, crate::master_key::MasterKeySource)> {
    let args = ServeArgs {
        db: db.clone(),
        // The first signing key an admin command makes has the algorithm the servers are told
        // to use (their flag is not on this command; the variable and config file are read).
        signing_algorithm: std::env::var("KEYGATE_SIGNING_ALGORITHM").ok(),
        tenant_id: std::env::var("KEYGATE_TENANT_ID")
            .ok()
            .and_then(|id| id.parse().ok()),
        tenant_domain: std::env::var("KEYGATE_TENANT_DOMAIN").ok(),
        ..ServeArgs::default()
    };
    let s = settings::resolve(&args)?;
    let store = crate::storage::open_with(&s.database_url, &s.pool).await?;
    let source = crate::master_key::install(&s.hardening, &s.database_url, &store).await?;
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
    // Everything an admin command changes is recorded as done at the command line.
    let kg = state.kg.acting_as(keygate_core::audit::Origin::cli());
    Ok((kg, source))
}
