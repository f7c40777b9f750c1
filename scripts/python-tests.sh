#!/usr/bin/env bash
# Proves Keygate's standard OAuth with clients no one here wrote: starts the keygate binary on a
# random loopback port over a fresh SQLite file, runs tests/python with pytest (authlib,
# PyJWT, requests-oauth2client) from a virtual environment in .venv built from the pinned tests/python/requirements.txt,
# and stops the server. Exits non-zero when anything fails, python3 missing included.
#
#   scripts/python-tests.sh [pytest args...]
#
# KEYGATE_BIN names a keygate binary to use instead of building one with cargo.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
requirements="$root/tests/python/requirements.txt"
venv="$root/.venv"
python="${PYTHON:-python3}"

if ! command -v "$python" >/dev/null 2>&1; then
    echo "error: $python is not installed; the standard OAuth tests need Python 3 with venv and pip" >&2
    exit 1
fi

# (Re)build the virtual environment whenever the pinned requirements change.
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$requirements" "$venv/.keygate-requirements"; then
    echo "python-tests: installing $requirements into $venv"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/.keygate-requirements"
fi

binary="${KEYGATE_BIN:-}"
if [ -z "$binary" ]; then
    cargo build --quiet -p keygate --manifest-path "$root/Cargo.toml"
    binary="$(cargo metadata --format-version 1 --no-deps --manifest-path "$root/Cargo.toml" \
        | "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')/debug/keygate"
fi

work="$(mktemp -d)"
server_pid=""
cleanup() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
database_url="sqlite://$work/keygate.db"
url="http://127.0.0.1:$port"

# A rotated key waits one second before it signs, so the rotation test sees the whole cycle.
"$binary" serve --listen "127.0.0.1:$port" --public-url "$url" --database-url "$database_url" \
    --key-publish-ahead 1 --log-format json >"$work/server.log" 2>&1 &
server_pid=$!

ready=""
for _ in $(seq 1 150); do
    if "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('$url/readyz', timeout=1)" 2>/dev/null; then
        ready=yes
        break
    fi
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "error: keygate exited before it was ready:" >&2
        cat "$work/server.log" >&2
        exit 1
    fi
    sleep 0.2
done
if [ -z "$ready" ]; then
    echo "error: keygate did not become ready at $url within 30 s:" >&2
    cat "$work/server.log" >&2
    exit 1
fi

status=0
KEYGATE_URL="$url" KEYGATE_BIN="$binary" KEYGATE_DATABASE_URL="$database_url" \
    "$venv/bin/python" -m pytest "$root/tests/python" -p no:cacheprovider -v "$@" || status=$?
if [ "$status" -ne 0 ]; then
    echo "---- keygate server log ----" >&2
    tail -n 100 "$work/server.log" >&2
fi
exit "$status"
