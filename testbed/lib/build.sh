#!/usr/bin/env bash
# Ensure kube-apiserver and etcd binaries exist in the version-keyed cache; build them with Go
# from the module proxy if missing. Prints the binary paths as shell assignments on stdout's last
# lines (KUBE_APISERVER_BIN=..., ETCD_BIN=...). Progress goes to stderr.
#
#   bash testbed/lib/build.sh            # both (in parallel)
#   bash testbed/lib/build.sh apiserver  # just one
#   bash testbed/lib/build.sh etcd
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.sh
source "$HERE/versions.sh"

log() { printf '[testbed %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

command -v go >/dev/null 2>&1 || export PATH="/usr/local/go/bin:$PATH"
command -v go >/dev/null 2>&1 || { log "ERROR: go toolchain not found (need Go >= 1.26)"; exit 1; }

BIN_ROOT="${TESTBED_BIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/istio-api-testbed/bin}"
APISERVER_DIR="$BIN_ROOT/kubernetes-$K8S_VERSION"
ETCD_DIR="$BIN_ROOT/etcd-$ETCD_VERSION"
KUBE_APISERVER_BIN="$APISERVER_DIR/kube-apiserver"
ETCD_BIN="$ETCD_DIR/etcd"
BUILD_LOG_DIR="${TESTBED_BUILD_LOG_DIR:-$BIN_ROOT/logs}"
mkdir -p "$APISERVER_DIR" "$ETCD_DIR" "$BUILD_LOG_DIR"

# go build for a wrapper module. $1 = module dir, $2 = package, $3 = output, $4 = log, $5.. ldflags
go_build() {
  local mod="$1" pkg="$2" out="$3" logf="$4" ldflags="$5"
  local tmp="$out.tmp.$$"
  (
    cd "$mod"
    # -mod=readonly: go.mod/go.sum are committed and must not change during CI builds.
    CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath -ldflags "$ldflags" -o "$tmp" "$pkg"
  ) >"$logf" 2>&1 || { rm -f "$tmp"; return 1; }
  mv -f "$tmp" "$out"
}

# Print a progress line every 30 s while a background build runs.
wait_build() {
  local pid="$1" name="$2" logf="$3" start="$SECONDS" last="$SECONDS" n
  local cache; cache="$(go env GOCACHE)"
  while kill -0 "$pid" 2>/dev/null; do
    sleep 2
    if (( SECONDS - last >= 30 )); then
      last=$SECONDS
      n=$(find "$cache" -newer "$logf" -type f -name '*-d' 2>/dev/null | wc -l || true)
      log "  ... still building $name ($((SECONDS - start))s elapsed, $n compiled objects so far (cold: ~1100 for etcd, ~3100 for kube-apiserver); log $logf)"
    fi
  done
  wait "$pid"
}

build_apiserver() {
  [[ -x "$KUBE_APISERVER_BIN" ]] && return 0
  log "building kube-apiserver $K8S_VERSION with Go (cold: 5-15 min on 2 cores; cached afterwards in $APISERVER_DIR)"
  local ver="v$K8S_VERSION" minor
  minor="$(cut -d. -f2 <<<"$K8S_VERSION")"
  local ld="-s -w"
  ld+=" -X k8s.io/component-base/version.gitVersion=$ver"
  ld+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  ld+=" -X k8s.io/component-base/version.gitTreeState=clean"
  ld+=" -X k8s.io/client-go/pkg/version.gitVersion=$ver"
  go_build "$HERE/../go/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver \
    "$KUBE_APISERVER_BIN" "$BUILD_LOG_DIR/kube-apiserver-build.log" "$ld"
}

build_etcd() {
  [[ -x "$ETCD_BIN" ]] && return 0
  [[ -f "$ETCD_DIR/USE_FALLBACK" ]] && { ETCD_BIN="$(cat "$ETCD_DIR/USE_FALLBACK")"; return 0; }
  log "building etcd $ETCD_VERSION with Go (cached afterwards in $ETCD_DIR)"
  go_build "$HERE/../go/etcd" go.etcd.io/etcd/server/v3 "$ETCD_BIN" "$BUILD_LOG_DIR/etcd-build.log" \
    "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=v$ETCD_VERSION"
}

# Fallback: Debian's etcd-server (3.4.x; older than kube-apiserver supports officially).
etcd_fallback() {
  log "WARNING: etcd build failed (see $BUILD_LOG_DIR/etcd-build.log); falling back to Debian etcd-server"
  if ! command -v etcd >/dev/null 2>&1 && [[ ! -x /usr/bin/etcd ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends etcd-server >&2
  fi
  ETCD_BIN="$(command -v etcd || echo /usr/bin/etcd)"
  # Recorded so that later runs (common.sh) use the fallback without retrying the build.
  echo "$ETCD_BIN" >"$ETCD_DIR/USE_FALLBACK"
}

what="${1:-all}"
start=$SECONDS
case "$what" in
  apiserver) build_apiserver ;;
  etcd) build_etcd || etcd_fallback ;;
  all)
    need_api=0; need_etcd=0
    [[ -x "$KUBE_APISERVER_BIN" ]] || need_api=1
    [[ -x "$ETCD_BIN" || -f "$ETCD_DIR/USE_FALLBACK" ]] || need_etcd=1
    if (( need_api || need_etcd )); then
      log "Go caches: GOMODCACHE=$(go env GOMODCACHE) GOCACHE=$(go env GOCACHE)"
      # Download modules first (network-bound), then compile (CPU-bound).
      if (( need_api )); then
        log "downloading Go modules for kube-apiserver $K8S_VERSION ..."
        (cd "$HERE/../go/kube-apiserver" && GOFLAGS=-mod=readonly go mod download) >&2
      fi
      if (( need_etcd )); then
        log "downloading Go modules for etcd $ETCD_VERSION ..."
        (cd "$HERE/../go/etcd" && GOFLAGS=-mod=readonly go mod download) >&2 || true
      fi
      rc_etcd=0; rc_api=0
      if (( need_etcd )); then
        build_etcd & pid_etcd=$!
        wait_build "$pid_etcd" etcd "$BUILD_LOG_DIR/etcd-build.log" || rc_etcd=$?
        if (( rc_etcd != 0 )); then etcd_fallback; else log "etcd built ($((SECONDS - start))s)"; fi
      fi
      if (( need_api )); then
        build_apiserver & pid_api=$!
        wait_build "$pid_api" kube-apiserver "$BUILD_LOG_DIR/kube-apiserver-build.log" || rc_api=$?
        if (( rc_api != 0 )); then
          log "ERROR: kube-apiserver build failed; last lines of $BUILD_LOG_DIR/kube-apiserver-build.log:"
          tail -n 40 "$BUILD_LOG_DIR/kube-apiserver-build.log" >&2 || true
          exit 1
        fi
        log "kube-apiserver built ($((SECONDS - start))s total)"
      fi
    fi
    ;;
  *) echo "usage: $0 [all|apiserver|etcd]" >&2; exit 2 ;;
esac

echo "KUBE_APISERVER_BIN=$KUBE_APISERVER_BIN"
echo "ETCD_BIN=$ETCD_BIN"
