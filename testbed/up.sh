#!/usr/bin/env bash
# Brings up the test bed on 127.0.0.1: etcd + kube-apiserver (built from the Go module proxy),
# Istio CRDs, the seeded demo mesh, and Prometheus with backfilled Istio telemetry.
# Idempotent: when everything is already up and healthy it only re-prints the env.
# State (certs, tokens, data, logs, pids, env): $TESTBED_DIR (default <repo>/.testbed).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

T0=$SECONDS
ENV_FILE="$STATE/env"
RANGE_FILE="$STATE/telemetry-range.json"
READY_MARK="$STATE/ready"

exec 9>"$STATE/.lock"
flock -w 1200 9 || tb_die "another up.sh/ctl.sh holds $STATE/.lock"

[[ -x "$NODE" ]] || tb_die "Node 24 not found at $NODE (run npm ci first)"

now() { date +%s; }
range_end() { [[ -f "$RANGE_FILE" ]] && "$NODE" -p "require('$RANGE_FILE').end" 2>/dev/null || echo 0; }
fixture_hash() { sha256sum "$FIXTURE" "$TB_HOME/js/gen-telemetry.mjs" | sha256sum | cut -c1-16; }

# ------------------------------------------------------------------ already up?
load_ports
if [[ -f "$READY_MARK" && -f "$ENV_FILE" && -n "${APISERVER_PORT:-}" ]] \
   && [[ -n "$(comp_pid etcd)" && -n "$(comp_pid apiserver)" && -n "$(comp_pid prometheus)" ]] \
   && etcd_healthy && apiserver_ready && prometheus_ready \
   && (( $(range_end) - $(now) > 3600 )); then
  tb_log "test bed already up and healthy ($STATE)"
  cat "$ENV_FILE"
  exit 0
fi
rm -f "$READY_MARK"

# ------------------------------------------------------------------ binaries (long pole: start first)
BUILD_OUT="$LOGS/build.out"
BUILD_PID=""
if [[ -x "$KUBE_APISERVER_BIN" && ( -x "$ETCD_BIN" ) ]]; then
  tb_log "binaries cached: $KUBE_APISERVER_BIN, $ETCD_BIN"
else
  tb_log "binaries not cached; building in the background (progress below, log $LOGS/build.log)"
  bash "$TB_LIB/build.sh" all >"$BUILD_OUT" 2> >(tee -a "$LOGS/build.log" >&2) &
  BUILD_PID=$!
fi

# ------------------------------------------------------------------ prometheus package
if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
  tb_log "installing Prometheus from Debian (apt-get install prometheus)"
  [[ $(id -u) -eq 0 ]] || tb_die "prometheus/promtool missing and not root: apt-get install -y prometheus"
  export DEBIAN_FRONTEND=noninteractive
  # Keep the package's maintainer scripts from starting a system-wide Prometheus on :9090
  # (policy-rc.d exit 101 = "action forbidden"); removed again right after the install.
  POLICY_RC=""
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && POLICY_RC=1
    trap 'if [[ -n "$POLICY_RC" ]]; then rm -f /usr/sbin/policy-rc.d; fi' EXIT
  fi
  apt-get update -qq >"$LOGS/apt.log" 2>&1 || { tail -20 "$LOGS/apt.log" >&2; tb_die "apt-get update failed"; }
  # No systemd here: the package's postinst cannot start a service, which is what we want.
  apt-get install -y -qq --no-install-recommends prometheus >>"$LOGS/apt.log" 2>&1 \
    || { tail -20 "$LOGS/apt.log" >&2; tb_die "apt-get install prometheus failed"; }
  [[ -n "$POLICY_RC" ]] && rm -f /usr/sbin/policy-rc.d && POLICY_RC=""
  tb_log "installed $(prometheus --version 2>&1 | head -1)"
fi

# ------------------------------------------------------------------ ports
TB_PICKED=""
need_port() { # VAR component
  local var="$1" comp="$2" cur="${!1:-}"
  if [[ -n "$cur" ]]; then
    if [[ -n "$comp" && -n "$(comp_pid "$comp")" ]]; then TB_PICKED+=" $cur"; return; fi
    if ! port_in_use "$cur"; then TB_PICKED+=" $cur"; return; fi
    tb_log "port $cur ($var) is taken by another process; picking a new one"
  fi
  printf -v "$var" '%s' "$(pick_port)"
  TB_PICKED+=" ${!var}"
}
need_port ETCD_PORT etcd
need_port ETCD_PEER_PORT etcd
need_port APISERVER_PORT apiserver
need_port PROMETHEUS_PORT prometheus
save_ports

