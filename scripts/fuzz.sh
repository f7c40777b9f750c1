#!/usr/bin/env bash
# Runs the cargo-fuzz targets (not part of CI). cargo-fuzz needs nightly compiler flags; on a
# stable toolchain RUSTC_BOOTSTRAP=1 unlocks them. Install once with `cargo install cargo-fuzz`.
#
#   scripts/fuzz.sh                 # every target, 600 s each, two at a time
#   scripts/fuzz.sh scope 60        # one target for 60 s
#
# Each run's last libFuzzer status line (with the execution count) is printed at the end; logs
# are in fuzz/logs/. A crash leaves its input in fuzz/artifacts/<target>/ and fails the script.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
export RUSTC_BOOTSTRAP=1

targets=(token_form authorize_query oidc_authorize redirect_uri scope jwt work_item_patch wiql)
if [[ $# -ge 1 ]]; then targets=("$1"); fi
seconds="${2:-600}"
parallel="${FUZZ_PARALLEL:-2}"

cargo fuzz build
mkdir -p logs

run() {
    local target="$1"
    cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -print_final_stats=1 \
        >"logs/$target.log" 2>&1
}

status=0
pids=()
for target in "${targets[@]}"; do
    run "$target" &
    pids+=("$!")
    if [[ ${#pids[@]} -ge $parallel ]]; then
        wait "${pids[0]}" || status=1
        pids=("${pids[@]:1}")
    fi
done
for pid in "${pids[@]}"; do wait "$pid" || status=1; done

for target in "${targets[@]}"; do
    echo "== $target: $(grep -E '^(#[0-9]+|Done)' "logs/$target.log" | tail -n 1)"
    grep -E 'stat::number_of_executed_units' "logs/$target.log" || true
done
exit "$status"
