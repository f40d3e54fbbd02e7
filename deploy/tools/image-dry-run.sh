#!/usr/bin/env bash
# Image dry run without a Docker engine: replays the Dockerfile's stages on this machine and runs
# the result the way the container would, to check what `docker build` + `docker run` cannot be
# checked with here:
#   1. build context = the files .dockerignore lets through (Docker's own matcher, deploy/tools/lint);
#   2. "build" stage: npm ci --ignore-scripts, drop the node bin link, npm run build (tsc);
#   3. "deps" stage: npm ci --omit=dev --omit=optional --ignore-scripts; no devDependency present;
#   4. runtime: package.json + prod node_modules + dist + healthcheck.mjs, owned by root, run as
#      uid 1000 with HOST=0.0.0.0 (on a read-only bind of the app dir when mount namespaces work);
#   5. HEALTHCHECK command (node healthcheck.mjs) passes; /readyz and an authenticated call answer
#      200; a dead port fails the health check; SIGTERM stops the process cleanly.
# Node 24 stands in for the base image's node (node_modules/node/bin/node of this repo).
# Needs: Go (for deploy/tools/lint), npm registry access (or a warm ~/.npm cache), root (setpriv).
# Env: KUBECONFIG_PATH (default: the test bed's admin kubeconfig from $TESTBED_DIR/env if sourced),
#      PROMETHEUS_URL (optional), KEEP=1 keeps the work dir.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NODE_BIN_DIR="$REPO/node_modules/node/bin"
[[ -x "$NODE_BIN_DIR/node" ]] || { echo "Node 24 not found at $NODE_BIN_DIR (npm ci first)" >&2; exit 1; }
command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"
export PATH="$NODE_BIN_DIR:$PATH"   # the image's node
[[ $(id -u) -eq 0 ]] || { echo "run as root (the app runs as uid 1000 via setpriv)" >&2; exit 1; }

