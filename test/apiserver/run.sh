#!/usr/bin/env bash
# shellcheck disable=SC2317 # stop_pid/cleanup run from the EXIT trap
# Real API-server verification: starts etcd and kube-apiserver (built from source, cached)
# on 127.0.0.1, installs the CRDs in test/apiserver/crds/, creates namespaces (Pod
# Security `restricted`), RuntimeClasses, PriorityClasses and ServiceAccounts for real,
# and sends every other object with server-side dry-run. Ends with the line
#   apiserver: N passed, M failed
# and exits non-zero when M > 0.
#
# Usage: bash test/apiserver/run.sh [FILE|DIR...]     (default: synthesize, then dist/)
#
# Environment:
#   KATA_APISERVER_CACHE   build cache (default $HOME/.cache/kata-blueprints/apiserver)
#   KATA_APISERVER_KEEP=1  keep the run directory (certificates, server logs) for debugging
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cache="${KATA_APISERVER_CACHE:-${HOME:-/root}/.cache/kata-blueprints/apiserver}"

work=""
etcd_pid=""
apiserver_pid=""
reported=0

log() { printf 'apiserver: %s\n' "$*" >&2; }

stop_pid() {
  local pid="$1" waited=0
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  while [ "$waited" -lt 100 ]; do # up to 10 s for a clean shutdown
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
    waited=$((waited + 1))
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

show_logs() {
  local f
  for f in "$work/apiserver.log" "$work/etcd.log"; do
    if [ -s "$f" ]; then
      log "last lines of $(basename "$f"):"
      tail -n 40 "$f" >&2 || true
    fi
  done
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  stop_pid "$apiserver_pid"
  stop_pid "$etcd_pid"
  if [ "$reported" -eq 0 ]; then
    # Failed before the check could report: still end with the summary line.
    [ -n "$work" ] && show_logs
    echo "apiserver: 0 passed, 1 failed"
    rc=1
  fi
  if [ -n "$work" ]; then
    if [ "${KATA_APISERVER_KEEP:-}" = "1" ]; then
      log "run directory kept: $work"
    else
      rm -rf "$work"
    fi
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- inputs ---------------------------------------------------------------------------
inputs=("$@")
if [ ${#inputs[@]} -eq 0 ]; then
  cd "$root"
  if [ -f scripts/synth-examples.ts ]; then
    log "npm run synth:examples"
    npm run --silent synth:examples >&2
  elif [ -f examples/platform/main.ts ]; then
    log "npm run synth"
    npm run --silent synth >&2
  fi
  inputs=("dist")
fi

# --- build (cached outside git, keyed by go.mod/go.sum, sources and Go version) ---------
command -v go >/dev/null || { log "go is required (see README.md, Real API-server verification)"; exit 1; }
# kube-apiserver reports the release it was built from (as the official build does).
k8s_version="$(cd "$here" && go list -m -f '{{.Version}}' k8s.io/kubernetes)"
k8s_minor="${k8s_version#v1.}"
k8s_minor="${k8s_minor%%.*}"
version_pkg=k8s.io/component-base/version
ldflags="-s -w -X $version_pkg.gitVersion=$k8s_version -X $version_pkg.gitMajor=1 -X $version_pkg.gitMinor=$k8s_minor"
ldflags="$ldflags -X $version_pkg.gitTreeState=clean"
hash_of() { (cat "$@" && go env GOVERSION GOARCH GOOS && echo "$ldflags") | sha256sum | cut -c1-16; }
servers_key="$(hash_of "$here/go.mod" "$here/go.sum" "$here"/cmd/etcd/*.go)"
tool_key="$(hash_of "$here/go.mod" "$here/go.sum" "$here"/cmd/apicheck/*.go)"
servers="$cache/servers-$servers_key"
tool="$cache/apicheck-$tool_key"
mkdir -p "$cache"

build() { # build DEST PKG...
  local dest="$1" tmp start
  shift
  tmp="$(mktemp -d "$cache/.build-XXXXXX")"
  start=$SECONDS
  if ! (cd "$here" && CGO_ENABLED=0 go build -trimpath -ldflags="$ldflags" -o "$tmp/" "$@") >&2; then
    rm -rf "$tmp"
    log "build failed: $*"
    return 1
  fi
  # Atomic rename; if a concurrent run got there first, keep its copy.
  mv -T "$tmp" "$dest" 2>/dev/null || rm -rf "$tmp"
  log "built $* in $((SECONDS - start))s"
}
prune() { # prune PREFIX KEEP: drop other cache entries untouched for a day
  find "$cache" -maxdepth 1 -name "$1-*" ! -name "$2" -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
  find "$cache" -maxdepth 1 -name '.build-*' -mmin +1440 -exec rm -rf {} + 2>/dev/null || true
}

if [ ! -x "$servers/kube-apiserver" ] || [ ! -x "$servers/etcd" ]; then
  log "building kube-apiserver and etcd (first run only, several minutes) into $servers"
  build "$servers" k8s.io/kubernetes/cmd/kube-apiserver ./cmd/etcd
  prune servers "servers-$servers_key"
fi
if [ ! -x "$tool/apicheck" ]; then
  # The client's own unit tests (loader, pod-template derivation) gate its build.
  (cd "$here" && CGO_ENABLED=0 go test -trimpath ./cmd/apicheck) >&2 || { log "apicheck unit tests failed"; exit 1; }
  build "$tool" ./cmd/apicheck
  prune apicheck "apicheck-$tool_key"
fi

# --- start etcd and kube-apiserver on 127.0.0.1 ------------------------------------------
work="$(mktemp -d "${TMPDIR:-/tmp}/kata-apiserver.XXXXXX")"
"$tool/apicheck" pki "$work"
mapfile -t ports < <("$tool/apicheck" ports 3)
etcd_client="http://127.0.0.1:${ports[0]}"
etcd_peer="http://127.0.0.1:${ports[1]}"
server="https://127.0.0.1:${ports[2]}"

"$servers/etcd" \
  --name apicheck \
  --data-dir "$work/etcd" \
  --listen-client-urls "$etcd_client" \
  --advertise-client-urls "$etcd_client" \
  --listen-peer-urls "$etcd_peer" \
  --initial-advertise-peer-urls "$etcd_peer" \
  --initial-cluster "apicheck=$etcd_peer" \
  --initial-cluster-state new \
  --unsafe-no-fsync \
  --log-level warn \
  >"$work/etcd.log" 2>&1 &
etcd_pid=$!

"$servers/kube-apiserver" \
  --etcd-servers "$etcd_client" \
  --bind-address 127.0.0.1 \
  --advertise-address 127.0.0.1 \
  --secure-port "${ports[2]}" \
  --tls-cert-file "$work/apiserver.crt" \
  --tls-private-key-file "$work/apiserver.key" \
  --token-auth-file "$work/tokens.csv" \
  --authorization-mode RBAC \
  --service-account-issuer https://kubernetes.default.svc.cluster.local \
  --service-account-key-file "$work/sa.pub" \
  --service-account-signing-key-file "$work/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 \
  --endpoint-reconciler-type none \
  --allow-privileged=true \
  --profiling=false \
  --v=1 \
  >"$work/apiserver.log" 2>&1 &
apiserver_pid=$!

conn=(-server "$server" -ca "$work/ca.crt" -token-file "$work/token")
log "waiting for kube-apiserver at $server (etcd at $etcd_client)"
if ! "$tool/apicheck" wait "${conn[@]}" -timeout 3m; then
  log "kube-apiserver did not become ready"
  exit 1
fi
"$servers/kube-apiserver" --version >&2 || true

# --- check ------------------------------------------------------------------------------
set +e
"$tool/apicheck" check "${conn[@]}" -crds "$here/crds" "${inputs[@]}"
rc=$?
set -e
if [ "$rc" -le 1 ]; then
  reported=1 # apicheck printed the summary line itself
fi
if ! kill -0 "$apiserver_pid" 2>/dev/null || ! kill -0 "$etcd_pid" 2>/dev/null; then
  log "a server exited during the check"
  show_logs
  [ "$rc" -ne 0 ] || rc=1
fi
exit "$rc"
