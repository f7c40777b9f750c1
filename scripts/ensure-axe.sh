#!/usr/bin/env bash
# Installs axe-core, pinned by tests/browser/package-lock.json, into tests/browser/node_modules for
# the page browser test (crates/keygate-server/tests/pages_browser.rs), which runs it in Chromium.
# Safe to run again: it reinstalls only when the lock file changed since the last install.
# Prints the path of axe.min.js as its last line. Exits non-zero when npm is missing or fails.
set -euo pipefail

tools="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tests/browser" && pwd)"
axe="$tools/node_modules/axe-core/axe.min.js"
stamp="$tools/node_modules/.keygate-lock"

if [[ -f "$axe" ]] && cmp -s "$tools/package-lock.json" "$stamp"; then
    echo "$axe"
    exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
    echo "error: npm is not installed; the page browser test needs Node.js and npm for axe-core" >&2
    exit 1
fi

echo "ensure-axe: installing the pinned axe-core into $tools/node_modules" >&2
# --ignore-scripts: nothing from the registry runs on this machine; axe-core needs no build step.
npm ci --prefix "$tools" --ignore-scripts --no-audit --no-fund --loglevel=error >&2
cp "$tools/package-lock.json" "$stamp"
echo "$axe"
