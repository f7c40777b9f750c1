//! Command-line interface (clap derive).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::scenarios::{Flavour, Scenario};
use crate::seed::SeedArgs;

/// Keygate's load tool: drive a running server, seed a database, serve a bare ceiling.
#[derive(Debug, Parser)]
#[command(name = "keygate-bench", version, about)]
pub(crate) struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Drive a running server with one scenario and report throughput, latency and errors.
    Run(Box<RunArgs>),
    /// Fill a fresh SQLite database with users, apps and authorizations; write the fixture.
    Seed(SeedArgs),
    /// Serve `hello` with bare hyper (the ceiling for `api`).
    Hello {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8081")]
        listen: String,
    },
    /// Print JSON reports (from `run --json`) as one table.
    Table {
        /// Report files.
        files: Vec<PathBuf>,
        /// A Markdown table instead of aligned text.
        #[arg(long)]
        markdown: bool,
        /// One row per scenario and label: the median run of the rounds given.
        #[arg(long)]
        median: bool,
    },
    /// Print Keygate/peer throughput ratios of two sets of JSON reports, paired by scenario
    /// (several rounds of a scenario count as their median).
    Ratio {
        /// Keygate's reports.
        #[arg(long, num_args = 1.., required = true)]
        ours: Vec<PathBuf>,
        /// The peer's reports.
        #[arg(long, num_args = 1.., required = true)]
        peer: Vec<PathBuf>,
        /// A Markdown table instead of aligned text.
        #[arg(long)]
        markdown: bool,
    },
}

/// `keygate-bench run`.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The scenario.
    pub scenario: Scenario,
    /// Base URL of the server under test (plain http, loopback). Repeat it for several nodes
    /// on one database: load connection `i` goes to the `i % n`-th URL, setup to the first.
    #[arg(long = "url", default_value = "http://127.0.0.1:8080", num_args = 1)]
    pub url: Vec<String>,
    /// Concurrent connections.
    #[arg(short = 'c', long, default_value_t = 32)]
    pub connections: usize,
    /// How long to measure, after the warm-up (`10s`, `500ms`, `2m`).
    #[arg(short = 'd', long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Run exactly this many steps instead of for a time (no warm-up).
    #[arg(short = 'n', long)]
    pub requests: Option<u64>,
    /// Fixed total rate in steps per second (open loop); default: as fast as answers come.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Unmeasured warm-up before a time-bound run.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// The fixture written by `seed` (bench user and app).
    #[arg(long)]
    pub fixture: Option<PathBuf>,
    /// Token request flavour for `refresh` and `code-exchange`.
    #[arg(long, value_enum, default_value = "azure")]
    pub flavour: Flavour,
    /// Client id for standard-flavour requests (default: the fixture's App ID).
    #[arg(long)]
    pub client_id: Option<String>,
    /// Client secret for standard-flavour requests (default: the fixture's secret).
    #[arg(long, env = "KEYGATE_BENCH_CLIENT_SECRET", hide_env_values = true)]
    pub client_secret: Option<String>,
    /// Token endpoint path.
    #[arg(long, default_value = "/oauth2/token")]
    pub token_path: String,
    /// Introspection endpoint path.
    #[arg(long, default_value = "/oauth2/introspect")]
    pub introspect_path: String,
    /// Starting refresh tokens, one a line (for a peer server that mints them itself).
    #[arg(long)]
    pub refresh_tokens: Option<PathBuf>,
    /// `scope` to ask for with client credentials.
    #[arg(long)]
    pub scope: Option<String>,
    /// `resource` to ask for with client credentials (RFC 8707).
    #[arg(long)]
    pub resource: Option<String>,
    /// Path for the `get` scenario.
    #[arg(long, default_value = "/")]
    pub path: String,
    /// Codes to mint beforehand for a time-bound `code-exchange`.
    #[arg(long, default_value_t = 20_000)]
    pub codes: u64,
    /// Browsers minting codes and chains concurrently before the run.
    #[arg(long, default_value_t = 8)]
    pub setup_concurrency: usize,
    /// A label for the report (`keygate`, `oidc-provider`, `1M authorizations`).
    #[arg(long, default_value = "")]
    pub label: String,
    /// Also write the report as JSON to this file (`-` for standard output).
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Sample this process's resident memory during the run (the server's pid).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Report the cores these processes used over the measured window: `LABEL=PID[,PID...]`
    /// or `LABEL=NAME` (every process of that name, e.g. `postgres=postgres`). Repeatable. The
    /// load tool's own and the whole machine's use are always reported.
    #[arg(long, value_parser = crate::cpu::parse_watch)]
    pub cpu_watch: Vec<crate::cpu::Watch>,
    /// Never draw the progress bar.
    #[arg(long)]
    pub quiet: bool,
}

/// Parses `10s`, `500ms`, `2m` or a bare number of seconds.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{s} is not a duration (try 10s, 500ms, 2m)"))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("unknown unit {unit:?} (use ms, s or m)")),
    };
    Duration::try_from_secs_f64(secs).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_in_milliseconds_seconds_and_minutes() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("ten").is_err());
        assert!(parse_duration("5h").is_err());
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
