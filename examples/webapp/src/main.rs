//! `keygate-webapp`: run the sample web app (see `--help`).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use keygate_webapp::Settings;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keygate-webapp: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let settings = Settings::parse();
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).try_init();
    let listener = std::net::TcpListener::bind(&settings.listen)
        .with_context(|| format!("could not listen on {}", settings.listen))?;
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        stopper.graceful_shutdown(Some(Duration::from_secs(5)));
    });
    let home = url::Url::parse(&settings.callback_url)
        .map(|u| format!("{}://{}/", u.scheme(), u.authority()))
        .unwrap_or_else(|_| format!("https://{}/", settings.listen));
    println!(
        "The sample web app is serving https on {} (self-signed certificate).\nOpen {home} and press Authorize. Ctrl-C stops it.",
        settings.listen
    );
    keygate_webapp::serve(&settings, listener, handle).await?;
    Ok(())
}
