#!/usr/bin/env bash
# Regenerates bench/RESULTS.md: every scenario against Keygate at 1 thousand and 1 million stored
# authorizations on SQLite, every scenario at 1 thousand on PostgreSQL with one node and with two
# nodes sharing the database, the bare hyper ceiling, p99 at half of peak load, resident memory,
# the CPU each side used, and the side-by-side comparison with node-oidc-provider (bench/compare.sh).
#
#   bench/run-all.sh            (DURATION=10s CONNECTIONS=32 BIG=1000000 to change the defaults)
#
# PostgreSQL: PG_URL (default postgres://postgres@127.0.0.1:5432, a role that may create
# databases) gets a database bench_small copied from the seeded SQLite file; PG_BIG=1 also copies
# the BIG one and runs one node on it. PG=0 skips PostgreSQL. PG2_PINNING=split (default: node 1
# on CPU 0, node 2 on CPU 1, load tool unpinned) or shared (both nodes on CPU 0, load tool on 1).
#
# Takes about a quarter of an hour on 2 cores. Run it on an otherwise idle machine: `uptime`
# is recorded in RESULTS.md so a noisy run can be told apart.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap stop_all EXIT

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
FLOW_CONNECTIONS=${FLOW_CONNECTIONS:-8}
CODES=${CODES:-20000}
BIG=${BIG:-1000000}
PG=${PG:-1}
PG_BIG=${PG_BIG:-}
PG2_PINNING=${PG2_PINNING:-split}
OUT=$SCRATCH/results
COMMANDS=$OUT/commands.txt
LOAD_AT_START=$(uptime)
# The commit measured: taken before the build, which builds the tree as it is now. RESULTS.md
# itself (rewritten by the previous run) does not count as a change to what is measured.
MEASURED_COMMIT=$(git -C "$ROOT" rev-parse --short HEAD)
if [ -n "$(git -C "$ROOT" status --porcelain -- . ':!bench/RESULTS.md')" ]; then
  MEASURED_COMMIT="$MEASURED_COMMIT (with uncommitted changes)"
fi

if [ -z "${SKIP_BUILD:-}" ]; then build; fi
install_peer
rm -rf "$OUT"
mkdir -p "$OUT"

# bench_logged ARGS...: the load tool pinned as BENCH_PIN says, with its command line recorded
# for RESULTS.md.
BENCH_PIN=("${LOAD_CPU[@]}")
bench_logged() {
  { printf '%s' "${BENCH_PIN[*]:+${BENCH_PIN[*]} }"; printf 'keygate-bench run'; printf ' %q' "$@"; printf '\n'; } \
    | sed -e "s#$SCRATCH#bench/scratch#g" >> "$COMMANDS"
  "${BENCH_PIN[@]}" "$BENCH" run --quiet "$@" || true
}

ok_per_sec() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ok_per_sec"])' "$1"; }

seed small 1000
seed big "$BIG"
# Copied before any server opens the SQLite files (see seed_pg).
if [ "$PG" = 1 ]; then
  seed_pg small
  if [ -n "$PG_BIG" ]; then seed_pg big; fi
fi

log "the ceiling: bare hyper hello"
start_hello
bench_logged get --url "http://127.0.0.1:$HELLO_PORT" -c "$CONNECTIONS" -d "$DURATION" \
  --label "bare hyper" --server-pid "$HELLO_PID" --json "$OUT/hello-get.json"
stop_pid "$HELLO_PID"

