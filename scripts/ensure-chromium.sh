#!/usr/bin/env bash
# Makes sure Debian's Chromium is installed for the browser e2e test (test/e2e/swagger-ui.e2e.ts).
# Idempotent: does nothing when the browser is already there. Playwright's own browser download
# (`npx playwright install`) does not work on the project's closed CI network, so the test drives
# Debian's package with playwright-core instead.
#   CHROMIUM_PATH  browser to check (default /usr/bin/chromium; the test reads the same variable)
# Needs root (or passwordless sudo) to install; CI runs as root on a fresh Debian 12 machine.
set -euo pipefail

chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
log() { echo "[ensure-chromium] $*" >&2; }

if [[ -x "$chromium" ]]; then
  log "found $chromium ($("$chromium" --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
if [[ "$chromium" != /usr/bin/chromium ]]; then
  log "CHROMIUM_PATH=$chromium does not exist; not installing anything for a custom path"
  exit 1
fi

sudo=()
if [[ "$(id -u)" != 0 ]]; then
  if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    sudo=(sudo -n)
  else
    log "Chromium is missing and installing it needs root: run 'apt-get install -y chromium' as root (or set SKIP_BROWSER_TESTS=1)"
    exit 1
  fi
fi

log "installing Debian's chromium package"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq -o DPkg::Lock::Timeout=300
"${sudo[@]}" apt-get install -y -qq -o DPkg::Lock::Timeout=300 --no-install-recommends chromium >&2
if [[ ! -x "$chromium" ]]; then
  log "apt-get installed chromium but $chromium is still missing"
  exit 1
fi
log "installed $("$chromium" --version 2>/dev/null || echo "$chromium")"
