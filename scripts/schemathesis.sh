#!/usr/bin/env bash
# Property-tests the registration REST API against its own OpenAPI document: starts the keygate
# binary on a random loopback port over a fresh SQLite file with one user and an admin token, and
# runs a pinned schemathesis (from PyPI, in .venv-schemathesis) over /_apis/openapi.json with a
# bounded number of examples per operation. Fails on any 5xx, undocumented status code, wrong
# content type or response that violates its schema; python3 missing is a failure too.
#
#   scripts/schemathesis.sh [extra schemathesis run args...]
#
# KEYGATE_BIN names a keygate binary to use instead of building one with cargo;
# SCHEMATHESIS_EXAMPLES sets the examples per operation (default 40).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="$root/.venv-schemathesis"
pinned="schemathesis==4.32.5"
python="${PYTHON:-python3}"
examples="${SCHEMATHESIS_EXAMPLES:-40}"

if ! command -v "$python" >/dev/null 2>&1; then
    echo "error: $python is not installed; the schemathesis run needs Python 3 with venv and pip" >&2
    exit 1
fi

# (Re)build the virtual environment whenever the pinned version changes.
if [ ! -x "$venv/bin/schemathesis" ] || [ "$(cat "$venv/.keygate-pin" 2>/dev/null)" != "$pinned" ]; then
    echo "schemathesis: installing $pinned into $venv"
    rm -rf "$venv"
    "$python" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "$pinned"
    echo "$pinned" >"$venv/.keygate-pin"
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

database_url="sqlite://$work/keygate.db"
"$binary" user create --email owner@example.com --name Owner --password 'long enough password' \
    --database-url "$database_url" --json >/dev/null
token="$("$binary" admin-token create --name schemathesis --database-url "$database_url" --json \
    | "$venv/bin/python" -c 'import json, sys; print(json.load(sys.stdin)["token"])')"

port="$("$venv/bin/python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
"$binary" serve --listen "127.0.0.1:$port" --public-url "$url" --database-url "$database_url" \
    --log-format json >"$work/server.log" 2>&1 &
server_pid=$!

ready=""
for _ in $(seq 1 150); do
    if "$venv/bin/python" -c "import urllib.request; urllib.request.urlopen('$url/readyz', timeout=1)" 2>/dev/null; then
        ready=1
        break
    fi
    sleep 0.2
done
if [ -z "$ready" ]; then
    echo "error: keygate did not become ready; its log:" >&2
    cat "$work/server.log" >&2
    exit 1
fi

status=0
# From the scratch directory, so schemathesis's own cache (.schemathesis/) stays out of the tree.
cd "$work"
"$venv/bin/schemathesis" run "$url/_apis/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance \
    --max-examples "$examples" \
    --seed 11 \
    "$@" || status=$?
if [ "$status" -ne 0 ]; then
    echo "schemathesis found failures; the server's log is at the end of this output" >&2
    tail -n 50 "$work/server.log" >&2
fi
exit "$status"
