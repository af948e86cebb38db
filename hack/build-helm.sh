#!/usr/bin/env bash
# Builds helm from the Go module proxy into a cache outside the work tree (no release download is
# reachable on the build machines) and prints its path. Reused when present.
set -euo pipefail
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
DIR="${BULKHEAD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bulkhead}/helm-$HELM_VERSION"
if [ ! -x "$DIR/helm" ]; then
  echo "[helm] building helm $HELM_VERSION (about 3 minutes)" >&2
  mkdir -p "$DIR"
  CGO_ENABLED=0 GOTOOLCHAIN=local GOBIN="$DIR" go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2
fi
echo "$DIR/helm"
