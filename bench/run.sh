#!/usr/bin/env bash
# npm run bench: the performance benchmark (see bench/README.md).
# Uses its own test bed state dir (default <repo>/.testbed-bench, override with BENCH_TESTBED_DIR):
# starts it when it is not up and stops it again at the end; a test bed that was already up is left
# running. Builds the app into bench/out/dist (not dist/), runs bench/bench.mjs with Node 24,
# prints the table and writes bench/RESULTS.md. Loopback only; about 5-8 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
export PATH="$REPO/node_modules/.bin:$PATH"
export TESTBED_DIR="${BENCH_TESTBED_DIR:-$REPO/.testbed-bench}"
log() { echo "[bench $(date +%H:%M:%S)] $*" >&2; }

[[ -x node_modules/.bin/node ]] || { log "run npm ci first (Node 24 comes from node_modules)"; exit 1; }
mkdir -p bench/out

up_already() {
  [[ -f "$TESTBED_DIR/ready" && -f "$TESTBED_DIR/env" ]] || return 1
  local component pid
  for component in etcd apiserver prometheus; do
    pid="$(cat "$TESTBED_DIR/run/$component.pid" 2>/dev/null || true)"
    [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  done
}

STARTED=""
cleanup() {
  if [[ -n "$STARTED" ]]; then
    log "stopping the test bed this run started ($TESTBED_DIR)"
    bash testbed/down.sh >&2 || true
  fi
}
trap cleanup EXIT

if up_already; then
  log "using the running test bed in $TESTBED_DIR"
else
  log "starting a test bed in $TESTBED_DIR"
  STARTED=1
fi
# Idempotent: re-checks health (and refreshes telemetry that is about to run out).
bash testbed/up.sh >/dev/null

set -a
# shellcheck disable=SC1091
source "$TESTBED_DIR/env"
set +a
# One service with production-like series cardinality for rows 3e/3f (once per test bed backfill).
node bench/lib/scale-telemetry.mjs

log "building the app into bench/out/dist"
rm -rf bench/out/dist
tsc -p tsconfig.json --outDir bench/out/dist

node bench/bench.mjs
