//! What `keygate serve` does before it serves, for operators and test suites: seed the database,
//! switch on the test emulator (loopback only, with a banner), and serve `/metrics` on a listener
//! of its own.

use anyhow::Context;
use keygate_core::audit::Origin;
use keygate_server::emulator::Emulator;
use keygate_server::{serve_metrics, AppState};
use tokio::net::TcpListener;

use crate::commands::serve::shutdown_signal;
use crate::operations::{emulator_banner, is_loopback, OperationsArgs};
use crate::settings::Settings;

/// Applies the seed file, the emulator switches and the metrics listener to `state`.
pub(super) async fn prepare(
    settings: &Settings,
    ops: &OperationsArgs,
    state: AppState,
) -> anyhow::Result<AppState> {
    if ops.emulator {
        anyhow::ensure!(
            is_loopback(&settings.listen),
            "--emulator serves only on a loopback address (127.0.0.1, ::1, localhost), not {}",
            settings.listen
        );
    }
    let mut seeded_emails = Vec::new();
    if let Some(path) = &ops.seed {
        let file = crate::seed::load(path)?;
        let kg = state.kg.acting_as(Origin::default());
        let seeded = crate::seed::apply(&kg, &file).await?;
        tracing::info!(created = seeded.created, seed = %path.display(), "seed file applied");
        for (app, secret) in &seeded.minted_secrets {
            println!("Seeded app {app}: client secret (shown once): {secret}");
        }
        seeded_emails = seeded.emails;
    }
    let state = if ops.emulator {
        eprintln!(
            "{}",
            emulator_banner(&settings.listen, ops.auto_approve, seeded_emails.len())
        );
        state.with_emulator(Emulator {
            auto_approve: ops.auto_approve,
            passwordless: seeded_emails.into_iter().collect(),
        })
    } else {
        state
    };
    let state = if settings.metrics_public {
        tracing::info!("serving /metrics on the public listener (--metrics-public)");
        state.with_public_metrics()
    } else {
        state
    };
    let Some(metrics_listen) = &settings.metrics_listen else {
        return Ok(state);
    };
    let listener = TcpListener::bind(metrics_listen)
        .await
        .with_context(|| format!("could not listen on {metrics_listen} for metrics"))?;
    tracing::info!(metrics_listen = %metrics_listen, "serving /metrics on its own listener");
    let served = state.clone();
    tokio::spawn(async move {
        if let Err(e) = serve_metrics(listener, served, shutdown_signal()).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    Ok(state)
}
