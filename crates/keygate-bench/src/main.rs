//! `keygate-bench`: Keygate's load tool. It drives a running server over HTTP with N kept-alive
//! connections for a fixed time or number of requests and reports throughput, latency
//! percentiles and errors; it seeds databases at scale; and it serves a bare hyper `hello` as the
//! ceiling to compare against.

mod browser;
mod cli;
mod conn;
mod cpu;
mod fixture;
mod hello;
mod report;
mod rss;
mod runner;
mod scenarios;
mod seed;
mod stats;
mod target;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;

use crate::cli::{Cli, Command, RunArgs};
use crate::report::Report;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => run_scenario(*args).await,
        Command::Seed(args) => {
            let summary = seed::seed(&args).await?;
            println!("{}", serde_json::to_string_pretty(&summary)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Hello { listen } => {
            let listener = tokio::net::TcpListener::bind(&listen)
                .await
                .with_context(|| format!("cannot listen on {listen}"))?;
            eprintln!("hello on http://{}", listener.local_addr()?);
            tokio::select! {
                served = hello::serve(listener) => served?,
                _ = tokio::signal::ctrl_c() => {}
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Table {
            files,
            markdown,
            median,
        } => {
            let reports = load_reports(&files)?;
            let reports = if median {
                report::medians(&reports)
            } else {
                reports
            };
            print!("{}", report::table(&reports, markdown));
            Ok(ExitCode::SUCCESS)
        }
        Command::Ratio {
            ours,
            peer,
            markdown,
        } => {
            let ratios = report::ratios(&load_reports(&ours)?, &load_reports(&peer)?);
            if markdown {
                println!("| scenario | Keygate ok/s | peer ok/s | Keygate/peer |");
                println!("|---|---|---|---|");
            } else {
                println!(
                    "{:<20} {:>12} {:>12} {:>13}",
                    "scenario", "Keygate ok/s", "peer ok/s", "Keygate/peer"
                );
            }
            for (scenario, o, p, r) in ratios {
                if markdown {
                    println!("| {scenario} | {o:.0} | {p:.0} | {r:.2}x |");
                } else {
                    println!("{scenario:<20} {o:>12.0} {p:>12.0} {r:>12.2}x");
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn load_reports(files: &[PathBuf]) -> anyhow::Result<Vec<Report>> {
    files
        .iter()
        .map(|f| {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("cannot read {}", f.display()))?;
            serde_json::from_str(&text).with_context(|| format!("{} is not a report", f.display()))
        })
        .collect()
}

async fn run_scenario(args: RunArgs) -> anyhow::Result<ExitCode> {
    let target = target::Target::parse(&args.url)?;
    let fixture = args
        .fixture
        .as_deref()
        .map(fixture::Fixture::load)
        .transpose()?;
    let options = scenarios::Options {
        fixture,
        flavour: args.flavour,
        client_id: args.client_id.clone(),
        client_secret: args.client_secret.clone(),
        token_path: args.token_path.clone(),
        introspect_path: args.introspect_path.clone(),
        refresh_tokens: args.refresh_tokens.clone(),
        scope: args.scope.clone(),
        resource: args.resource.clone(),
        path: args.path.clone(),
        codes: args.codes,
        setup_concurrency: args.setup_concurrency,
    };
    let connections = args.connections.max(1);
    let workers =
        scenarios::workers(args.scenario, &target, &options, connections, args.requests).await?;
    let plan = runner::Plan {
        duration: args.duration,
        steps: args.requests,
        rate: args.rate,
        warmup: args.warmup,
        progress: !args.quiet && std::io::stderr().is_terminal(),
        server_pid: args.server_pid,
        cpu_watch: args.cpu_watch.clone(),
    };
    let result = runner::run(workers, &plan).await;
    let report = Report::new(
        args.scenario.name(),
        &args.label,
        &target.base,
        args.rate,
        &result,
    );
    print!("{}", report::table(std::slice::from_ref(&report), false));
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(&report)?;
        if path.as_os_str() == "-" {
            println!("{json}");
        } else {
            std::fs::write(path, json)
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    Ok(if report.errors > 0 {
        // Errors are results too: the report is printed, and the exit code says they happened.
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