# ------------------------------------------------------------------ secrets and certificates
if [[ ! -f "$PKI/ca.crt" || ! -f "$PKI/apiserver.crt" || ! -f "$PKI/sa.key" ]]; then
  tb_log "generating CA, serving certificate (127.0.0.1, localhost) and service-account key in $PKI"
  (
    cd "$PKI"
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
      -subj "/CN=istio-api-testbed-ca" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver" 2>/dev/null
    cat >apiserver.ext <<'EOF'
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.0.0.1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out apiserver.crt \
      -days 3650 -extfile apiserver.ext 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    rm -f apiserver.csr apiserver.ext
    chmod 644 ca.crt apiserver.crt sa.pub
  )
fi
rand_hex() { openssl rand -hex "$1"; }
[[ -s "$STATE/admin.token" ]] || (umask 077; rand_hex 24 >"$STATE/admin.token")
[[ -s "$STATE/restricted.token" ]] || (umask 077; rand_hex 24 >"$STATE/restricted.token")
[[ -s "$STATE/jwt_secret" ]] || (umask 077; rand_hex 32 >"$STATE/jwt_secret")
(
  umask 077
  printf '%s,testbed-admin,testbed-admin-uid,"system:masters"\n' "$(cat "$STATE/admin.token")"
  printf '%s,testbed-restricted,testbed-restricted-uid\n' "$(cat "$STATE/restricted.token")"
) >"$STATE/tokens.csv"

write_kubeconfig() { # file user token
  local ca; ca="$(base64 -w0 <"$PKI/ca.crt")"
  (umask 077; cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: testbed
    cluster:
      server: https://127.0.0.1:$APISERVER_PORT
      certificate-authority-data: $ca
users:
  - name: $2
    user:
      token: $3
contexts:
  - name: $2@testbed
    context:
      cluster: testbed
      user: $2
      namespace: default
current-context: $2@testbed
EOF
  )
}
ADMIN_KUBECONFIG="$STATE/kubeconfig-admin.yaml"
RESTRICTED_KUBECONFIG="$STATE/kubeconfig-restricted.yaml"
write_kubeconfig "$ADMIN_KUBECONFIG" testbed-admin "$(cat "$STATE/admin.token")"
write_kubeconfig "$RESTRICTED_KUBECONFIG" testbed-restricted "$(cat "$STATE/restricted.token")"

# ------------------------------------------------------------------ prometheus (in the background)
prometheus_up() {
  local want_hash; want_hash="$(fixture_hash)"
  if [[ -n "$(comp_pid prometheus)" ]] && prometheus_ready && (( $(range_end) - $(now) > 3600 )) \
     && [[ "$(cat "$STATE/prometheus/fixture.hash" 2>/dev/null)" == "$want_hash" ]]; then
    tb_log "prometheus already running with current telemetry"
    return 0
  fi
  stop_comp prometheus
  mkdir -p "$STATE/prometheus"
  cat >"$PROM_CONFIG" <<'EOF'
# Test bed Prometheus: serves backfilled Istio telemetry only. No scrape jobs: the backfill
# extends into the future (see README), so samples scraped "now" would be out of bounds anyway.
global:
  scrape_interval: 15s
  evaluation_interval: 15s
scrape_configs: []
EOF
  # Reuse the existing backfill when it was made from the same fixture and still covers
  # at least 2 more hours (i.e. it is < 1 h old); otherwise regenerate relative to now.
  if [[ -d "$PROM_DATA" && "$(cat "$STATE/prometheus/fixture.hash" 2>/dev/null)" == "$want_hash" ]] \
     && (( $(range_end) - $(now) > 7200 )); then
    tb_log "reusing backfilled telemetry (covers until $(date -d @"$(range_end)" +%H:%M:%S))"
  else
    local t=$SECONDS om="$STATE/prometheus/telemetry.om"
    tb_log "generating Istio telemetry from $(basename "$FIXTURE") (6 h back, 3 h ahead, 15 s samples)"
    rm -rf "$PROM_DATA" "$STATE/prometheus/fixture.hash"
    mkdir -p "$PROM_DATA"
    "$NODE" "$TB_HOME/js/gen-telemetry.mjs" --fixture "$FIXTURE" --out "$om" --range-out "$RANGE_FILE" >"$LOGS/gen-telemetry.log"
    tb_log "backfilling with promtool tsdb create-blocks-from openmetrics"
    promtool tsdb create-blocks-from openmetrics --max-block-duration=24h "$om" "$PROM_DATA" >"$LOGS/promtool.log" 2>&1 \
      || { tail -20 "$LOGS/promtool.log" >&2; tb_die "promtool backfill failed"; }
    rm -f "$om"
    echo "$want_hash" >"$STATE/prometheus/fixture.hash"
    tb_log "telemetry backfilled in $((SECONDS - t))s ($(cat "$LOGS/gen-telemetry.log"))"
  fi
  start_prometheus
}
prometheus_up &
PROM_PID=$!

