#!/usr/bin/env bash
# kind e2e: Bulkhead on a real kind cluster, where kindnet enforces NetworkPolicy (kind >= 0.24),
# with real pods and real connectivity probes, compared against `bulkhead explain --live`.
#
# Needs a Docker engine, kind and kubectl. The build machines of this project have no Docker engine:
# there this script says SKIPPED and exits 0 without pretending anything passed. It is not part of
# `make test`; run it with `make e2e-kind` on a machine with Docker.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! docker info >/dev/null 2>&1 || ! command -v kind >/dev/null; then
  echo "SKIPPED: kind e2e needs a running Docker engine and kind; nothing was run." >&2
  exit 0
fi

CLUSTER="${KIND_CLUSTER:-bulkhead-e2e}"
IMAGE="bulkhead:e2e"
AGNHOST="registry.k8s.io/e2e-test-images/agnhost:2.52"
NS=kind-e2e
export KUBECONFIG="$(mktemp)"
cleanup() { [ "${KEEP_CLUSTER:-}" = 1 ] || kind delete cluster --name "$CLUSTER" >/dev/null 2>&1 || true; rm -f "$KUBECONFIG"; }
trap cleanup EXIT

kind create cluster --name "$CLUSTER" --kubeconfig "$KUBECONFIG" --wait 120s
docker build -t "$IMAGE" .
kind load docker-image --name "$CLUSTER" "$IMAGE"

kubectl apply --server-side -f crds/
kubectl wait --for=condition=Established crd/aiworkloads.bulkhead.dev --timeout=60s
kubectl apply -f manifests/
kubectl -n bulkhead-system set image deployment/bulkhead "operator=$IMAGE"
kubectl -n bulkhead-system rollout status deployment/bulkhead --timeout=180s

# The sample's components as real pods that listen on their declared ports, plus an intruder.
kubectl create namespace "$NS"
kubectl create namespace ingress-nginx --dry-run=client -o yaml | kubectl apply -f -
sed "s/namespace: ml-prod/namespace: $NS/" samples/fraud-detection.yaml | kubectl apply -f -
kubectl -n "$NS" wait --for=condition=Ready aiworkload/fraud-detect --timeout=120s
pod() { # name namespace labels port serviceAccount
  kubectl -n "$2" run "$1" --image="$AGNHOST" --labels="$3" --port="$4" ${5:+--overrides="{\"spec\":{\"serviceAccountName\":\"$5\"}}"} \
    -- netexec --http-port="$4"
}
pod gw "$NS" app=fraud-gw 8080 fraud-detect-gateway
pod model "$NS" app=fraud-model 9000 fraud-detect-model
pod features "$NS" app=feast-online 6379 fraud-detect-features
pod minio "$NS" app=minio,bucket=transactions 9000 fraud-detect-transactions
pod train "$NS" job=fraud-train 8080 fraud-detect-training
pod intruder "$NS" app=intruder 8080
pod nginx ingress-nginx app.kubernetes.io/name=ingress-nginx 8080
kubectl -n "$NS" wait --for=condition=Ready pod --all --timeout=180s
kubectl -n ingress-nginx wait --for=condition=Ready pod/nginx --timeout=180s

# Probe every (source, destination port) pair that matters, and compare with the analysis.
ip() { kubectl -n "$1" get pod "$2" -o jsonpath='{.status.podIP}'; }
probe() { # srcNs src dstNs dst port -> prints "open" or "closed"
  if kubectl -n "$1" exec "$2" -- /agnhost connect "$(ip "$3" "$4"):$5" --timeout=3s --protocol=tcp >/dev/null 2>&1; then echo open; else echo closed; fi
}
fail=0
expect() { # want srcNs src dstNs dst port
  got=$(probe "$2" "$3" "$4" "$5" "$6")
  if [ "$got" = "$1" ]; then echo "ok    $2/$3 -> $4/$5:$6 $got"; else echo "FAIL  $2/$3 -> $4/$5:$6 $got (want $1)"; fail=1; fi
}
expect open   "$NS" gw       "$NS" model    9000
expect closed "$NS" intruder "$NS" model    9000
expect open   "$NS" model    "$NS" features 6379
expect closed "$NS" gw       "$NS" features 6379
expect open   "$NS" train    "$NS" minio    9000
expect closed "$NS" model    "$NS" minio    9000
expect closed "$NS" minio    "$NS" intruder 8080   # a Dataset has no egress
expect open   ingress-nginx nginx "$NS" gw  8080
expect closed "$NS" intruder "$NS" gw       8080

# The analysis must agree with what the CNI enforced.
node bin/bulkhead.js explain --live -n "$NS" > "$KUBECONFIG.explain"
grep -q "$NS/gw\[Pod\] => $NS/model\[Pod\] : TCP 9000" "$KUBECONFIG.explain" || { echo "FAIL explain misses gw => model"; fail=1; }
grep -q "$NS/intruder\[Pod\] => $NS/model" "$KUBECONFIG.explain" && { echo "FAIL explain shows intruder => model"; fail=1; }
rm -f "$KUBECONFIG.explain"
[ $fail -eq 0 ] && echo "kind e2e: PASSED" || { echo "kind e2e: FAILED"; exit 1; }
