#!/bin/sh
# The web app's tests: install from the lock file, type-check and build, the
# Vitest unit tests, then the browser end-to-end tests in Debian's chromium
# (installed with apt-get where we can; where we cannot, only those are skipped).
set -eu
cd "$(dirname "$0")/.."

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

echo "== web: npm ci"
npm ci --no-audit --no-fund --loglevel=error

echo "== web: build (tsc + vite)"
npm run build

echo "== web: unit tests (vitest)"
npx vitest run

if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== web: installing chromium with apt-get"
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }; then
      echo "web: apt-get could not install chromium"
    fi
  fi
fi
if [ ! -x "$CHROMIUM" ]; then
  echo "web: SKIPPING the browser end-to-end tests: no chromium at $CHROMIUM and it cannot be installed here (needs root and apt-get)."
  exit 0
fi

if [ ! -x ../.venv/bin/stelly ]; then
  echo "== web: syncing the Python workspace for the stack"
  ../scripts/uv.sh sync --frozen --all-packages --quiet
fi

echo "== web: end-to-end tests (playwright-core + $CHROMIUM against 'stelly dev')"
node --test --test-concurrency=1 --test-reporter=spec e2e/*.e2e.mjs
