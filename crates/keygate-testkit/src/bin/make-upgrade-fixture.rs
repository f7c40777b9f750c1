//! `make-upgrade-fixture MADE_BY KEYGATE_BIN FIXTURE_DIR SQLITE_URL POSTGRES_URL`: makes one
//! deployment on each (empty) database with the given `keygate` binary (built from `MADE_BY`, a
//! release or commit), and writes the fixture's `keygate.toml` and `credentials.json` into
//! `FIXTURE_DIR`. The databases are dumped by
//! `scripts/make-upgrade-fixture.sh`, which runs this; see it for the whole procedure.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a fixture maker stops at the first step that fails, and says which"
)]

use std::path::PathBuf;

use keygate_testkit::upgrade::{make_deployment, Fixture, CONFIG};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [made_by, bin, dir, sqlite, postgres] = args.as_slice() else {
        eprintln!(
            "usage: make-upgrade-fixture MADE_BY KEYGATE_BIN FIXTURE_DIR SQLITE_URL POSTGRES_URL"
        );
        std::process::exit(2);
    };
    let (bin, dir) = (PathBuf::from(bin), PathBuf::from(dir));
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("keygate.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let fixture = Fixture {
        made_by: made_by.clone(),
        sqlite: make_deployment(&bin, sqlite, &config).await,
        postgres: make_deployment(&bin, postgres, &config).await,
    };
    let json = serde_json::to_string_pretty(&fixture).unwrap();
    std::fs::write(dir.join("credentials.json"), json + "\n").unwrap();
}
