#!/usr/bin/env bash
# Generates the Prometheus Operator's ServiceMonitor and PrometheusRule CRDs (monitoring.coreos.com/v1)
# from its API types, the Go module github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring,
# with controller-gen, as the Prometheus Operator generates them; into the cache, once, and prints
# the directory. The chart tests install them on the test cluster so that the API server validates
# the chart's ServiceMonitor and PrometheusRule (a strict dry run), as it does every other object.
# Both come from the Go module proxy (no release download is reachable on the build machines).
set -euo pipefail
api_version="${PROMETHEUS_OPERATOR_VERSION:-v0.85.0}"
controller_gen_version="${CONTROLLER_GEN_VERSION:-v0.23.0}"
cache="${BULKHEAD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bulkhead}"
out="$cache/monitoring-crds-$api_version"
kinds=(servicemonitors prometheusrules)
if [ -f "$out/monitoring.coreos.com_${kinds[0]}.yaml" ] && [ -f "$out/monitoring.coreos.com_${kinds[1]}.yaml" ]; then
  echo "$out"
  exit 0
fi
controller_gen="$(bash "$(dirname "$0")/go-tool.sh" controller-gen sigs.k8s.io/controller-tools/cmd/controller-gen "$controller_gen_version")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "[monitoring-crds] generating from github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring@$api_version" >&2
# A throwaway module that requires the API types, so that controller-gen can load their package.
(
  cd "$work"
  export GOTOOLCHAIN=local
  go mod init bulkhead.invalid/monitoring-crds >/dev/null 2>&1
  go get "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1@$api_version" >&2
  "$controller_gen" crd:crdVersions=v1 paths=github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1 output:crd:dir="$work/crds"
)
mkdir -p "$out.tmp"
for kind in "${kinds[@]}"; do cp "$work/crds/monitoring.coreos.com_$kind.yaml" "$out.tmp/"; done
rm -rf "$out"
mv "$out.tmp" "$out"
echo "$out"
