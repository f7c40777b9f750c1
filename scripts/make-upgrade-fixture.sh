#!/usr/bin/env bash
# Makes an upgrade fixture: a deployment written by one release of keygate, on SQLite and on
# PostgreSQL, kept as SQL text with the plaintext credentials it handed out, so that
# `cargo test -p keygate --test upgrade` proves every later build still serves it (the user signs
# in, the secrets, refresh tokens and access tokens work, the organizations, policies and audit
# log are intact).
#
#   scripts/make-upgrade-fixture.sh [NAME]
#
# builds this checkout's `keygate` and seeds a fresh SQLite file and a scratch PostgreSQL database
# through it: the admin CLI (user, organizations and their policies, project, an app with primary
# and alternative secrets, an admin token) and the HTTP flows (sign-in, consent, code exchanges in
# the Azure and the standard flavour, client credentials, a revocation). It writes
# crates/keygate/tests/fixtures/upgrade/NAME/ (NAME defaults to this commit's short hash):
#   sqlite.sql        `sqlite3 .dump` of the file, `_sqlx_migrations` included
#   postgres.sql      `pg_dump --no-owner --no-privileges --inserts` (plain SQL, INSERTs rather
#                     than COPY so any SQL client can restore it)
#   keygate.toml      the settings the deployment ran with (lifetimes of 100 years, so the
#                     fixture's tokens and secrets outlive the test suite)
#   credentials.json  the plaintext credentials; they are test data, safe to commit
#   sqlite-master-key.txt  the key the SQLite deployment sealed its signing keys with, when the release
#                     made one beside the database; test data as well (named so that .gitignore's
#                     *.master-key rule, which guards real deployments, lets it be committed)
#
# WHEN TO RUN IT: every schema change (a new migration) adds a fixture made by the release BEFORE
# the change. Check that release out and run this script there; or, from a newer checkout, pass
# the older release's binary: KEYGATE_BIN=/path/to/old/keygate scripts/make-upgrade-fixture.sh NAME
# (NAME is then required: the release or commit that binary was built from). Commit the new
# directory with the migration; never edit or delete an old fixture.
#
# Needs: cargo, sqlite3 (or python3), psql and pg_dump, and a PostgreSQL server where
# KEYGATE_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432/test) may create databases.
set -euo pipefail
cd "$(dirname "$0")/.."

server="${KEYGATE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
if [ -n "${KEYGATE_BIN:-}" ]; then
  name="${1:?with KEYGATE_BIN, name the release or commit it was built from}"
  bin="$(realpath "$KEYGATE_BIN")"
else
  name="${1:-$(git rev-parse --short=7 HEAD)}"
  cargo build -p keygate
  bin="$(realpath target/debug/keygate)"
fi
cargo build -p keygate-testkit --bin make-upgrade-fixture
maker="$(realpath target/debug/make-upgrade-fixture)"

out="crates/keygate/tests/fixtures/upgrade/$name"
if [ -e "$out" ]; then
  echo "$out exists: a fixture is never remade; pick another name" >&2
  exit 1
fi
for tool in psql pg_dump; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (apt-get install postgresql-client)" >&2; exit 1; }
done

out="$(realpath -m "$out")"
work="$(mktemp -d)"
scratch="kg_fixture_$(date +%s)_$$"
# The server URL with its database replaced by the scratch one (a URL without query parameters).
scratch_url="${server%/*}/$scratch"
finished=0
cleanup() {
  [ "$finished" = 1 ] || rm -rf "$out"
  psql -q "$server" -c "DROP DATABASE IF EXISTS \"$scratch\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
psql -q -v ON_ERROR_STOP=1 "$server" -c "CREATE DATABASE \"$scratch\""

mkdir -p "$out"
"$maker" "$name" "$bin" "$out" "sqlite://$work/keygate.db" "$scratch_url"

if command -v sqlite3 >/dev/null; then
  sqlite3 "$work/keygate.db" .dump > "$out/sqlite.sql"
else
  python3 -c 'import sqlite3, sys
for line in sqlite3.connect(sys.argv[1]).iterdump(): print(line)' "$work/keygate.db" > "$out/sqlite.sql"
fi
pg_dump --no-owner --no-privileges --inserts "$scratch_url" > "$out/postgres.sql"
if [ -f "$work/keygate.db.master-key" ]; then
  cp "$work/keygate.db.master-key" "$out/sqlite-master-key.txt"
fi

finished=1
echo "made $out:"
wc -l "$out"/*
