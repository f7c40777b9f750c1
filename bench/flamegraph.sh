#!/usr/bin/env bash
# A flamegraph of one Keygate binary serving one scenario: starts it on the compare database,
# loads it from the other core, and samples the server's threads with `perf record -g` for the
# measured part of the run. Writes bench/flamegraphs/NAME.svg (and NAME.folded, the collapsed
# stacks it was drawn from, so two graphs can be compared by thread and by frame).
#
#   bench/flamegraph.sh NAME [SCENARIO] [KEYGATE_BINARY] [SECONDS]
#     defaults: refresh, target/release/keygate, 8
#
# Needs `perf` (Debian: linux-perf) and inferno (`cargo install inferno`; INFERNO_BIN names its
# folder when it is not on PATH). Release builds carry no frame pointers, so user-space stacks are
# mostly one frame deep; the root of each stack is the thread's name (tokio workers, sqlx's
# SQLite worker, the hot writer), which is what tells where the core goes.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap stop_all EXIT

NAME=$1
SCENARIO=${2:-refresh}
KEYGATE=${3:-$KEYGATE}
SECONDS_SAMPLED=${4:-8}
OUT_DIR=$ROOT/bench/flamegraphs
INFERNO_BIN=${INFERNO_BIN:-}
collapse=${INFERNO_BIN:+$INFERNO_BIN/}inferno-collapse-perf
draw=${INFERNO_BIN:+$INFERNO_BIN/}inferno-flamegraph

mkdir -p "$OUT_DIR"
if [ ! -f "$SCRATCH/compare.db" ] || [ -n "${RESEED:-}" ]; then seed compare 1000; fi
start_keygate compare
case $SCENARIO in
  client-credentials|introspect) flavour=(--flavour standard) ;;
  *) flavour=() ;;
esac
# The load runs a little longer than the sampling, which starts after the warm-up.
bench "$SCENARIO" --url "http://127.0.0.1:$KEYGATE_PORT" --fixture "$SCRATCH/compare.json" \
  -c 32 -d "$((SECONDS_SAMPLED + 2))s" --warmup 2s "${flavour[@]}" \
  --json "$SCRATCH/flamegraph-$NAME.json" &
LOAD_PID=$!
sleep 3
perf record -F 499 -g -p "$KEYGATE_PID" -o "$SCRATCH/$NAME.perf" -- sleep "$SECONDS_SAMPLED" 2>/dev/null
wait "$LOAD_PID" || true
perf script -i "$SCRATCH/$NAME.perf" 2>/dev/null | "$collapse" > "$OUT_DIR/$NAME.folded"
"$draw" --title "keygate $SCENARIO: $NAME" < "$OUT_DIR/$NAME.folded" > "$OUT_DIR/$NAME.svg"
log "wrote $OUT_DIR/$NAME.svg"
# Share of samples per thread name, the first frame of each collapsed stack.
awk '{ n = $NF; sub(/;.*/, "", $1); split($1, t, " "); by[$1] += n; total += n }
     END { for (k in by) printf "%6.1f%%  %s\n", 100 * by[k] / total, k }' "$OUT_DIR/$NAME.folded" \
  | sort -rn | head -8
