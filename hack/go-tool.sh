#!/usr/bin/env bash
# go-tool.sh NAME PACKAGE VERSION: builds a Go command from the Go module proxy into
# $BULKHEAD_CACHE (default ~/.cache/bulkhead)/NAME-VERSION, once, and prints the binary's path.
# No release download is reachable on the build machines; the module proxy is.
set -euo pipefail
name="$1" pkg="$2" version="$3"
dir="${BULKHEAD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bulkhead}/$name-$version"
bin="$dir/$(basename "$pkg")"
if [ ! -x "$bin" ]; then
  echo "[$name] building $pkg@$version" >&2
  mkdir -p "$dir"
  CGO_ENABLED=0 GOTOOLCHAIN=local GOBIN="$dir" go install "$pkg@$version" >&2
fi
echo "$bin"
