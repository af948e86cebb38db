#!/usr/bin/env bash
# make demo: Bulkhead end to end on an embedded control plane (etcd, kube-apiserver,
# kube-controller-manager built by hack/build-control-plane.sh). Nothing touches a configured
# cluster: the demo's control plane lives in a temporary directory and is stopped at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(bash hack/build-control-plane.sh)"
KUBECTL="$BIN/kubectl"
DIR="$(mktemp -d "${TMPDIR:-/tmp}/bulkhead-demo.XXXXXX")"
export KUBECONFIG="$DIR/kubeconfig"
OPERATOR_PID=""
start=$(date +%s)

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
cleanup() {
  say "Stopping the operator and the control plane"
  if [ -n "$OPERATOR_PID" ] && kill -0 "$OPERATOR_PID" 2>/dev/null; then
    kill -TERM "$OPERATOR_PID"; wait "$OPERATOR_PID" || true
  fi
  node bin/bulkhead.js local-cluster down --dir "$DIR" >/dev/null 2>&1 || true
  rm -rf "$DIR"
  echo "demo finished in $(( $(date +%s) - start ))s"
}
trap cleanup EXIT

say "Starting a local control plane (etcd, kube-apiserver, kube-controller-manager)"
node bin/bulkhead.js local-cluster up --dir "$DIR"
"$KUBECTL" version 2>/dev/null | sed 's/^/  /'

say "Installing the AIWorkload CRD"
"$KUBECTL" apply -f crds/
"$KUBECTL" wait --for=condition=Established crd/aiworkloads.bulkhead.dev --timeout=60s

say "Running the operator (logs: $DIR/operator.log)"
node bin/bulkhead.js run --metrics-bind-address 127.0.0.1:0 > "$DIR/operator.log" 2>&1 &
OPERATOR_PID=$!

say "Applying samples/fraud-detection.yaml"
"$KUBECTL" create namespace ml-prod
sed -n '/^apiVersion/,$p' samples/fraud-detection.yaml | "$KUBECTL" apply -f -
"$KUBECTL" -n ml-prod wait --for=condition=Ready aiworkload/fraud-detect --timeout=120s

say "The AIWorkload"
"$KUBECTL" -n ml-prod get aiworkloads -o wide

say "What Bulkhead generated"
"$KUBECTL" -n ml-prod get networkpolicies,serviceaccounts,roles,rolebindings -l app.kubernetes.io/managed-by=bulkhead

say "The model server's segment (NetworkPolicy fraud-detect-model)"
"$KUBECTL" -n ml-prod get networkpolicy fraud-detect-model -o yaml | sed -n '/^spec:/,$p'

say "Drift: deleting NetworkPolicy fraud-detect-model behind the operator's back"
"$KUBECTL" -n ml-prod delete networkpolicy fraud-detect-model
for _ in $(seq 1 50); do
  "$KUBECTL" -n ml-prod get networkpolicy fraud-detect-model >/dev/null 2>&1 && break
  sleep 0.1
done
"$KUBECTL" -n ml-prod get networkpolicy fraud-detect-model

say "Who can reach whom: pods for each component (and an intruder), then bulkhead explain --live"
pod() { # name labels serviceAccount
  "$KUBECTL" -n ml-prod run "$1" --image=registry.k8s.io/pause:3.10 --labels="$2" \
    ${3:+--overrides="{\"spec\":{\"serviceAccountName\":\"$3\"}}"} >/dev/null
}
pod gateway-0 app=fraud-gw fraud-detect-gateway
pod model-0 app=fraud-model fraud-detect-model
pod features-0 app=feast-online fraud-detect-features
pod minio-0 app=minio,bucket=transactions fraud-detect-transactions
pod train-0 job=fraud-train fraud-detect-training
pod intruder app=intruder
# (No kubelet runs here: the pods stay Pending, which is all label selection needs.)
node bin/bulkhead.js explain --live -n ml-prod

say "Status conditions"
"$KUBECTL" -n ml-prod get aiworkload fraud-detect \
  -o jsonpath='{range .status.conditions[*]}{.type}={.status} ({.reason}) {.message}{"\n"}{end}'

say "Events"
"$KUBECTL" -n ml-prod get events --field-selector involvedObject.kind=AIWorkload \
  -o custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message
