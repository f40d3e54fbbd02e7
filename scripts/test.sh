#!/usr/bin/env bash
# The one test command (`npm test`): type-check, unit + HTTP-level tests, then the e2e suite on a
# real Kubernetes API server and a real Prometheus.
#  - By default it starts the project's own test bed (testbed/up.sh) and stops it afterwards
#    (unless it was already running).
#  - With KUBECONFIG_PATH (and optionally PROMETHEUS_URL) set, the e2e suite runs against that
#    cluster instead, e.g. a kind cluster with Istio; nothing is started.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_dependencies
if [[ "${SKIP_BROWSER_TESTS:-}" != 1 ]]; then
  echo "[test] browser for the Swagger UI e2e test" >&2
  bash scripts/ensure-chromium.sh
fi

echo "[test] type-check" >&2
npm run --silent typecheck
echo "[test] unit and HTTP-level tests" >&2
npm run --silent test:unit -- --ci

if [[ -n "${KUBECONFIG_PATH:-}" && "${TESTBED:-}" != "1" ]]; then
  echo "[test] e2e against the cluster in KUBECONFIG_PATH=$KUBECONFIG_PATH (PROMETHEUS_URL=${PROMETHEUS_URL:-unset})" >&2
  npm run --silent test:e2e -- --ci
  exit 0
fi

# Leave a stack that was already running (e.g. from `npm run dev`) as it was.
started=1
if [[ "$(bash testbed/ctl.sh status 2>/dev/null | grep -c ', healthy$' || true)" == 3 ]]; then
  started=0
fi
stop_stack() { if (( started )); then bash testbed/down.sh || true; fi; }
trap stop_stack EXIT
bash testbed/up.sh
set -a
# shellcheck disable=SC1091
source .testbed/env
set +a
echo "[test] e2e against the local test bed" >&2
npm run --silent test:e2e -- --ci