SCENARIOS=(code-exchange refresh api client-credentials introspect full-flow)
# run_scenarios PREFIX FIXTURE LABEL [SCENARIO...]: the scenarios named (every one if none is)
# against the nodes in NODE_URLS (pids in NODE_PIDS), reports in $OUT/PREFIX-SCENARIO.json.
NODE_URLS=()
NODE_PIDS=()
COMMON=()
run_scenarios() {
  local name=$1 fixture=$2 label=$3
  shift 3
  local scenarios=("${SCENARIOS[@]}")
  if [ "$#" -gt 0 ]; then scenarios=("$@"); fi
  common_args "$name" "$fixture"
  local common=("${COMMON[@]}")
  for scenario in "${scenarios[@]}"; do
    log "$label: $scenario"
    case $scenario in
      code-exchange) load=(-c "$CONNECTIONS" -n "$CODES") ;;
      full-flow) load=(-c "$FLOW_CONNECTIONS" -d "$DURATION") ;;
      client-credentials|introspect) load=(-c "$CONNECTIONS" -d "$DURATION" --flavour standard) ;;
      *) load=(-c "$CONNECTIONS" -d "$DURATION") ;;
    esac
    bench_logged "$scenario" "${common[@]}" "${load[@]}" --label "$label" \
      --json "$OUT/$name-$scenario.json"
  done
}

# common_args PREFIX FIXTURE: the load tool's arguments every scenario against the nodes in
# NODE_URLS / NODE_PIDS shares, in COMMON.
common_args() {
  local name=$1 fixture=$2
  COMMON=(--fixture "$SCRATCH/$fixture.json" --server-pid "${NODE_PIDS[0]}")
  for url in "${NODE_URLS[@]}"; do COMMON+=(--url "$url"); done
  COMMON+=(--cpu-watch "keygate=$(IFS=,; echo "${NODE_PIDS[*]}")")
  if [ "${#NODE_PIDS[@]}" -gt 1 ]; then
    for i in "${!NODE_PIDS[@]}"; do COMMON+=(--cpu-watch "node$((i + 1))=${NODE_PIDS[$i]}"); done
  fi
  case $name in pg*) COMMON+=(--cpu-watch postgres=postgres) ;; esac
}

# run_half_of_peak PREFIX FIXTURE LABEL: refresh, api, client credentials and introspection at half
# the rate each reached at full load ($OUT/PREFIX-SCENARIO.json), reports in $OUT/half-SCENARIO.json.
run_half_of_peak() {
  local name=$1 fixture=$2 label=$3
  common_args "$name" "$fixture"
  local common=("${COMMON[@]}")
  for scenario in refresh api client-credentials introspect; do
    local rate
    rate=$(python3 -c 'import sys; print(round(float(sys.argv[1]) / 2))' "$(ok_per_sec "$OUT/$name-$scenario.json")")
    log "$label: $scenario at half of peak ($rate/s)"
    case $scenario in
      client-credentials|introspect) flavour=(--flavour standard) ;;
      *) flavour=() ;;
    esac
    bench_logged "$scenario" "${common[@]}" -c "$CONNECTIONS" -d "$DURATION" --rate "$rate" \
      "${flavour[@]}" --label "$label, half of peak" --json "$OUT/half-$scenario.json"
  done
}

# serve_sqlite NAME: one node on $SCRATCH/NAME.db, pinned to CPU 0 (the load tool to CPU 1).
serve_sqlite() {
  start_keygate "$1"
  NODE_URLS=("http://127.0.0.1:$KEYGATE_PORT")
  NODE_PIDS=("$KEYGATE_PID")
  BENCH_PIN=("${LOAD_CPU[@]}")
}

# sqlite_run NAME LABEL SCENARIO...: the scenarios against a fresh node on $SCRATCH/NAME.db.
sqlite_run() {
  local name=$1 label=$2
  shift 2
  serve_sqlite "$name"
  run_scenarios "$name" "$name" "$label" "$@"
  stop_pid "$KEYGATE_PID"
}

# sqlite_half_of_peak NAME LABEL: the half-of-peak runs against a fresh node on $SCRATCH/NAME.db.
sqlite_half_of_peak() {
  serve_sqlite "$1"
  run_half_of_peak "$1" "$1" "$2"
  stop_pid "$KEYGATE_PID"
}

