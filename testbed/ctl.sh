#!/usr/bin/env bash
# Stop/start ONE test bed component, keeping its port, certificates and data.
#   testbed/ctl.sh stop|start|restart|status apiserver|prometheus|etcd
#   testbed/ctl.sh status            (all components)
# start waits until the component is healthy (apiserver: /readyz; prometheus: /-/ready).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

usage() { echo "usage: $0 stop|start|restart|status [apiserver|prometheus|etcd]" >&2; exit 2; }
action="${1:-}"; comp="${2:-}"
[[ -n "$action" ]] || usage
[[ -f "$PORTS_FILE" ]] || tb_die "test bed not set up in $STATE; run testbed/up.sh first"
load_ports

health() {
  case "$1" in
    etcd) etcd_healthy ;;
    apiserver) apiserver_ready ;;
    prometheus) prometheus_ready ;;
  esac
}
status_of() {
  local pid; pid="$(comp_pid "$1")"
  if [[ -n "$pid" ]] && health "$1" 2>/dev/null; then echo "$1: running (pid $pid), healthy"
  elif [[ -n "$pid" ]]; then echo "$1: running (pid $pid), NOT healthy"
  else echo "$1: stopped"; fi
}

if [[ "$action" == status ]]; then
  if [[ -n "$comp" ]]; then status_of "$comp"; else for c in etcd apiserver prometheus; do status_of "$c"; done; fi
  exit 0
fi
case "$comp" in etcd|apiserver|prometheus) ;; *) usage ;; esac

exec 9>"$STATE/.lock"
flock -w 60 9 || tb_die "another up.sh/ctl.sh holds $STATE/.lock"

T0=$SECONDS
case "$action" in
  stop)
    stop_comp "$comp"
    rm -f "$STATE/ready" ;;
  start)
    "start_$comp"
    tb_log "$comp started and healthy in $((SECONDS - T0))s" ;;
  restart)
    stop_comp "$comp"
    "start_$comp"
    tb_log "$comp restarted and healthy in $((SECONDS - T0))s" ;;
  *) usage ;;
esac
# up.sh treats the bed as "ready" only when all three run; restore the mark when they do.
if [[ -n "$(comp_pid etcd)" && -n "$(comp_pid apiserver)" && -n "$(comp_pid prometheus)" && -f "$STATE/env" ]]; then
  touch "$STATE/ready"
fi
