//! Every command that opens a database honours the pool settings `serve` does
//! (`--db-acquire-timeout` and friends, their `KEYGATE_DB_*` variables and config-file keys): on
//! an unreachable PostgreSQL server each one gives up after the acquire timeout it was given and
//! says which timeout that was.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests fail loudly")]

use std::process::Output;

use keygate_testkit::{free_port, refused, Cli};

const KEYGATE: &str = env!("CARGO_BIN_EXE_keygate");

/// A command that opens the store and nothing more.
const USER_CREATE: [&str; 8] = [
    "user",
    "create",
    "--email",
    "ana@example.com",
    "--name",
    "Ana",
    "--password",
    "long enough",
];

/// A PostgreSQL URL on a loopback port where nothing listens: every connection is refused, and
/// the pool keeps retrying until its acquire timeout.
fn unreachable_postgres() -> String {
    format!("postgres://keygate@127.0.0.1:{}/keygate", free_port())
}

/// One command of each kind: those that need only the store, those that build the use-case
/// context, and `db copy`, which opens two databases.
fn every_kind_of_command(cli: &Cli, extra: &[&str]) -> Vec<(String, Output)> {
    let dir = tempfile::tempdir().unwrap();
    let target = keygate_testkit::sqlite_url(&dir.path().join("copy.db"));
    let with_db = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend_from_slice(extra);
        (args.join(" "), cli.run(&all))
    };
    let mut outputs = vec![
        with_db(&USER_CREATE),
        with_db(&["org", "create", "fabrikam", "--owner", "ana@example.com"]),
        with_db(&["app", "list"]),
        with_db(&["audit", "list"]),
    ];
    let mut copy = vec!["db", "copy", "--from", cli.database_url(), "--to", &target];
    copy.extend_from_slice(extra);
    let out = keygate_testkit::process::command(KEYGATE)
        .args(&copy)
        .output()
        .unwrap();
    outputs.push(("db copy".into(), out));
    outputs
}

#[test]
fn the_acquire_timeout_flag_bounds_every_command_on_an_unreachable_database() {
    let cli = Cli::new(KEYGATE, unreachable_postgres());
    for (command, out) in every_kind_of_command(&cli, &["--db-acquire-timeout", "1s"]) {
        println!("{command}: {}", String::from_utf8_lossy(&out.stderr));
        refused(
            &out,
            "could not reach the PostgreSQL database within 1s (db_acquire_timeout)",
        );
    }
}

#[test]
fn the_acquire_timeout_comes_from_the_environment_or_the_config_file_too() {
    let cli = Cli::new(KEYGATE, unreachable_postgres());
    let out = cli
        .command(&USER_CREATE)
        .env("KEYGATE_DB_ACQUIRE_TIMEOUT", "700ms")
        .output()
        .unwrap();
    refused(&out, "within 700ms (db_acquire_timeout)");

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("keygate.toml");
    std::fs::write(&config, "db_acquire_timeout = \"1500ms\"\n").unwrap();
    let out = cli
        .command(&USER_CREATE)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    refused(&out, "within 1s 500ms (db_acquire_timeout)");
}
