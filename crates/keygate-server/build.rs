//! Tells the HTTP test suite whether to run on PostgreSQL too: the `http_postgres` test binary is
//! built with the `keygate_test_postgres` cfg when `KEYGATE_TEST_POSTGRES_URL` is set (and rebuilt
//! when it changes), so `cargo test` runs the suite on SQLite always and on PostgreSQL when asked.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=KEYGATE_TEST_POSTGRES_URL");
    println!("cargo::rustc-check-cfg=cfg(keygate_test_postgres)");
    let wanted = std::env::var("KEYGATE_TEST_POSTGRES_URL").is_ok_and(|url| !url.trim().is_empty());
    if wanted {
        println!("cargo::rustc-cfg=keygate_test_postgres");
    }
}