# pg_run NODES NAME LABEL: NODES (1 or 2) nodes on the PostgreSQL database bench_NAME. One node:
# CPU 0, load tool CPU 1. Two nodes: as PG2_PINNING says (see the top of this file).
pg_run() {
  local nodes=$1 name=$2 label=$3
  local db="$PG_URL/bench_$name"
  log "starting $nodes keygate node(s) on PostgreSQL bench_$name"
  NODE_URLS=()
  NODE_PIDS=()
  if [ "$nodes" = 1 ]; then
    start_node "$db" "$KEYGATE_PORT" "$SCRATCH/keygate-pg1-$name.log" "${SERVER_CPU[@]}"
    NODE_URLS=("http://127.0.0.1:$KEYGATE_PORT")
    NODE_PIDS=("$NODE_PID")
    BENCH_PIN=("${LOAD_CPU[@]}")
  else
    local pin1=("${SERVER_CPU[@]}") pin2=("${SERVER_CPU[@]}")
    BENCH_PIN=("${LOAD_CPU[@]}")
    if [ "$PG2_PINNING" = split ] && [ "$(nproc)" -ge 2 ]; then
      pin2=(taskset -c 1)
      BENCH_PIN=()
    fi
    start_node "$db" "$KEYGATE_PORT" "$SCRATCH/keygate-pg2a-$name.log" "${pin1[@]}"
    NODE_URLS+=("http://127.0.0.1:$KEYGATE_PORT")
    NODE_PIDS+=("$NODE_PID")
    start_node "$db" "$KEYGATE2_PORT" "$SCRATCH/keygate-pg2b-$name.log" "${pin2[@]}"
    NODE_URLS+=("http://127.0.0.1:$KEYGATE2_PORT")
    NODE_PIDS+=("$NODE_PID")
  fi
  run_scenarios "pg$nodes-$name" "$name" "$label"
  for pid in "${NODE_PIDS[@]}"; do stop_pid "$pid"; done
  BENCH_PIN=("${LOAD_CPU[@]}")
}

# The 1k and the big database take turns scenario by scenario (a fresh server each time), so
# whatever the shared machine does over the run lands on both sides of each growth ratio instead
# of between them.
for scenario in "${SCENARIOS[@]}"; do
  sqlite_run small "1k authorizations" "$scenario"
  sqlite_run big "$((BIG / 1000))k authorizations" "$scenario"
done
sqlite_half_of_peak small "1k authorizations"
if [ "$PG" = 1 ]; then
  pg_run 1 small "PostgreSQL, 1 node, 1k"
  pg_run 2 small "PostgreSQL, 2 nodes, 1k"
  if [ -n "$PG_BIG" ]; then pg_run 1 big "PostgreSQL, 1 node, $((BIG / 1000))k"; fi
fi

log "side by side with oidc-provider"
SKIP_BUILD=1 COMPARE_OUT="$OUT/compare" "$ROOT/bench/compare.sh" "$DURATION" "$CONNECTIONS" 1 \
  > "$OUT/compare.txt"

