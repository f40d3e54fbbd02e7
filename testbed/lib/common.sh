# Shared helpers for up.sh / down.sh / ctl.sh. Source it; it does not run anything by itself.
# shellcheck shell=bash

TB_LIB="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TB_HOME="$(cd "$TB_LIB/.." && pwd)"            # <repo>/testbed
TB_REPO="$(cd "$TB_HOME/.." && pwd)"           # <repo>
# shellcheck source=versions.sh
source "$TB_LIB/versions.sh"

STATE="${TESTBED_DIR:-$TB_REPO/.testbed}"
mkdir -p "$STATE"
STATE="$(cd "$STATE" && pwd)"
export TESTBED_DIR="$STATE"
PKI="$STATE/pki"
LOGS="$STATE/logs"
RUN="$STATE/run"
mkdir -p "$PKI" "$LOGS" "$RUN"
chmod 700 "$STATE" "$PKI"

NODE="${TESTBED_NODE:-$TB_REPO/node_modules/.bin/node}"
FIXTURE="$TB_HOME/telemetry-fixture.json"

command -v go >/dev/null 2>&1 || export PATH="$PATH:/usr/local/go/bin"

tb_log() { printf '[testbed %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
tb_die() { tb_log "ERROR: $*"; exit 1; }

# ---------------------------------------------------------------- ports
# Ports are chosen once per state dir and kept (ctl.sh restarts reuse them). up.sh re-picks a port
# only if the component is not running and something else grabbed it meanwhile.
PORTS_FILE="$STATE/ports.env"

port_in_use() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

pick_port() {
  local p i
  for i in $(seq 1 200); do
    p=$(( 20000 + RANDOM % 30000 ))
    port_in_use "$p" && continue
    # avoid handing out the same port twice in one run
    [[ " ${TB_PICKED:-} " == *" $p "* ]] && continue
    TB_PICKED="${TB_PICKED:-} $p"
    echo "$p"; return 0
  done
  tb_die "no free loopback port found"
}

load_ports() { [[ -f "$PORTS_FILE" ]] && source "$PORTS_FILE"; true; }

save_ports() {
  cat >"$PORTS_FILE" <<EOF
ETCD_PORT=$ETCD_PORT
ETCD_PEER_PORT=$ETCD_PEER_PORT
APISERVER_PORT=$APISERVER_PORT
PROMETHEUS_PORT=$PROMETHEUS_PORT
EOF
}

# ---------------------------------------------------------------- processes
pidfile() { echo "$RUN/$1.pid"; }

# pid of a running component, or empty. Checks the pid still belongs to our process (its command
# line mentions a path inside this state dir), so a recycled pid is never reported (or killed).
comp_pid() {
  local f pid
  f="$(pidfile "$1")"
  [[ -f "$f" ]] || return 0
  pid="$(cat "$f" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  [[ -r "/proc/$pid/cmdline" ]] || return 0
  # "$STATE/" with the slash: /x/.testbed must not match /x/.testbed-other/...
  if tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$STATE/"; then echo "$pid"; fi
}

# start_detached NAME LOGFILE CMD... : new session (setsid) + nohup, so it outlives the caller;
# the pid file holds the pid of the program itself (bash writes $$ then execs it).
start_detached() {
  local name="$1" logf="$2"; shift 2
  {
    echo "==== $(date -Is) starting $name: $*"
  } >>"$logf"
  # The wrapper closes every inherited descriptor above 2 (the lock fd of up.sh/ctl.sh, pipes of
  # a calling test runner, ...) so the daemon never keeps a caller's pipe or lock open.
  # shellcheck disable=SC2016
  setsid nohup bash -c 'for fd in $(ls /proc/$$/fd); do if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi; done
    echo $$ >"$0"; exec "$@"' "$(pidfile "$name")" "$@" >>"$logf" 2>&1 </dev/null &
  local i
  for i in $(seq 1 50); do [[ -s "$(pidfile "$name")" ]] && break; sleep 0.1; done
}

stop_comp() {
  local name="$1" pid i
  pid="$(comp_pid "$name")"
  if [[ -z "$pid" ]]; then rm -f "$(pidfile "$name")"; return 0; fi
  tb_log "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do
    [[ -d "/proc/$pid" ]] || break
    # zombie (not reaped because the parent is gone) counts as stopped
    [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" == Z ]] && break
    sleep 0.1
  done
  if [[ -d "/proc/$pid" ]] && [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]]; then
    tb_log "$name did not stop within 10s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.3
  fi
  # Give init a moment to reap the (re-parented) process so `ps` shows nothing left.
  for i in $(seq 1 20); do [[ -d "/proc/$pid" ]] || break; sleep 0.1; done
  rm -f "$(pidfile "$name")"
}

# wait_for NAME TIMEOUT LOGFILE CHECK-FUNCTION... : polls every 0.25 s, fails with the log tail.
wait_for() {
  local name="$1" timeout="$2" logf="$3"; shift 3
  local deadline=$(( SECONDS + timeout ))
  while (( SECONDS < deadline )); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [[ -n "${TB_WAIT_PID:-}" ]] && ! [[ -d "/proc/$TB_WAIT_PID" ]]; then
      tb_log "$name exited during startup; last lines of $logf:"
      tail -n 30 "$logf" >&2 || true
      return 1
    fi
    sleep 0.25
  done
  tb_log "timed out after ${timeout}s waiting for $name; last lines of $logf:"
  tail -n 30 "$logf" >&2 || true
  return 1
}

# ---------------------------------------------------------------- binaries
BIN_ROOT="${TESTBED_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/istio-api-testbed/bin}"
KUBE_APISERVER_BIN="$BIN_ROOT/kubernetes-$K8S_VERSION/kube-apiserver"
ETCD_BIN="$BIN_ROOT/etcd-$ETCD_VERSION/etcd"
# Fallback recorded by build.sh when the etcd build failed and Debian's etcd-server is used.
[[ -f "$BIN_ROOT/etcd-$ETCD_VERSION/USE_FALLBACK" ]] && ETCD_BIN="$(cat "$BIN_ROOT/etcd-$ETCD_VERSION/USE_FALLBACK")"

# ---------------------------------------------------------------- etcd
etcd_healthy() { curl -sf --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" | grep -q '"health":"true"'; }

start_etcd() {
  if [[ -n "$(comp_pid etcd)" ]] && etcd_healthy; then return 0; fi
  stop_comp etcd
  [[ -x "$ETCD_BIN" ]] || tb_die "etcd binary missing ($ETCD_BIN); run testbed/up.sh"
  tb_log "starting etcd on 127.0.0.1:$ETCD_PORT"
  mkdir -p "$STATE/etcd"; chmod 700 "$STATE/etcd"
  local extra=(--unsafe-no-fsync)   # test data only; not in Debian's 3.4 fallback
  "$ETCD_BIN" --version 2>/dev/null | grep -q 'etcd Version: 3\.4' && extra=()
  start_detached etcd "$LOGS/etcd.log" "$ETCD_BIN" \
    --name testbed --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "testbed=http://127.0.0.1:$ETCD_PEER_PORT" --initial-cluster-state new \
    --quota-backend-bytes 2147483648 --log-level warn "${extra[@]}"
  TB_WAIT_PID="$(comp_pid etcd)" wait_for etcd 30 "$LOGS/etcd.log" etcd_healthy || tb_die "etcd did not become healthy"
}

# ---------------------------------------------------------------- kube-apiserver
ADMIN_TOKEN_FILE="$STATE/admin.token"
apiserver_get() { # path
  curl -sf --max-time 3 --cacert "$PKI/ca.crt" -H "Authorization: Bearer $(cat "$ADMIN_TOKEN_FILE")" \
    "https://127.0.0.1:$APISERVER_PORT$1"
}
apiserver_ready() { [[ "$(apiserver_get /readyz)" == ok ]]; }
apiserver_has_default_ns() { apiserver_get /api/v1/namespaces/default >/dev/null; }

start_apiserver() {
  if [[ -n "$(comp_pid apiserver)" ]] && apiserver_ready; then return 0; fi
  stop_comp apiserver
  [[ -x "$KUBE_APISERVER_BIN" ]] || tb_die "kube-apiserver binary missing ($KUBE_APISERVER_BIN); run testbed/up.sh"
  etcd_healthy || tb_die "etcd is not running/healthy on port $ETCD_PORT (start it first: testbed/ctl.sh start etcd)"
  tb_log "starting kube-apiserver $K8S_VERSION on https://127.0.0.1:$APISERVER_PORT"
  mkdir -p "$STATE/apiserver-certs"
  start_detached apiserver "$LOGS/kube-apiserver.log" "$KUBE_APISERVER_BIN" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$APISERVER_PORT" \
    --cert-dir "$STATE/apiserver-certs" \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" \
    --token-auth-file "$STATE/tokens.csv" \
    --authorization-mode RBAC \
    --service-cluster-ip-range 10.0.0.0/24 \
    --service-account-issuer "https://kubernetes.default.svc.cluster.local" \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --disable-admission-plugins ServiceAccount \
    --allow-privileged=true \
    --endpoint-reconciler-type none \
    --profiling=false \
    --v=1
  TB_WAIT_PID="$(comp_pid apiserver)" wait_for kube-apiserver 120 "$LOGS/kube-apiserver.log" apiserver_ready \
    || tb_die "kube-apiserver did not become ready"
  wait_for "namespace default" 60 "$LOGS/kube-apiserver.log" apiserver_has_default_ns \
    || tb_die "namespace default did not appear"
}

# ---------------------------------------------------------------- prometheus
PROM_DATA="$STATE/prometheus/data"
PROM_CONFIG="$STATE/prometheus/prometheus.yml"
prometheus_ready() { curl -sf --max-time 2 "http://127.0.0.1:$PROMETHEUS_PORT/-/ready" >/dev/null; }

start_prometheus() {
  if [[ -n "$(comp_pid prometheus)" ]] && prometheus_ready; then return 0; fi
  stop_comp prometheus
  command -v prometheus >/dev/null 2>&1 || tb_die "prometheus not installed; run testbed/up.sh"
  [[ -d "$PROM_DATA" ]] || tb_die "no Prometheus data in $PROM_DATA; run testbed/up.sh"
  tb_log "starting prometheus on http://127.0.0.1:$PROMETHEUS_PORT"
  # Retention: blocks are dropped when older than (newest block end - retention); 3650d keeps all.
  start_detached prometheus "$LOGS/prometheus.log" prometheus \
    --config.file "$PROM_CONFIG" --storage.tsdb.path "$PROM_DATA" \
    --storage.tsdb.retention.time 3650d \
    --web.listen-address "127.0.0.1:$PROMETHEUS_PORT" --web.enable-lifecycle \
    --log.level warn
  TB_WAIT_PID="$(comp_pid prometheus)" wait_for prometheus 60 "$LOGS/prometheus.log" prometheus_ready \
    || tb_die "prometheus did not become ready"
}