# ------------------------------------------------------------------ etcd + kube-apiserver
if [[ -n "$BUILD_PID" ]]; then
  tb_log "waiting for the Go build (pid $BUILD_PID) ..."
  wait "$BUILD_PID" || { tail -30 "$LOGS/build.log" >&2; tb_die "building binaries failed"; }
  eval "$(grep -E '^(KUBE_APISERVER_BIN|ETCD_BIN)=' "$BUILD_OUT")"
fi
start_etcd
start_apiserver
tb_log "kube-apiserver ready ($((SECONDS - T0))s since start)"

export KUBECONFIG_PATH="$ADMIN_KUBECONFIG"
ISTIO_API_DIR="$(cd "$TB_HOME/go/istio-api" && go mod download -json istio.io/api | "$NODE" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).Dir))')"
CRD_FILE="$ISTIO_API_DIR/kubernetes/customresourcedefinitions.gen.yaml"
[[ -f "$CRD_FILE" ]] || tb_die "CRD file not found: $CRD_FILE"
tb_log "installing Istio CRDs from istio.io/api v$ISTIO_API_VERSION"
"$NODE" "$TB_HOME/js/apply-crds.mjs" "$CRD_FILE"
tb_log "seeding demo mesh and RBAC"
"$NODE" "$TB_HOME/js/seed-mesh.mjs" "$TB_HOME/manifests/rbac.yaml" "$TB_HOME/manifests/demo-mesh.yaml"

# ------------------------------------------------------------------ wait for prometheus
wait "$PROM_PID" || tb_die "prometheus setup failed (see messages above and $LOGS/prometheus.log)"

TEL_START="$("$NODE" -p "require('$RANGE_FILE').start")"
TEL_END="$("$NODE" -p "require('$RANGE_FILE').end")"
cat >"$ENV_FILE" <<EOF
# istio-api test bed ($(date -Is)). Source this file: . $ENV_FILE
export TESTBED=1
export TESTBED_DIR=$STATE
export KUBECONFIG_PATH=$ADMIN_KUBECONFIG
export TESTBED_RESTRICTED_KUBECONFIG=$RESTRICTED_KUBECONFIG
export TESTBED_APISERVER_URL=https://127.0.0.1:$APISERVER_PORT
export TESTBED_CA_FILE=$PKI/ca.crt
export TESTBED_ADMIN_TOKEN=$(cat "$STATE/admin.token")
export TESTBED_RESTRICTED_TOKEN=$(cat "$STATE/restricted.token")
export TESTBED_ETCD_URL=http://127.0.0.1:$ETCD_PORT
export PROMETHEUS_URL=http://127.0.0.1:$PROMETHEUS_PORT
export TESTBED_TELEMETRY_FIXTURE=$FIXTURE
export TESTBED_TELEMETRY_START=$TEL_START
export TESTBED_TELEMETRY_END=$TEL_END
export JWT_SECRET=$(cat "$STATE/jwt_secret")
EOF
chmod 600 "$ENV_FILE"

# ------------------------------------------------------------------ verify
(
  set -a; source "$ENV_FILE"; set +a
  "$NODE" "$TB_HOME/js/verify.mjs"
) || tb_die "verification failed"
touch "$READY_MARK"
tb_log "test bed up in $((SECONDS - T0))s. Environment ($ENV_FILE):"
cat "$ENV_FILE"
