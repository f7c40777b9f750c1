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

# start_keygate NAME: serves $SCRATCH/NAME.db; sets KEYGATE_PID.
start_keygate() {
  local name=$1
  limit_flags
  log "starting keygate on $name.db (limits: ${KEYGATE_LIMIT_FLAGS[*]:-none to switch off})"
  "${SERVER_CPU[@]}" "$KEYGATE" serve --listen "127.0.0.1:$KEYGATE_PORT" \
    --public-url "http://127.0.0.1:$KEYGATE_PORT" --database-url "sqlite://$SCRATCH/$name.db" \
    --log-format json "${KEYGATE_LIMIT_FLAGS[@]}" > "$SCRATCH/keygate-$name.log" 2>&1 &
  KEYGATE_PID=$!
  PIDS+=("$KEYGATE_PID")
  wait_for "http://127.0.0.1:$KEYGATE_PORT/healthz"
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
