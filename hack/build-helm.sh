#!/usr/bin/env bash
# Builds helm from the Go module proxy into the cache (about 3 minutes, once) and prints its path.
set -euo pipefail
exec bash "$(dirname "$0")/go-tool.sh" helm helm.sh/helm/v3/cmd/helm "${HELM_VERSION:-v3.22.0}"
