//! The HTTP suite again, on PostgreSQL: every test of `tests/http` runs here on a fresh database
//! made on the server named by `KEYGATE_TEST_POSTGRES_URL` and dropped afterwards. Without that
//! variable (set when the crate is built: see `build.rs`) the suite is skipped, and one test says so.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a test should fail loudly at the line that broke"
)]

#[cfg(keygate_test_postgres)]
#[path = "http/main.rs"]
mod suite;

/// Says why nothing else ran in this binary.
#[cfg(not(keygate_test_postgres))]
#[test]
fn postgres_suite_skipped() {
    eprintln!(
        "the HTTP suite on PostgreSQL is skipped: KEYGATE_TEST_POSTGRES_URL was not set when it was built"
    );
}
