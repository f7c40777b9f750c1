#!/usr/bin/env bash
# Keygate against node-oidc-provider, side by side in one run: builds Keygate in release mode,
# installs oidc-provider from npm into bench/scratch, starts both on loopback (each pinned to the
# same core), and runs the shared scenarios (client-credentials, refresh, introspect) against
# each in turn with the same concurrency, printing the ratio Keygate/peer per scenario: per round,
# and with ROUNDS > 1 the median of the rounds (the table shows each scenario's median run).
#
#   bench/compare.sh [DURATION] [CONNECTIONS] [ROUNDS]     (defaults: 10s 32 1)
#
# Reports land in bench/scratch/compare/ as JSON.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
trap stop_all EXIT

DURATION=${1:-10s}
CONNECTIONS=${2:-32}
ROUNDS=${3:-1}
OUT=${COMPARE_OUT:-$SCRATCH/compare}

if [ -z "${SKIP_BUILD:-}" ]; then build; fi
install_peer
mkdir -p "$OUT"
rm -f "$OUT"/*.json
if [ ! -f "$SCRATCH/compare.db" ] || [ -n "${RESEED:-}" ]; then seed compare 1000; fi
start_keygate compare

KG=(--url "http://127.0.0.1:$KEYGATE_PORT" --fixture "$SCRATCH/compare.json" --flavour standard)
COMMON=(-c "$CONNECTIONS" -d "$DURATION" --warmup 2s)

for round in $(seq 1 "$ROUNDS"); do
  # A fresh peer each round, with fresh refresh chains: node-oidc-provider's in-memory adapter is
  # a bounded LRU, so the tokens and grants one round minted for a later round are evicted by the
  # time it comes (every refresh then fails with HTTP 400). Keygate's refresh run starts fresh
  # chains of its own each round through authorize + consent, so both sides start alike.
  PEER_CHAINS=$CONNECTIONS start_peer
  PEER=(--url "http://127.0.0.1:$PEER_PORT" --client-id bench --client-secret "$PEER_SECRET" --flavour standard)
  for scenario in client-credentials refresh introspect; do
    log "round $round: $scenario against keygate"
    bench "$scenario" "${KG[@]}" "${COMMON[@]}" --label keygate --server-pid "$KEYGATE_PID" \
      --json "$OUT/keygate-$scenario-$round.json"
    log "round $round: $scenario against oidc-provider"
    case $scenario in
      refresh) extra=(--refresh-tokens "$SCRATCH/peer-refresh.txt") ;;
      # oidc-provider refuses to introspect its JWT access tokens (they are for resource
      # servers to verify): introspect the opaque kind it issues for another resource.
      introspect) extra=(--resource urn:bench:opaque) ;;
      *) extra=() ;;
    esac
    bench "$scenario" "${PEER[@]}" "${COMMON[@]}" "${extra[@]}" --label oidc-provider \
      --server-pid "$PEER_PID" --json "$OUT/peer-$scenario-$round.json"
  done
  stop_pid "$PEER_PID"
done

echo
if [ "$ROUNDS" -gt 1 ]; then
  echo "median of $ROUNDS rounds (each row is the median run of its scenario and server):"
fi
"$BENCH" table --median "$OUT"/keygate-*.json "$OUT"/peer-*.json
echo
for round in $(seq 1 "$ROUNDS"); do
  echo "round $round, Keygate / oidc-provider (successful steps per second):"
  "$BENCH" ratio --ours "$OUT"/keygate-*-"$round".json --peer "$OUT"/peer-*-"$round".json
done
if [ "$ROUNDS" -gt 1 ]; then
  echo "median of $ROUNDS rounds, Keygate / oidc-provider:"
  "$BENCH" ratio --ours "$OUT"/keygate-*.json --peer "$OUT"/peer-*.json
fi
