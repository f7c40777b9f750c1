#!/usr/bin/env bash
# Installs Debian's headless Chromium and its WebDriver when either is missing, for the browser test
# (examples/webapp/tests/browser.rs). Safe to run again: it does nothing when both are present.
set -euo pipefail

if [[ -x /usr/bin/chromium && -x /usr/bin/chromedriver ]]; then
    echo "chromium and chromedriver are present: $(/usr/bin/chromium --version 2>/dev/null || true)"
    exit 0
fi

if [[ $(id -u) -ne 0 ]]; then
    SUDO=sudo
else
    SUDO=
fi

echo "installing chromium and chromium-driver from Debian"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends chromium chromium-driver fonts-liberation fonts-dejavu-core

/usr/bin/chromium --version
/usr/bin/chromedriver --version
