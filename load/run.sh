#!/usr/bin/env bash
# Bounded load run with one injected kube-apiserver outage (`npm run test:load`; see load/README.md).
#  - uses its own test bed (LOAD_TESTBED_DIR, default .testbed-load), started if needed and stopped
#    again afterwards if this script started it;
#  - builds the service into load/.build and runs it as a separate process (node load/.build/main.js)
#    with the test bed's env file;
#  - load/load.mjs drives mixed traffic with autocannon for LOAD_SECONDS (default 60), stops and
#    restarts kube-apiserver in the middle, samples the service's RSS and CPU, and writes
#    load/RESULTS.md. Exit status 1 when a criterion fails (see load/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_dependencies

export TESTBED_DIR="${LOAD_TESTBED_DIR:-$PWD/.testbed-load}"
out=load/.out
mkdir -p "$out"

started=0
if [[ "$(bash testbed/ctl.sh status 2>/dev/null | grep -c ', healthy$' || true)" != 3 ]]; then
  started=1
  echo "[load] starting the test bed in $TESTBED_DIR" >&2
  bash testbed/up.sh >"$out/testbed-up.log" 2>&1 || { tail -30 "$out/testbed-up.log" >&2; exit 1; }
fi

service_pid=""
cleanup() {
  if [[ -n "$service_pid" ]] && kill -0 "$service_pid" 2>/dev/null; then
    kill -TERM "$service_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$service_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$service_pid" 2>/dev/null || true
  fi
  if (( started )); then bash testbed/down.sh >"$out/testbed-down.log" 2>&1 || true; fi
}
trap cleanup EXIT

if [[ "${LOAD_BUILD:-1}" == 0 && -f load/.build/main.js ]]; then
  echo "[load] LOAD_BUILD=0: using the existing load/.build" >&2
else
  echo "[load] building the service into load/.build" >&2
  rm -rf load/.build
  tsc -p tsconfig.json --outDir load/.build
fi

set -a
# shellcheck disable=SC1091
source "$TESTBED_DIR/env"
set +a
free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
port="$(free_port)"
inspect_port="$(free_port)"
# One caller at several hundred requests/s would only measure the per-caller rate limit: it is off.
# The inspector (loopback only) lets load.mjs force a full GC to measure the live heap before/after.
# LOAD_NODE_OPTIONS adds Node flags, e.g. "--max-old-space-size=256" to model a container limit.
# shellcheck disable=SC2086
PORT="$port" HOST=127.0.0.1 RATE_LIMIT_PER_MINUTE=0 LOG_LEVEL="${LOAD_LOG_LEVEL:-warn}" \
  node --inspect="127.0.0.1:$inspect_port" ${LOAD_NODE_OPTIONS:-} load/.build/main.js >"$out/service.log" 2>&1 &
service_pid=$!

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  kill -0 "$service_pid" 2>/dev/null || { echo "[load] the service exited at start-up:" >&2; tail -20 "$out/service.log" >&2; exit 1; }
  sleep 0.2
done

echo "[load] service pid $service_pid on port $port; running for ${LOAD_SECONDS:-60} s" >&2
LOAD_BASE_URL="http://127.0.0.1:$port" LOAD_SERVICE_PID="$service_pid" LOAD_INSPECT_PORT="$inspect_port" node load/load.mjs
