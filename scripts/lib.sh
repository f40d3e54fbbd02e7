# Shared by scripts/test.sh and scripts/dev.sh. Source it from the repository root.
# shellcheck shell=bash

# Node 24 comes from the npm package "node" (devDependency): the machines ship Node 20, which
# @kubernetes/client-node 2 cannot run on. `npm ci` installs it; then it is first on PATH.
ensure_dependencies() {
  if [[ ! -x node_modules/.bin/node ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
    echo "[setup] installing npm dependencies (includes Node 24)..." >&2
    npm ci --no-audit --no-fund
  fi
  export PATH="$PWD/node_modules/.bin:$PATH"
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if (( major < 22 )); then
    echo "[setup] node_modules/.bin/node is Node $major; expected 24. Run: rm -rf node_modules && npm ci" >&2
    exit 1
  fi
}
