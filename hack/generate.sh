#!/usr/bin/env bash
# Writes every generated file from its source of truth; with --verify, fails when a committed copy
# differs instead. Needs dist/ (make build).
set -euo pipefail
cd "$(dirname "$0")/.."
verify=false
[ "${1:-}" = "--verify" ] && verify=true

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
node bin/bulkhead.js crd > "$out/crd.yaml"
node bin/bulkhead.js crd --kind ThreatFeed > "$out/threatfeed-crd.yaml"
bash hack/argocd-cm.sh > "$out/argocd-cm.yaml"

# target file <- generated file
declare -A targets=(
  [crds/bulkhead.dev_aiworkloads.yaml]="$out/crd.yaml"
  [charts/bulkhead/crds/bulkhead.dev_aiworkloads.yaml]="$out/crd.yaml"
  [crds/bulkhead.dev_threatfeeds.yaml]="$out/threatfeed-crd.yaml"
  [charts/bulkhead/crds/bulkhead.dev_threatfeeds.yaml]="$out/threatfeed-crd.yaml"
  [integrations/argocd/argocd-cm.yaml]="$out/argocd-cm.yaml"
)
status=0
for target in "${!targets[@]}"; do
  src="${targets[$target]}"
  if $verify; then
    if ! diff -u "$target" "$src" >/dev/null 2>&1; then
      echo "verify: $target is out of date with its source (run: make generate)" >&2
      diff -u "$target" "$src" | head -40 >&2 || true
      status=1
    fi
  else
    mkdir -p "$(dirname "$target")"
    cp "$src" "$target"
    echo "wrote $target"
  fi
done
$verify && [ $status -eq 0 ] && echo "verify: generated files are up to date"
exit $status
