#!/usr/bin/env bash
# The one "run it" command (`npm run dev`): starts the local test bed (real kube-apiserver with
# Istio CRDs and a demo mesh, real Prometheus with Istio telemetry), builds the service and runs it
# against that stack, printing the Swagger UI URL and a dev admin token. Ctrl-C stops the service;
# `npm run stack:down` stops the stack.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_dependencies

bash testbed/up.sh
set -a
# shellcheck disable=SC1091
source .testbed/env
set +a
export PORT="${PORT:-3000}" HOST="${HOST:-127.0.0.1}"
echo "[dev] building..." >&2
npm run --silent build
token=$(node scripts/token.mjs --sub dev-admin --role admin --ttl 12h)
cat >&2 <<MSG

  Istio API on the local test bed
  Swagger UI:  http://$HOST:$PORT/api/docs   (Authorize -> paste the token below)
  Admin token: $token
  Try:         curl -H "Authorization: Bearer \$TOKEN" "http://$HOST:$PORT/api/v1/istio/virtual-services?namespace=payments"
  More tokens: npm run token -- --sub alice --role viewer
  Stop stack:  npm run stack:down

MSG
# As the image runs it (see the Dockerfile): a 2 MB semi-space and two malloc arenas.
export MALLOC_ARENA_MAX=2
exec node --max-semi-space-size=2 dist/main.js
