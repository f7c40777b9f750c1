#!/usr/bin/env bash
# Proves Keygate's OpenID Connect with a client no one here wrote: installs openid-client, pinned
# by tests/oidc-client/package-lock.json, starts the keygate binary on a random loopback port over
# a fresh SQLite file, seeds a user and an app through the admin CLI, runs tests/oidc-client/
# test.mjs with Node, and stops the server. Exits non-zero when anything fails, npm missing
# included.
#
# KEYGATE_BIN names a keygate binary to use instead of building one with cargo.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/tests/oidc-client"
stamp="$tools/node_modules/.keygate-lock"

for tool in node npm; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "error: $tool is not installed; the openid-client tests need Node.js 20 or newer" >&2
        exit 1
    fi
done
# Reinstall only when the lock file changed; --ignore-scripts: nothing from the registry runs.
if [[ ! -d "$tools/node_modules/openid-client" ]] || ! cmp -s "$tools/package-lock.json" "$stamp"; then
    echo "openid-client-tests: installing the pinned openid-client into $tools/node_modules" >&2
    npm ci --prefix "$tools" --ignore-scripts --no-audit --no-fund --loglevel=error >&2
    cp "$tools/package-lock.json" "$stamp"
fi

binary="${KEYGATE_BIN:-}"
if [ -z "$binary" ]; then
    cargo build --quiet -p keygate --manifest-path "$root/Cargo.toml"
    binary="$root/target/debug/keygate"
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

port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
database_url="sqlite://$work/keygate.db"
url="http://127.0.0.1:$port"
email="olga@example.com"
password="correct horse battery staple"
callback="https://localhost:5001/oauth/callback"
signed_out="https://localhost:5001/signed-out"

"$binary" user create --database-url "$database_url" --email "$email" --name Olga \
    --password-stdin <<<"$password" >/dev/null
app="$("$binary" app create --database-url "$database_url" --json --owner "$email" \
    --name "openid-client" --company Tests --website https://example.com \
    --callback-url "$callback" --scopes vso.profile --post-logout-redirect-uri "$signed_out")"
client_id="$(node -e 'console.log(JSON.parse(process.argv[1]).app_id)' "$app")"
client_secret="$(node -e 'console.log(JSON.parse(process.argv[1]).client_secret)' "$app")"

"$binary" serve --listen "127.0.0.1:$port" --public-url "$url" --database-url "$database_url" \
    --log-format json >"$work/server.log" 2>&1 &
server_pid=$!

ready=""
for _ in $(seq 1 150); do
    if node -e "fetch('$url/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))" 2>/dev/null; then
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
    echo "error: keygate did not become ready at $url within 30 s" >&2
    cat "$work/server.log" >&2
    exit 1
fi

status=0
KEYGATE_URL="$url" KEYGATE_EMAIL="$email" KEYGATE_PASSWORD="$password" \
    KEYGATE_CLIENT_ID="$client_id" KEYGATE_CLIENT_SECRET="$client_secret" \
    KEYGATE_CALLBACK="$callback" KEYGATE_SIGNED_OUT="$signed_out" \
    node "$tools/test.mjs" || status=$?
if [ "$status" -ne 0 ]; then
    echo "---- keygate server log ----" >&2
    tail -n 100 "$work/server.log" >&2
fi
exit "$status"
