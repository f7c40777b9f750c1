//! `keygate-device-cli`: a command-line tool that signs in with the device flow (RFC 8628): it
//! prints a code and a URL, waits while the person approves in any browser, then calls the REST
//! API with the token it got. Built on `keygate-client`; see `--help`.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use keygate_client::{ClientConfig, Endpoints, OAuthClient};

/// Signs in to Keygate with the device flow and shows who you are and your organizations.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Keygate's base URL (its `--public-url`).
    #[arg(long, env = "KEYGATE_URL", default_value = "http://127.0.0.1:8080")]
    keygate_url: String,
    /// The App ID of an app registered on Keygate (a public app needs nothing else).
    #[arg(long, env = "KEYGATE_APP_ID")]
    app_id: String,
    /// The app's Client Secret, for a confidential app.
    #[arg(long, env = "KEYGATE_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
    /// The scopes to ask for (space separated; a subset of the app's registered scopes).
    #[arg(long, default_value = "vso.profile")]
    scopes: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("keygate-device-cli: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let endpoints = Endpoints::keygate(&args.keygate_url)?;
    let config = ClientConfig::device(endpoints, &args.app_id, args.client_secret.as_deref())?
        .with_scopes(&args.scopes);
    let client = OAuthClient::new(config)?;

    let device = client
        .start_device_authorization()
        .await
        .context("could not start the device sign-in")?;
    println!(
        "To sign in, open {} and enter the code {}",
        device.verification_uri, device.user_code
    );
    if let Some(complete) = &device.verification_uri_complete {
        println!("(or open {complete})");
    }
    println!(
        "Waiting for you to approve (the code expires in {} minutes)...",
        device.expires_in / 60
    );

    let tokens = client
        .wait_for_device_token(&device)
        .await
        .context("the sign-in did not complete")?;
    let api = client.api(&tokens.access_token);
    let me = api.profile().await.context("could not read your profile")?;
    println!("Signed in as {} <{}>.", me.display_name, me.email_address);
    let orgs = api
        .accounts(&me.id)
        .await
        .context("could not list your organizations")?;
    if orgs.is_empty() {
        println!("You belong to no organization.");
    }
    for org in orgs {
        println!("Organization: {}", org.account_name);
    }
    Ok(())
}
