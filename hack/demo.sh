#!/usr/bin/env bash
# make demo: Bulkhead end to end on an embedded control plane (etcd, kube-apiserver,
# kube-controller-manager built by hack/build-control-plane.sh) and a real NetworkPolicy dataplane
# (pods as network namespaces, kube-network-policies as the enforcer; needs root). Nothing touches a
# configured cluster: the demo's control plane and dataplane live in temporary state and are
# removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$(bash hack/build-control-plane.sh)"
KUBECTL="$BIN/kubectl"
DIR="$(mktemp -d "${TMPDIR:-/tmp}/bulkhead-demo.XXXXXX")"
export KUBECONFIG="$DIR/kubeconfig"
OPERATOR_PID=""
DATAPLANE=""
start=$(date +%s)
bulkhead() { node bin/bulkhead.js "$@"; }

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
cleanup() {
  say "Stopping the operator and the control plane"
  if [ -n "$OPERATOR_PID" ] && kill -0 "$OPERATOR_PID" 2>/dev/null; then
    kill -TERM "$OPERATOR_PID"; wait "$OPERATOR_PID" || true
  fi
  [ -z "$DATAPLANE" ] || bulkhead dataplane down --dir "$DIR" >/dev/null 2>&1 || true
  bulkhead local-cluster down --dir "$DIR" >/dev/null 2>&1 || true
  rm -rf "$DIR"
  echo "demo finished in $(( $(date +%s) - start ))s"
}
trap cleanup EXIT

say "Starting a local control plane (etcd, kube-apiserver, kube-controller-manager)"
bulkhead local-cluster up --dir "$DIR"
"$KUBECTL" version 2>/dev/null | sed 's/^/  /'

say "Installing the AIWorkload CRD"
"$KUBECTL" apply -f crds/
"$KUBECTL" wait --for=condition=Established crd/aiworkloads.bulkhead.dev --timeout=60s

# The operator's own namespace, as an install makes it: the identity registry lives there.
"$KUBECTL" apply -f manifests/00-namespace.yaml

say "Running the operator (logs: $DIR/operator.log)"
node --expose-gc bin/bulkhead.js run --metrics-bind-address 127.0.0.1:0 > "$DIR/operator.log" 2>&1 &
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

if bulkhead dataplane up --dir "$DIR" 2>"$DIR/dataplane.err" >/dev/null; then
  DATAPLANE=1
  say "Pods on a real dataplane: network namespaces with routed veths, kube-network-policies enforcing NetworkPolicy"
  pod() { # name labels serviceAccount port...
    local name=$1 labels=$2 sa=$3; shift 3
    bulkhead dataplane pod "ml-prod/$name" --dir "$DIR" --labels "$labels" ${sa:+--service-account "$sa"} \
      $(for p in "$@"; do printf -- '--port %s ' "$p"; done) | sed 's/^/  /'
  }
  "$KUBECTL" create namespace ingress-nginx >/dev/null
  pod gateway-0 app=fraud-gw fraud-detect-gateway http:8080
  pod model-0 app=fraud-model fraud-detect-model grpc:9000 metrics:9090
  pod features-0 app=feast-online fraud-detect-features redis:6379
  pod minio-0 app=minio,bucket=transactions fraud-detect-transactions s3:9000
  pod train-0 job=fraud-train fraud-detect-training
  pod intruder app=intruder "" 8080
  bulkhead dataplane pod ingress-nginx/controller --dir "$DIR" --labels app.kubernetes.io/name=ingress-nginx | sed 's/^/  /'
  bulkhead dataplane outside internet --dir "$DIR" --ip 203.0.113.10 --ip 2001:db8::10 --port 443 | sed 's/^/  /'

  say "Who can reach whom, on packets (new connections from inside each pod, IPv4 and IPv6)"
  probe() { # from to port [--udp]: one verdict, or one per family when they differ
    local out proto=TCP v4 v6 verdict
    [ -z "${4:-}" ] || proto=UDP
    out=$(bulkhead dataplane probe "$1" "$2" "$3" ${4:-} --dir "$DIR" || true)
    v4=$(grep -E ' [0-9.]+ (TCP|UDP)/' <<<"$out" | grep -q refused && echo refused || echo connected)
    v6=$(grep -E ' [0-9a-f:]+:[0-9a-f]* (TCP|UDP)/' <<<"$out" | grep -q refused && echo refused || echo connected)
    verdict=$([ "$v4" = "$v6" ] && echo "$v4" || echo "IPv4 $v4, IPv6 $v6")
    printf '  %-26s -> %-20s %s/%-5s %s\n' "$1" "$2" "$proto" "$3" "$verdict"
  }
  probe ingress-nginx/controller ml-prod/gateway-0 8080
  probe ml-prod/gateway-0 ml-prod/model-0 9000
  probe ml-prod/model-0 ml-prod/features-0 6379
  probe ml-prod/train-0 ml-prod/minio-0 9000
  probe ml-prod/train-0 internet 443
  probe ml-prod/intruder ml-prod/model-0 9000
  probe ml-prod/gateway-0 ml-prod/model-0 9090
  probe ml-prod/gateway-0 ml-prod/model-0 9000 --udp
  probe ml-prod/model-0 ml-prod/gateway-0 8080
  probe ml-prod/minio-0 internet 443
  probe ml-prod/features-0 ml-prod/intruder 8080
  probe ingress-nginx/controller ml-prod/model-0 9000

  say "Drift on packets: the intruder opens a connection every 20 ms while NetworkPolicy fraud-detect-model is deleted"
  bulkhead dataplane probe ml-prod/intruder ml-prod/model-0 9000 --every 20 --for 2000 --dir "$DIR" | sed 's/^/  /' &
  PROBER=$!
  sleep 0.5
  "$KUBECTL" -n ml-prod delete networkpolicy fraud-detect-model | sed 's/^/  /'
  wait "$PROBER"
  "$KUBECTL" -n ml-prod get networkpolicy fraud-detect-model
else
  say "No dataplane here ($(tail -n 1 "$DIR/dataplane.err")): connectivity from the analysis instead"
  "$KUBECTL" -n ml-prod delete networkpolicy fraud-detect-model
  for _ in $(seq 1 50); do
    "$KUBECTL" -n ml-prod get networkpolicy fraud-detect-model >/dev/null 2>&1 && break
    sleep 0.1
  done
  "$KUBECTL" -n ml-prod get networkpolicy fraud-detect-model
  for p in gateway-0:app=fraud-gw model-0:app=fraud-model intruder:app=intruder; do
    "$KUBECTL" -n ml-prod run "${p%%:*}" --image=registry.k8s.io/pause:3.10 --labels="${p#*:}" >/dev/null
  done
  bulkhead explain --live -n ml-prod
fi

say "Status conditions"
"$KUBECTL" -n ml-prod get aiworkload fraud-detect \
  -o jsonpath='{range .status.conditions[*]}{.type}={.status} ({.reason}) {.message}{"\n"}{end}'

say "Events"
"$KUBECTL" -n ml-prod get events --field-selector involvedObject.kind=AIWorkload \
  -o custom-columns=TYPE:.type,REASON:.reason,MESSAGE:.message
