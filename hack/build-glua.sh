#!/usr/bin/env bash
# Builds glua, the command-line interpreter of gopher-lua (the Lua VM Argo CD embeds for resource
# health checks), from the Go module proxy into a cache outside the work tree and prints its path.
# Reused when present. e2e/gitops runs integrations/argocd/health.lua with it.
set -euo pipefail
GLUA_VERSION="${GLUA_VERSION:-v1.1.2}"
DIR="${BULKHEAD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bulkhead}/glua-$GLUA_VERSION"
if [ ! -x "$DIR/glua" ]; then
  echo "[glua] building gopher-lua $GLUA_VERSION glua (under a minute)" >&2
  mkdir -p "$DIR"
  CGO_ENABLED=0 GOTOOLCHAIN=local GOBIN="$DIR" go install "github.com/yuin/gopher-lua/cmd/glua@$GLUA_VERSION" >&2
fi
echo "$DIR/glua"
