#!/usr/bin/env bash
# Builds the NetworkPolicy enforcer of the local dataplane, sigs.k8s.io/kube-network-policies (the
# engine kind's default CNI embeds), from the Go module proxy into the cache, once, and prints the
# binary's path. v1.1.1 is served by exact version although the proxy does not list it; it needs a
# pseudo-version of sigs.k8s.io/network-policy-api that the checksum database does not know, hence
# GONOSUMDB for that one module. See docs/dataplane.md.
set -euo pipefail
export GONOSUMDB=sigs.k8s.io/network-policy-api GOFLAGS=-mod=mod
exec bash "$(dirname "$0")/go-tool.sh" kube-network-policies \
  sigs.k8s.io/kube-network-policies/cmd/kube-network-policies/standard "${KNP_VERSION:-v1.1.1}"