WORK="$(mktemp -d /tmp/istio-api-image.XXXXXX)"
chmod 711 "$WORK"
APP_PID=""
cleanup() {
  [[ -n "$APP_PID" ]] && kill "$APP_PID" 2>/dev/null || true
  if [[ "${KEEP:-}" == 1 ]]; then echo "work dir kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

step "lint + build context (.dockerignore, Docker's pattern matcher)"
go -C "$REPO/deploy/tools/lint" build -o "$WORK/deploy-lint" .
CONTEXT_LIST="$WORK/context.txt" "$WORK/deploy-lint" "$REPO"
mkdir -p "$WORK/context"
(cd "$REPO" && tar -cf - -T "$WORK/context.txt") | tar -xf - -C "$WORK/context"

step "stage build: npm ci --ignore-scripts && npm run build"
mkdir -p "$WORK/build"
cp "$WORK/context/package.json" "$WORK/context/package-lock.json" "$WORK/build/"
(cd "$WORK/build" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && rm -f node_modules/.bin/node)
cp "$WORK/context/tsconfig.json" "$WORK/context/nest-cli.json" "$WORK/build/"
cp -r "$WORK/context/src" "$WORK/build/src"
(cd "$WORK/build" && npm run --silent build)
[[ -f "$WORK/build/dist/main.js" ]] || fail "dist/main.js not built"
echo "built $(find "$WORK/build/dist" -name '*.js' | wc -l) JS files with $(node --version)"

step "stage deps: npm ci --omit=dev --omit=optional --ignore-scripts"
mkdir -p "$WORK/deps"
cp "$WORK/context/package.json" "$WORK/context/package-lock.json" "$WORK/deps/"
(cd "$WORK/deps" && NODE_ENV=production npm ci --omit=dev --omit=optional --ignore-scripts --no-audit --no-fund --loglevel=error)
DEV_PRESENT="$(node -e '
  const pkg = require(process.argv[1] + "/package.json"); const fs = require("fs");
  console.log(Object.keys(pkg.devDependencies || {}).filter((name) => !name.startsWith("@types/") && fs.existsSync(process.argv[1] + "/node_modules/" + name)).join(" "));
' "$WORK/deps")"
[[ -z "$DEV_PRESENT" ]] || fail "devDependencies in the production node_modules: $DEV_PRESENT"
echo "production node_modules: $(du -sh "$WORK/deps/node_modules" | cut -f1), no devDependency present (@types/* allowed: runtime deps such as @kubernetes/client-node declare them)"

step "runtime: /app owned by root, run as uid 1000"
APP="$WORK/rootfs/app"
mkdir -p "$APP"
cp "$WORK/context/package.json" "$APP/"
cp -r "$WORK/deps/node_modules" "$APP/node_modules"
cp -r "$WORK/build/dist" "$APP/dist"
cp "$WORK/context/deploy/docker/healthcheck.mjs" "$APP/healthcheck.mjs"
chown -R root:root "$WORK/rootfs"
chmod -R go-w "$WORK/rootfs"
echo "image /app: $(du -sh "$APP" | cut -f1)"

KUBECONFIG_SRC="${KUBECONFIG_PATH:-}"
[[ -n "$KUBECONFIG_SRC" ]] || fail "set KUBECONFIG_PATH (e.g. source the test bed env)"
install -o 1000 -g 1000 -m 0400 "$KUBECONFIG_SRC" "$WORK/kubeconfig"   # like a read-only mounted file
PORT="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
SECRET="$(openssl rand -hex 32)"
RUN_AS=(setpriv --reuid=1000 --regid=1000 --clear-groups)
ENV=(env -i "PATH=$NODE_BIN_DIR:/usr/bin:/bin" NODE_ENV=production HOST=0.0.0.0 "PORT=$PORT" "JWT_SECRET=$SECRET"
     "KUBECONFIG_PATH=$WORK/kubeconfig" "PROMETHEUS_URL=${PROMETHEUS_URL:-}" LOG_LEVEL=warn)

READ_ONLY=0
if unshare -m true 2>/dev/null; then READ_ONLY=1; fi
if (( READ_ONLY )); then
  echo "starting node dist/main.js as uid 1000 with /app mounted read-only (mount namespace)"
  (cd "$APP" && exec unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"' sh "$APP" \
     "${RUN_AS[@]}" "${ENV[@]}" node dist/main.js) >"$WORK/app.log" 2>&1 &
else
  echo "starting node dist/main.js as uid 1000 (no mount namespace here: /app is only non-writable, not a read-only mount)"
  (cd "$APP" && exec "${RUN_AS[@]}" "${ENV[@]}" node dist/main.js) >"$WORK/app.log" 2>&1 &
fi
APP_PID=$!
for _ in $(seq 1 100); do
  if (cd "$APP" && "${RUN_AS[@]}" env -i "PORT=$PORT" "$NODE_BIN_DIR/node" healthcheck.mjs >/dev/null 2>&1); then break; fi
  kill -0 "$APP_PID" 2>/dev/null || { cat "$WORK/app.log" >&2; fail "the app exited during start-up"; }
  sleep 0.2
done

step "checks"
check() { local what="$1"; shift; if "$@"; then echo "ok   $what"; else fail "$what"; fi; }
UID_OF_APP="$(ps -o uid= -p "$(pgrep -P "$APP_PID" -f 'node dist/main.js' || echo "$APP_PID")" | tr -d ' ')"
check "process runs as uid 1000 (got $UID_OF_APP)" test "$UID_OF_APP" = 1000
check "listens on 0.0.0.0:$PORT" sh -c "ss -Htln 'sport = :$PORT' | grep -q '0.0.0.0:$PORT'"
check "HEALTHCHECK command (node healthcheck.mjs /healthz) exits 0" sh -c "cd '$APP' && ${RUN_AS[*]} env -i PORT=$PORT '$NODE_BIN_DIR/node' healthcheck.mjs /healthz"
check "node healthcheck.mjs /readyz exits 0 (Kubernetes + Prometheus reachable)" sh -c "cd '$APP' && ${RUN_AS[*]} env -i PORT=$PORT '$NODE_BIN_DIR/node' healthcheck.mjs /readyz"
TOKEN="$(SECRET="$SECRET" node -e '
  const c = require("crypto"); const b = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const now = Math.floor(Date.now() / 1000); const h = b({ alg: "HS256", typ: "JWT" }), p = b({ sub: "dry-run", roles: ["viewer"], iat: now, exp: now + 300 });
  console.log(`${h}.${p}.${c.createHmac("sha256", process.env.SECRET).update(`${h}.${p}`).digest("base64url")}`);')"
STATUS_CODE="$(curl -s -o "$WORK/status.json" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/istio/status")"
check "GET /api/v1/istio/status with a JWT answers 200 (got $STATUS_CODE: $(head -c 120 "$WORK/status.json"))" test "$STATUS_CODE" = 200
check "a dead port fails the health check (exit 1)" sh -c "! (cd '$APP' && env -i PORT=1 '$NODE_BIN_DIR/node' healthcheck.mjs 2>/dev/null)"
check "no file was written under /app" sh -c "[ -z \"\$(find '$APP' -newer '$APP/healthcheck.mjs' -type f | head -1)\" ]"

step "SIGTERM"
kill -TERM "$APP_PID"
for _ in $(seq 1 50); do kill -0 "$APP_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$APP_PID" 2>/dev/null; then fail "still running 5 s after SIGTERM"; fi
set +e; wait "$APP_PID"; CODE=$?; set -e
APP_PID=""
check "exited after SIGTERM with code $CODE (0 or 143)" sh -c "[ $CODE -eq 0 ] || [ $CODE -eq 143 ]"
grep -qi '"level":"\?error\|"level":50\|Error:' "$WORK/app.log" && { echo "app log had errors:"; cat "$WORK/app.log"; } || true
echo
echo "image dry run passed"
