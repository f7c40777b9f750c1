//! The `keygate` binary: `serve`, `demo`, and the admin subcommands.

mod cli;
mod commands;
mod db_pool;
mod hardening;
mod lifetime;
mod local_ca;
mod master_key;
mod operations;
mod output;
mod seed;
mod settings;
mod storage;
mod tls;

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: a request makes many small, short-lived
/// allocations (headers, JSON, claims), and glibc's malloc and free were a seventh of the
/// profile of a bearer API call (see bench/NOTES.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            for cause in e.chain().skip(1) {
                eprintln!("  caused by: {cause}");
            }
            ExitCode::FAILURE
        }
    }
}
