//! `keygate serve`: run the server until SIGINT or SIGTERM, letting in-flight requests finish.

use std::sync::Arc;

use anyhow::Context;
use keygate_core::SystemClock;
use keygate_server::{build_state, serve, serve_tls, AppState, ServerOptions};
use tokio::net::TcpListener;
use tracing_appender::non_blocking::{NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;

use crate::cli::{LogFormat, ServeArgs};
use crate::settings::{resolve, Settings};
use crate::storage;

/// Log lines queued for stdout before a request that logs waits for room.
const LOG_QUEUE_LINES: usize = 65_536;
/// Bytes of log lines the writer thread gathers before writing them out in one call.
const LOG_BUFFER_BYTES: usize = 64 * 1024;

/// Sets up structured logging; `RUST_LOG` refines the default `info` level.
///
/// Lines are written to stdout by a thread of their own: a request that logs (every issued token
/// does) only queues its line, and never waits for the terminal or pipe. The queue is bounded
/// ([`LOG_QUEUE_LINES`]) and not lossy: should stdout fall that far behind, the requests that log
/// wait for room rather than lines being dropped, since some are security warnings (a reused
/// code or refresh token). The thread writes every line it finds queued with one call and flushes
/// whenever the queue is empty, so under load stdout costs a write per burst rather than per
/// line, and a lone line still appears at once. Keep the returned guard until exit: dropping it
/// writes out the queue.
#[must_use = "dropping the guard stops the log writer"]
pub(super) fn init_logging(format: LogFormat) -> WorkerGuard {
    let (stdout, guard) = NonBlockingBuilder::default()
        .buffered_lines_limit(LOG_QUEUE_LINES)
        .lossy(false)
        .thread_name("keygate-log")
        .finish(std::io::BufWriter::with_capacity(
            LOG_BUFFER_BYTES,
            std::io::stdout(),
        ));
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(stdout);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
    guard
}

/// Resolves when the process is asked to stop.
pub(super) async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down; letting in-flight requests finish");
}

/// Opens the store and builds the server state for `settings`.
pub(super) async fn prepare(settings: &Settings) -> anyhow::Result<AppState> {
    let store = storage::open_with(&settings.database_url, &settings.pool).await?;
    let source =
        crate::master_key::install(&settings.hardening, &settings.database_url, &store).await?;
    crate::master_key::announce(&source);
    let state = build_state(
        store,
        ServerOptions {
            public_url: settings.public_url.clone(),
            lifetimes: settings.lifetimes,
            policy: settings.policy.clone(),
            clock: Arc::new(SystemClock),
        },
    )
    .await?
    .with_limits(settings.hardening.limits.clone());
    check_signing_algorithm(&state.kg, settings.configured_signing_algorithm).await?;
    Ok(state)
}

/// A configured signing algorithm must be the one the database signs access tokens with, or the
/// one its published next key will: a server never signs with another algorithm than it was
/// told to without saying so. (The first key is made with the configured algorithm; a database
/// an admin command made first, or a setting changed later, can differ.)
async fn check_signing_algorithm(
    kg: &keygate_core::Keygate,
    configured: Option<keygate_core::keys::SigningAlgorithm>,
) -> anyhow::Result<()> {
    let Some(configured) = configured else {
        return Ok(());
    };
    let signing = kg.credentials.keys().active_algorithm();
    if signing == configured {
        return Ok(());
    }
    let pending = keygate_core::keys::rotation::stored_keys(kg)
        .await?
        .iter()
        .any(|k| {
            k.state == "next"
                && k.purpose == keygate_core::model::KEY_PURPOSE_ACCESS
                && k.algorithm == configured.as_str()
        });
    if pending {
        tracing::warn!(%signing, %configured, "the database signs with {signing} until its published {configured} key takes over");
        return Ok(());
    }
    anyhow::bail!(
        "the signing algorithm is set to {configured}, but this database signs access tokens with {signing}. \
         Switch the database with `keygate keys rotate --algorithm {configured}` (the {signing} key stays \
         published until its tokens expire), or remove the setting (--signing-algorithm, \
         KEYGATE_SIGNING_ALGORITHM or signing_algorithm in the config file) to keep {signing}."
    )
}

/// Binds and serves `state` until shutdown.
pub(super) async fn listen_and_serve(
    settings: &Settings,
    state: AppState,
    listener: TcpListener,
) -> anyhow::Result<()> {
    tracing::info!(listen = %settings.listen, public_url = %settings.public_url, tls = settings.hardening.tls.is_some(), "keygate is serving");
    let served = match &settings.hardening.tls {
        Some(files) => {
            serve_tls(listener, crate::tls::load(files)?, state, shutdown_signal()).await
        }
        None => serve(listener, state, shutdown_signal()).await,
    };
    served.context("the server stopped with an error")
}

/// `keygate serve`.
pub(super) async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let settings = resolve(&args)?;
    let _log_writer = init_logging(settings.log_format);
    let state = prepare(&settings).await?;
    let state = super::operations::prepare(&settings, &args.operations, state).await?;
    let listener = TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("could not listen on {}", settings.listen))?;
    listen_and_serve(&settings, state, listener).await
}
