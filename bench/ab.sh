#!/usr/bin/env bash
# A/B: two Keygate binaries (say, main's and a branch's) alternating on the same database in one
# run, so a change is judged by a ratio of numbers taken minutes apart on the same machine rather
# than against a table from another day. Each round starts A, runs every scenario, stops it, then
# does the same with B; the table shows each scenario's median round per binary, and the ratio
# B/A of the medians.
#
#   bench/ab.sh OLD_KEYGATE NEW_KEYGATE [DURATION] [CONNECTIONS] [ROUNDS]   (defaults: 10s 32 3)
#
# SCENARIOS (default "refresh code-exchange introspect client-credentials api") picks scenarios;
# code-exchange redeems CODES codes (default 5000) minted through the real pages first.
# Reports land in bench/scratch/ab/ as JSON.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap stop_all EXIT

OLD_BIN=$1
NEW_BIN=$2
DURATION=${3:-10s}
CONNECTIONS=${4:-32}
ROUNDS=${5:-3}
CODES=${CODES:-5000}
read -r -a SCENARIOS <<<"${SCENARIOS:-refresh code-exchange introspect client-credentials api}"
OUT=${AB_OUT:-$SCRATCH/ab}

mkdir -p "$OUT"
rm -f "$OUT"/*.json
if [ ! -f "$SCRATCH/compare.db" ] || [ -n "${RESEED:-}" ]; then seed compare 1000; fi

for round in $(seq 1 "$ROUNDS"); do
  for side in old new; do
    if [ "$side" = old ]; then KEYGATE=$OLD_BIN; else KEYGATE=$NEW_BIN; fi
    start_keygate compare
    for scenario in "${SCENARIOS[@]}"; do
      log "round $round: $scenario against $side"
      case $scenario in
        code-exchange) load=(-c "$CONNECTIONS" -n "$CODES") ;;
        client-credentials|introspect) load=(-c "$CONNECTIONS" -d "$DURATION" --flavour standard) ;;
        *) load=(-c "$CONNECTIONS" -d "$DURATION") ;;
      esac
      bench "$scenario" --url "http://127.0.0.1:$KEYGATE_PORT" --fixture "$SCRATCH/compare.json" \
        "${load[@]}" --label "$side" --server-pid "$KEYGATE_PID" --json "$OUT/$side-$scenario-$round.json"
    done
    stop_pid "$KEYGATE_PID"
  done
done

echo "load: $(uptime)"
"$BENCH" table --median "$OUT"/old-*.json "$OUT"/new-*.json
echo
echo "new / old, median of $ROUNDS rounds (successful steps per second):"
"$BENCH" ratio --ours "$OUT"/new-*.json --peer "$OUT"/old-*.json | sed -e 's/Keygate ok\/s/  new ok\/s/; s/peer ok\/s/ old ok\/s/; s/Keygate\/peer/   new\/old/'
