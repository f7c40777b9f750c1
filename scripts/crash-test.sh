#!/usr/bin/env bash
# Crash-safety test (not part of CI): builds the release binary, puts it under concurrent code
# exchanges and refreshes, SIGKILLs it at random moments, restarts it, and checks that every
# refresh token a client last received still refreshes, that no code was redeemed twice, and
# that SQLite's integrity check passes. Extra arguments go to the driver, e.g. --kills 10.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release -p keygate -p keygate-crashtest
release="${CARGO_TARGET_DIR:-target}/release"
exec "$release/keygate-crashtest" --keygate "$release/keygate" "$@"