# --- RESULTS.md -------------------------------------------------------------------------------
RESULTS=$ROOT/bench/RESULTS.md
md_table() { "$BENCH" table --markdown "$@"; }
{
  echo "# Keygate benchmark results"
  echo
  echo "Generated by \`bench/run-all.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC') at commit"
  echo "\`$MEASURED_COMMIT\`. Do not edit by hand: the notes at the end come from \`bench/NOTES.md\`."
  echo
  echo "## Machine"
  echo
  echo "- CPU: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores"
  echo "- Memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo); kernel $(uname -r)"
  echo "- $(rustc --version); node $(node --version); oidc-provider $(cd "$SCRATCH" && node -p "require('oidc-provider/package.json').version")"
  echo "- Load at start: \`$LOAD_AT_START\`"
  echo "- Servers pinned to CPU 0, the load tool to CPU 1 (\`taskset\`); loopback only. Two PostgreSQL"
  if [ "$PG2_PINNING" = split ]; then
    echo "  nodes: node 1 on CPU 0, node 2 on CPU 1, the load tool unpinned. PostgreSQL itself is not pinned."
  else
    echo "  nodes: both on CPU 0, the load tool on CPU 1. PostgreSQL itself is not pinned."
  fi
  echo
  echo "## Settings"
  echo
  echo "- Keygate: \`keygate serve --log-format json ${KEYGATE_LIMIT_FLAGS[*]}\` on a SQLite file"
  echo "  (WAL, \`synchronous=FULL\`: durability exactly as documented, nothing turned off)."
  echo "  Rate limits switched off explicitly where this build has them: \`${KEYGATE_LIMIT_FLAGS[*]:-(none present)}\`."
  if [ "$PG" = 1 ]; then
    echo "- PostgreSQL: $(psql -At "$PG_URL/postgres" -c 'SHOW server_version'), on this machine over loopback TCP,"
    echo "  \`fsync=$(psql -At "$PG_URL/postgres" -c 'SHOW fsync')\`, \`synchronous_commit=$(psql -At "$PG_URL/postgres" -c 'SHOW synchronous_commit')\`,"
    echo "  \`shared_buffers=$(psql -At "$PG_URL/postgres" -c 'SHOW shared_buffers')\`; Keygate's default pool. Seeded by \`keygate db copy\` from the SQLite seed."
  fi
  echo "- node-oidc-provider: \`bench/oidc-provider/server.mjs\`, default in-memory adapter (nothing"
  echo "  written to disk), ES256 JWT access tokens, refresh rotation on."
  echo "- $CONNECTIONS connections, ${DURATION} measured after a 2 s warm-up (code-exchange: $CODES codes;"
  echo "  full-flow: $FLOW_CONNECTIONS connections). Any non-2xx answer is an error."
  echo
  echo "## Keygate / node-oidc-provider, side by side"
  echo
  md_table "$OUT"/compare/keygate-*.json "$OUT"/compare/peer-*.json
  echo
  "$BENCH" ratio --markdown --ours "$OUT"/compare/keygate-*.json --peer "$OUT"/compare/peer-*.json
  echo
  echo "## Every scenario at 1 thousand and $BIG authorizations"
  echo
  md_table "$OUT"/hello-get.json "$OUT"/small-*.json "$OUT"/big-*.json
  echo
  echo "### Growth (${BIG} / 1k authorizations, successful steps per second)"
  echo
  echo "The two databases take turns scenario by scenario, each on a freshly started server."
  echo
  "$BENCH" ratio --markdown --ours "$OUT"/big-*.json --peer "$OUT"/small-*.json \
    | sed -e 's/Keygate ok\/s/big ok\/s/; s/peer ok\/s/1k ok\/s/; s/Keygate\/peer/big \/ 1k/'
  echo
  echo "### api against the bare hyper ceiling"
  echo
  python3 -c 'import json,sys; a=json.load(open(sys.argv[1]))["ok_per_sec"]; h=json.load(open(sys.argv[2]))["ok_per_sec"]; print(f"api {a:.0f}/s, bare hyper {h:.0f}/s: api / hello = {a/h:.2f}")' \
    "$OUT/small-api.json" "$OUT/hello-get.json"
  echo
  echo "## p99 at half of peak load (1k authorizations, fixed rate, open loop)"
  echo
  md_table "$OUT"/half-*.json
  echo
  if [ "$PG" = 1 ]; then
    echo "## PostgreSQL: every scenario at 1 thousand authorizations, one node and two nodes"
    echo
    echo "Two nodes serve one database; the load tool sends connection i to node i % 2 (setup, such as"
    echo "minting codes and refresh chains, goes through node 1)."
    echo
    md_table "$OUT"/pg1-small-*.json "$OUT"/pg2-small-*.json
    if [ -n "$PG_BIG" ]; then
      echo
      md_table "$OUT"/pg1-big-*.json
    fi
    echo
    echo "### PostgreSQL one node / SQLite (1k authorizations, successful steps per second)"
    echo
    "$BENCH" ratio --markdown --ours "$OUT"/pg1-small-*.json --peer "$OUT"/small-*.json \
      | sed -e 's/Keygate ok\/s/PostgreSQL ok\/s/; s/peer ok\/s/SQLite ok\/s/; s/Keygate\/peer/PostgreSQL \/ SQLite/'
    echo
    echo "### Two nodes / one node on PostgreSQL"
    echo
    "$BENCH" ratio --markdown --ours "$OUT"/pg2-small-*.json --peer "$OUT"/pg1-small-*.json \
      | sed -e 's/Keygate ok\/s/2 nodes ok\/s/; s/peer ok\/s/1 node ok\/s/; s/Keygate\/peer/2 \/ 1/'
    echo
  fi
  echo "## CPU used during each run"
  echo
  echo "Cores busy over the measured window (1.00 = one core all the time), read from \`/proc\` by the"
  echo "load tool: the Keygate node(s), every \`postgres\` process on the machine (PostgreSQL runs only),"
  echo "the load tool itself, and the whole machine (out of $(nproc)); \"anything else\" is the machine's"
  echo "busy time the others do not account for (other work on a shared machine, the kernel's softirqs)."
  echo
  python3 - "$OUT" <<'PY'
import glob, json, os, sys
out = sys.argv[1]
print("| scenario | label | ok/s | keygate | postgres | load tool | machine | anything else |")
print("|---|---|---|---|---|---|---|---|")
names = sorted(glob.glob(os.path.join(out, "*.json")))
order = {"small": 0, "big": 1, "pg1-small": 2, "pg2-small": 3, "pg1-big": 4}
def key(path):
    base = os.path.basename(path)[:-5]
    for prefix, rank in sorted(order.items(), key=lambda kv: -len(kv[0])):
        if base.startswith(prefix + "-"):
            return (rank, base)
    return (9, base)
for path in sorted(names, key=key):
    if key(path)[0] == 9:
        continue
    r = json.load(open(path))
    cpu = r.get("cpu", {})
    def c(k):
        return f"{cpu[k]:.2f}" if k in cpu else "-"
    keygate = c("keygate")
    nodes = [k for k in cpu if k.startswith("node")]
    if nodes:
        keygate += " (" + " + ".join(f"{cpu[k]:.2f}" for k in sorted(nodes)) + ")"
    other = "-"
    if "machine" in cpu:
        rest = cpu["machine"] - sum(cpu.get(k, 0.0) for k in ("keygate", "postgres", "load tool"))
        other = f"{max(rest, 0.0):.2f}"
    print(f"| {r['scenario']} | {r['label']} | {r['ok_per_sec']:.0f} | {keygate} | {c('postgres')} | {c('load tool')} | {c('machine')} | {other} |")
PY
  echo
  echo "## Seeding"
  echo
  echo '```'
  cat "$SCRATCH/small.seed.json" "$SCRATCH/big.seed.json"
  if [ "$PG" = 1 ]; then
    echo "small: $(cat "$SCRATCH/small.pg-copy.txt")"
    if [ -n "$PG_BIG" ]; then echo "big: $(cat "$SCRATCH/big.pg-copy.txt")"; fi
  fi
  echo '```'
  echo
  echo "## Command lines"
  echo
  echo '```'
  echo "bench/run-all.sh   # DURATION=$DURATION CONNECTIONS=$CONNECTIONS BIG=$BIG"
  echo "keygate-bench seed --database-url sqlite://bench/scratch/big.db --apps 100 --users 1000 --authorizations $BIG --fixture bench/scratch/big.json"
  if [ "$PG" = 1 ]; then
    echo "keygate db copy --db-statement-timeout 900s --from sqlite://bench/scratch/small.db --to $PG_URL/bench_small"
  fi
  cat "$COMMANDS"
  echo "bench/compare.sh $DURATION $CONNECTIONS 1"
  echo '```'
  echo
  if [ -f "$ROOT/bench/NOTES.md" ]; then cat "$ROOT/bench/NOTES.md"; fi
} > "$RESULTS"
log "wrote $RESULTS"
