# Shared by compare.sh and run-all.sh: building, seeding, starting and stopping the servers.
# Servers run pinned to CPU 0 and the load tool to CPU 1 (when the machine has two), so each
# number is "what one core serves" and the load tool does not steal the server's core.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCRATCH=${SCRATCH:-$ROOT/bench/scratch}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
KEYGATE=$TARGET_DIR/release/keygate
BENCH=$TARGET_DIR/release/keygate-bench
KEYGATE_PORT=${KEYGATE_PORT:-18080}
PEER_PORT=${PEER_PORT:-18081}
HELLO_PORT=${HELLO_PORT:-18082}
# The second Keygate node of the two-node PostgreSQL runs.
KEYGATE2_PORT=${KEYGATE2_PORT:-18083}
# The PostgreSQL server (without a database name); seed_pg makes one database per fixture on it.
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432}
PIDS=()

if [ "$(nproc)" -ge 2 ]; then
  SERVER_CPU=(taskset -c 0)
  LOAD_CPU=(taskset -c 1)
else
  SERVER_CPU=()
  LOAD_CPU=()
fi

log() { printf '== %s\n' "$*" >&2; }

build() {
  log "building keygate and keygate-bench (release)"
  (cd "$ROOT" && cargo build --release -p keygate -p keygate-bench)
}

install_peer() {
  mkdir -p "$SCRATCH"
  if [ ! -d "$SCRATCH/node_modules/oidc-provider" ]; then
    log "installing oidc-provider from npm into $SCRATCH"
    (cd "$SCRATCH" && npm install --no-audit --no-fund --silent oidc-provider@9)
  fi
}

# seed NAME AUTHORIZATIONS: a fresh database $SCRATCH/NAME.db and fixture $SCRATCH/NAME.json.
seed() {
  local name=$1 authorizations=$2
  rm -f "$SCRATCH/$name.db" "$SCRATCH/$name.db-wal" "$SCRATCH/$name.db-shm" "$SCRATCH/$name.json"
  log "seeding $name: $authorizations authorizations"
  "$BENCH" seed --database-url "sqlite://$SCRATCH/$name.db" --apps 100 --users 1000 \
    --authorizations "$authorizations" --fixture "$SCRATCH/$name.json" \
    --public-url "http://127.0.0.1:$KEYGATE_PORT" > "$SCRATCH/$name.seed.json"
}

# seed_pg NAME: copies the freshly seeded $SCRATCH/NAME.db into a new PostgreSQL database
# bench_NAME with `keygate db copy` (before any server opened the SQLite file, so its signing key
# is still in the clear and the PostgreSQL nodes need no master key). Writes $SCRATCH/NAME.pg-copy.txt.
seed_pg() {
  local name=$1 db=bench_$1 started
  log "copying $name.db into PostgreSQL database $db"
  PGOPTIONS='-c client_min_messages=warning' psql -q -v ON_ERROR_STOP=1 "$PG_URL/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
    -c "CREATE DATABASE $db"
  started=$(date +%s.%N)
  # The default 15 s statement timeout cancels the copy of a million authorizations.
  "$KEYGATE" db copy --db-statement-timeout 900s --from "sqlite://$SCRATCH/$name.db" \
    --to "$PG_URL/$db" > /dev/null
  python3 -c 'import sys; print(f"keygate db copy into PostgreSQL: {float(sys.argv[2]) - float(sys.argv[1]):.1f} s")' \
    "$started" "$(date +%s.%N)" > "$SCRATCH/$name.pg-copy.txt"
}

# The serve flags that switch the rate limits off, for the versions of keygate that have them.
KEYGATE_LIMIT_FLAGS=()
limit_flags() {
  KEYGATE_LIMIT_FLAGS=()
  local help
  help=$("$KEYGATE" serve --help)
  if grep -q -- '--token-rate-limit' <<<"$help"; then
    KEYGATE_LIMIT_FLAGS+=(--token-rate-limit 0)
  fi
  if grep -q -- '--sign-in-rate-limit' <<<"$help"; then
    KEYGATE_LIMIT_FLAGS+=(--sign-in-rate-limit 0)
  fi
}

wait_for() {
  local url=$1
  for _ in $(seq 1 200); do
    if curl -s -o /dev/null "$url"; then return 0; fi
    sleep 0.05
  done
  echo "nothing answers at $url" >&2
  return 1
}

# start_node DATABASE_URL PORT LOG [CPU PINNING...]: one Keygate node; sets NODE_PID. Every node
# gets the same --public-url (the fixture's), so what one node issued is valid on the others.
start_node() {
  local database_url=$1 port=$2 logfile=$3
  shift 3
  limit_flags
  "$@" "$KEYGATE" serve --listen "127.0.0.1:$port" \
    --public-url "http://127.0.0.1:$KEYGATE_PORT" --database-url "$database_url" \
    --log-format json "${KEYGATE_LIMIT_FLAGS[@]}" > "$logfile" 2>&1 &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
  wait_for "http://127.0.0.1:$port/healthz"
}

# start_keygate NAME: serves $SCRATCH/NAME.db; sets KEYGATE_PID.
start_keygate() {
  local name=$1
  limit_flags
  log "starting keygate on $name.db (limits: ${KEYGATE_LIMIT_FLAGS[*]:-none to switch off})"
  start_node "sqlite://$SCRATCH/$name.db" "$KEYGATE_PORT" "$SCRATCH/keygate-$name.log" "${SERVER_CPU[@]}"
  KEYGATE_PID=$NODE_PID
}

# start_peer: node-oidc-provider with a fresh secret and PEER_CHAINS refresh chains; sets PEER_PID.
start_peer() {
  PEER_SECRET=$(head -c 32 /dev/urandom | base64 | tr -d '/+=')
  export PEER_SECRET
  log "starting oidc-provider $(cd "$SCRATCH" && node -p "require('oidc-provider/package.json').version")"
  (cd "$SCRATCH" && CLIENT_SECRET=$PEER_SECRET PORT=$PEER_PORT REFRESH_CHAINS=${PEER_CHAINS:-256} \
    REFRESH_TOKENS_FILE="$SCRATCH/peer-refresh.txt" NODE_ENV=production \
    exec "${SERVER_CPU[@]}" node "$ROOT/bench/oidc-provider/server.mjs" > "$SCRATCH/peer.log" 2>&1) &
  PEER_PID=$!
  PIDS+=("$PEER_PID")
  wait_for "http://127.0.0.1:$PEER_PORT/.well-known/openid-configuration"
}

start_hello() {
  "${SERVER_CPU[@]}" "$BENCH" hello --listen "127.0.0.1:$HELLO_PORT" 2> "$SCRATCH/hello.log" &
  HELLO_PID=$!
  PIDS+=("$HELLO_PID")
  wait_for "http://127.0.0.1:$HELLO_PORT/"
}

stop_pid() {
  local pid=$1
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

stop_all() {
  for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
  PIDS=()
}

# bench ARGS...: the load tool on its own core, quiet, never failing the script on errors
# (errors are reported in the JSON and tables).
bench() {
  "${LOAD_CPU[@]}" "$BENCH" run --quiet "$@" || true
}
