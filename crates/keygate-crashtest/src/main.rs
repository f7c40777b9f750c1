//! Crash-safety driver (`scripts/crash-test.sh`): puts the release binary under concurrent code
//! exchanges and refreshes, SIGKILLs it at random moments, restarts it, and checks that
//!
//! - every refresh token a client last received (its response read in full) still refreshes;
//! - no code was redeemed twice (successes counted per code, and first refresh tokens counted
//!   per authorization in the database);
//! - `PRAGMA integrity_check` answers `ok` after every kill.
//!
//! Requests in flight at a kill are ambiguous: the server may have committed them and died
//! before answering. Each is retried after the restart and must come out one of two ways only:
//! committed (the retry is refused as a second use) or not committed (the retry succeeds).

mod client;
mod ledger;
mod load;
mod server;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::Parser;
use rand::Rng;
use tokio::sync::watch;

use crate::client::{
    browser, OAuthClient, Outcome, CALLBACK, CODE_ALREADY_USED, REFRESH_ALREADY_USED, SCOPES,
};
use crate::ledger::Ledger;
use crate::load::{record_exchange, worker, Phase, Shared};
use crate::server::Server;

/// Crash-test the keygate binary.
#[derive(Debug, Parser)]
struct Args {
    /// The keygate binary (a release build).
    #[arg(long)]
    keygate: PathBuf,
    /// How many times to SIGKILL and restart.
    #[arg(long, default_value_t = 6)]
    kills: u32,
    /// Concurrent clients.
    #[arg(long, default_value_t = 8)]
    workers: u64,
    /// Chains to keep before mostly refreshing.
    #[arg(long, default_value_t = 150)]
    max_chains: usize,
    /// Shortest load before a kill, in milliseconds.
    #[arg(long, default_value_t = 500)]
    min_load_ms: u64,
    /// Longest load before a kill, in milliseconds.
    #[arg(long, default_value_t = 4000)]
    max_load_ms: u64,
    /// Port to serve on.
    #[arg(long, default_value_t = 18765)]
    port: u16,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> anyhow::Result<bool> {
    let dir = tempfile::tempdir()?;
    let mut server = Server::new(&args.keygate, dir.path(), args.port);
    server.admin(
        &[
            "user",
            "create",
            "--email",
            "crash@keygate.test",
            "--name",
            "Crash",
            "--password-stdin",
        ],
        Some("crash-test-password\n"),
    )?;
    let app = server.admin(
        &[
            "app",
            "create",
            "--owner",
            "crash@keygate.test",
            "--name",
            "Crash",
            "--company",
            "Crash",
            "--website",
            "https://crash.example",
            "--callback-url",
            CALLBACK,
            "--scopes",
            SCOPES,
        ],
        None,
    )?;
    let app_id = app["app_id"].as_str().unwrap_or_default().to_owned();
    let secret = app["client_secret"].as_str().unwrap_or_default().to_owned();
    let http = browser()?;
    server.start(&http).await?;
    let client = OAuthClient::new(http.clone(), server.base(), app_id, secret);
    client
        .sign_in("crash@keygate.test", "crash-test-password")
        .await?;

    let shared = Arc::new(Shared {
        ledger: Mutex::new(Ledger::default()),
        active: Default::default(),
        max_chains: args.max_chains,
    });
    let (phase_tx, phase_rx) = watch::channel(Phase::Run);
    let workers: Vec<_> = (0..args.workers)
        .map(|i| {
            tokio::spawn(worker(
                client.clone(),
                shared.clone(),
                phase_rx.clone(),
                i + 1,
            ))
        })
        .collect();

    let mut integrity = Vec::new();
    for round in 1..=args.kills {
        let load = rand::thread_rng().gen_range(args.min_load_ms..=args.max_load_ms);
        tokio::time::sleep(Duration::from_millis(load)).await;
        server.kill()?;
        let _ = phase_tx.send(Phase::Pause);
        while shared.active.load(Ordering::SeqCst) > 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        shared.ledger().counts.kills += 1;
        let (check, forked) = server.check_database().await?;
        println!("kill {round} after {load} ms: integrity_check = {check}, authorizations with two first refresh tokens = {forked}");
        integrity.push((check.clone(), forked));
        server.start(&http).await?;
        resolve_and_verify(&client, &shared).await;
        let _ = phase_tx.send(Phase::Run);
    }
    let _ = phase_tx.send(Phase::Stop);
    for w in workers {
        let _ = w.await;
    }
    server.kill()?;
    let (check, forked) = server.check_database().await?;
    integrity.push((check, forked));
    let passed = report(&shared.ledger(), &integrity);
    Ok(passed)
}

/// After a restart: settle every ambiguous request, then refresh every chain's last token.
async fn resolve_and_verify(client: &OAuthClient, shared: &Shared) {
    let (chains, codes) = {
        let mut l = shared.ledger();
        (
            std::mem::take(&mut l.ambiguous_chains),
            std::mem::take(&mut l.pending_codes),
        )
    };
    for token in chains {
        let outcome = client.refresh(&token).await;
        let mut l = shared.ledger();
        match outcome {
            Outcome::Tokens(next) => {
                l.counts.ambiguous_refresh_not_committed += 1;
                l.live.push(next);
            }
            Outcome::Refused(why) if why == REFRESH_ALREADY_USED => {
                l.counts.ambiguous_refresh_committed += 1;
            }
            other => l.failures.push(format!(
                "an in-flight refresh resolved neither way: {other:?}"
            )),
        }
    }
    for pending in codes {
        let outcome = client.exchange(&pending.code).await;
        let mut l = shared.ledger();
        match outcome {
            Outcome::Refused(why) if why == CODE_ALREADY_USED => {
                if pending.ambiguous {
                    l.counts.ambiguous_exchange_committed += 1;
                }
            }
            Outcome::Tokens(_) if pending.ambiguous => {
                l.counts.ambiguous_exchange_not_committed += 1;
                record_exchange(&mut l, &pending.code, outcome, pending.paired);
            }
            Outcome::Tokens(_) => record_exchange(&mut l, &pending.code, outcome, pending.paired),
            other => l.failures.push(format!(
                "an in-flight exchange resolved neither way: {other:?}"
            )),
        }
    }
    let live = std::mem::take(&mut shared.ledger().live);
    for token in live {
        let outcome = client.refresh(&token).await;
        let mut l = shared.ledger();
        match outcome {
            Outcome::Tokens(next) => {
                l.counts.verified_after_restart += 1;
                l.live.push(next);
            }
            other => l.failures.push(format!(
                "a refresh token the client had received did not refresh after the restart: {other:?}"
            )),
        }
    }
}

fn report(ledger: &Ledger, integrity: &[(String, i64)]) -> bool {
    let c = &ledger.counts;
    let twice = ledger.codes_redeemed_twice();
    let integrity_ok = integrity
        .iter()
        .all(|(check, forked)| check == "ok" && *forked == 0);
    println!("\n== crash test ==");
    println!("SIGKILLs:                                   {}", c.kills);
    println!(
        "code exchanges that succeeded:              {}",
        c.exchanges
    );
    println!(
        "refreshes that succeeded under load:        {}",
        c.refreshes
    );
    println!(
        "codes exchanged twice at once:              {} (second refused: {})",
        c.duplicate_pairs, c.duplicate_refused
    );
    println!("codes with more than one success:           {twice}");
    println!("requests refused at connect (never sent):   {}", c.not_sent);
    println!("refreshes in flight at a kill:              {} committed (retry refused), {} not committed (retry succeeded)", c.ambiguous_refresh_committed, c.ambiguous_refresh_not_committed);
    println!("exchanges in flight at a kill:              {} committed (retry refused), {} not committed (retry succeeded)", c.ambiguous_exchange_committed, c.ambiguous_exchange_not_committed);
    println!(
        "last-received refresh tokens re-verified:   {} (after {} restarts)",
        c.verified_after_restart, c.kills
    );
    println!("integrity checks:                           {} run, all ok and no forked authorization: {integrity_ok}", integrity.len());
    println!(
        "failures:                                   {}",
        ledger.failures.len()
    );
    for f in ledger.failures.iter().take(20) {
        println!("  - {f}");
    }
    ledger.failures.is_empty() && twice == 0 && integrity_ok
}
