#!/usr/bin/env bash
# Builds glua, the command-line interpreter of gopher-lua (the Lua VM Argo CD embeds for resource
# health checks), into the cache (seconds, once) and prints its path. e2e/gitops runs
# integrations/argocd/health.lua with it.
set -euo pipefail
exec bash "$(dirname "$0")/go-tool.sh" glua github.com/yuin/gopher-lua/cmd/glua "${GLUA_VERSION:-v1.1.2}"
