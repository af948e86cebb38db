#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager and kubectl from the Go module proxy
# into a cache outside the work tree, keyed by version, and reuses it when present.
# Prints the bin directory on stdout; progress goes to stderr.
#
# Why wrapper modules: k8s.io/kubernetes replaces its staging modules (k8s.io/api, client-go, ...)
# with ./staging paths at v0.0.0, so `go install k8s.io/kubernetes/cmd/...@v` cannot work. A module
# of our own requires k8s.io/kubernetes and maps every staging module to its published v0.Y.Z.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${ETCD_VERSION:-v3.7.3}"
CACHE_ROOT="${BULKHEAD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bulkhead}"
OUT="$CACHE_ROOT/k8s-$K8S_VERSION-etcd-$ETCD_VERSION"
BIN="$OUT/bin"
TOOLS=(kube-apiserver kube-controller-manager kubectl)

log() { printf '[control-plane] %s\n' "$*" >&2; }

have_all() {
  [ -x "$BIN/etcd" ] || return 1
  for t in "${TOOLS[@]}"; do [ -x "$BIN/$t" ] || return 1; done
  [ -f "$OUT/.complete" ]
}

if have_all; then
  echo "$BIN"
  exit 0
fi

command -v go >/dev/null || { log "go is required (Go 1.26 or newer)"; exit 1; }
mkdir -p "$BIN"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod
start=$(date +%s)

# --- Kubernetes ---------------------------------------------------------------------------
minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
staging_version="v0.${K8S_VERSION#v1.}"
log "resolving k8s.io/kubernetes@$K8S_VERSION"
gomod="$(cd "$WORK" && go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",/\1/p')"
mkdir -p "$WORK/k8s"
{
  echo "module bulkhead.dev/controlplane"
  echo
  echo "go $(go env GOVERSION | sed 's/^go//; s/\.[0-9]*$//')"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  # Every `k8s.io/<m> => ./staging/...` line upstream becomes `k8s.io/<m> => k8s.io/<m> v0.Y.Z`,
  # so staging modules added in later releases are picked up without editing this script.
  grep -E '^\s*k8s\.io/[^ ]+ => \./staging/' "$gomod" | awk -v v="$staging_version" '{print "replace " $1 " => " $1 " " v}'
} > "$WORK/k8s/go.mod"
cat > "$WORK/k8s/tools.go" <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
ldflags=""
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags="$ldflags -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
done
(
  cd "$WORK/k8s"
  log "go mod tidy (kubernetes)"
  go mod tidy -e >&2
  for t in "${TOOLS[@]}"; do
    log "building $t"
    go build -trimpath -tags selinux,notest,grpcnotrace -ldflags "-s -w $ldflags" -o "$BIN/$t" "k8s.io/kubernetes/cmd/$t" >&2
  done
)

# --- etcd ---------------------------------------------------------------------------------
mkdir -p "$WORK/etcd"
cat > "$WORK/etcd/go.mod" <<MOD
module bulkhead.dev/etcd

go $(go env GOVERSION | sed 's/^go//; s/\.[0-9]*$//')

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
MOD
cat > "$WORK/etcd/tools.go" <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
(
  cd "$WORK/etcd"
  log "go mod tidy (etcd)"
  go mod tidy -e >&2
  log "building etcd"
  go build -trimpath -ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3 >&2
)

elapsed=$(( $(date +%s) - start ))
printf 'k8s=%s etcd=%s built_in_seconds=%s\n' "$K8S_VERSION" "$ETCD_VERSION" "$elapsed" > "$OUT/.complete"
log "built in ${elapsed}s into $BIN"
echo "$BIN"
