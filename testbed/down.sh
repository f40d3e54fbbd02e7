#!/usr/bin/env bash
# Stops every test bed process (Prometheus, kube-apiserver, etcd). Keeps state and logs in
# $TESTBED_DIR (default <repo>/.testbed); delete that directory for a completely fresh start.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

exec 9>"$STATE/.lock"
flock -w 120 9 || tb_die "another up.sh/ctl.sh holds $STATE/.lock"

rm -f "$STATE/ready"
for c in prometheus apiserver etcd; do stop_comp "$c"; done

# Verify: no process of this state dir is left (matched by its command line, which names
# files under $STATE/; other beds' dirs such as $STATE-foo/ do not match).
left="$(ps -eo pid=,comm=,args= | awk -v s="$STATE/" '($2=="etcd" || $2=="kube-apiserver" || $2=="prometheus") && index($0, s)' || true)"
if [[ -n "$left" ]]; then
  tb_log "ERROR: processes of $STATE still running:"
  echo "$left" >&2
  exit 1
fi
tb_log "test bed stopped; no processes left. Logs and data kept in $STATE"
