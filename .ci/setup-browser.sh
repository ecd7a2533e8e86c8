#!/usr/bin/env bash
# Install what tests/test_browser.py needs: Debian's Chromium and playwright-core (from
# tests/browser/package-lock.json) pointed at it. Idempotent and quiet; safe to run every time.
set -euo pipefail
cd "$(dirname "$0")/.."

# A CJK font so that zh labels render in screenshots (WenQuanYi is small).
packages=(chromium fonts-wqy-microhei)
if ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi

lock=tests/browser/package-lock.json
stamp=tests/browser/node_modules/.installed-lock
if ! [ -f "$stamp" ] || ! cmp -s "$lock" "$stamp"; then
    # No browser download: playwright-core never fetches one, it drives /usr/bin/chromium.
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
    cp "$lock" "$stamp"
fi
