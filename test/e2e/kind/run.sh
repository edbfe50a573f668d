#!/usr/bin/env bash
# Switchyard end to end on a real cluster, for a machine with Docker: creates a kind cluster, builds the image and
# loads it, installs the Gateway API CRDs and the Helm chart, applies example.yaml, waits for the Gateway to be
# Programmed (its Envoy Deployment provisioned, ready and ACKing) and sends a request through it.
#
#   test/e2e/kind/run.sh            # everything, then deletes the cluster
#   KEEP_CLUSTER=1 test/e2e/kind/run.sh
#
# Needs docker, kind, kubectl, helm and curl. Our CI machines have no Docker: the suite runs the same flow against
# a real kube-apiserver without a kubelet instead (test/e2e/kind-flow.test.ts) and asserts on the provisioned
# objects rather than on pods.
set -euo pipefail

cluster=${CLUSTER:-switchyard-e2e}
image=${IMAGE:-switchyard:e2e}
gateway_api=${GATEWAY_API_VERSION:-v1.6.3}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)

for tool in docker kind kubectl helm curl; do
  command -v "$tool" >/dev/null || { echo "run.sh: needs $tool on PATH" >&2; exit 2; }
done

cleanup() {
  [[ -n "${forward:-}" ]] && kill "$forward" 2>/dev/null || true
  if [[ "${KEEP_CLUSTER:-}" != 1 ]]; then kind delete cluster --name "$cluster"; fi
}
trap cleanup EXIT

kind get clusters | grep -qx "$cluster" || kind create cluster --name "$cluster" --wait 120s
kubectl config use-context "kind-$cluster"

docker build -t "$image" "$root"
kind load docker-image "$image" --name "$cluster"

kubectl apply --server-side -f \
  "https://github.com/kubernetes-sigs/gateway-api/releases/download/$gateway_api/experimental-install.yaml"
helm upgrade --install switchyard "$root/deploy/helm/switchyard" \
  --namespace switchyard-system --create-namespace \
  --set image.repository="${image%:*}" --set image.tag="${image##*:}" --set image.pullPolicy=Never \
  --wait --timeout 180s

kubectl apply -f "$here/example.yaml"
kubectl -n default rollout status deployment/echo --timeout=180s
# The controller provisions switchyard-e2e (ServiceAccount, ConfigMap, Deployment, Service). Programmed needs an
# address (the ClusterIP Service's, see example.yaml) and the provisioned Envoy's ACK of the current config.
kubectl -n default rollout status deployment/switchyard-e2e --timeout=180s
kubectl -n default wait --for=condition=Programmed gateway/e2e --timeout=120s
kubectl -n default get gateway e2e -o jsonpath='{.status.addresses[0].value}{"\n"}'

kubectl -n default port-forward service/switchyard-e2e 18080:80 >/dev/null &
forward=$!
for attempt in $(seq 1 30); do
  if body=$(curl -fsS http://127.0.0.1:18080/echo?msg=switchyard 2>/dev/null); then
    echo "through the gateway: $body"
    exit 0
  fi
  sleep 2
done
echo "run.sh: no answer through the gateway" >&2
kubectl -n default get gateway e2e -o yaml >&2
kubectl -n default logs deployment/switchyard-e2e --tail=50 >&2 || true
exit 1
