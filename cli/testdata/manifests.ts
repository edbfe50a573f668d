// YAML fixtures several tests build on.

/** Two GatewayClasses of ours: `envoy` (the default backend) and `agentgateway` (through its parameters). */
export const ENVOY_AND_AGENTGATEWAY_CLASSES = `
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: envoy}
spec: {controllerName: switchyard.dev/gateway-controller}
---
apiVersion: switchyard.dev/v1alpha1
kind: GatewayClassParameters
metadata: {name: agw}
spec: {backend: agentgateway}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: agentgateway}
spec:
  controllerName: switchyard.dev/gateway-controller
  parametersRef: {group: switchyard.dev, kind: GatewayClassParameters, name: agw}
`;

/** A Gateway of `className` in namespace apps with one HTTP listener. */
export function httpGateway(name: string, className: string, port: number): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: apps}
spec:
  gatewayClassName: ${className}
  listeners: [{name: http, protocol: HTTP, port: ${port}}]
`;
}

/** Class `switchyard`, Gateway apps/edge on port 80, and HTTPRoute apps/web sending `path` to Service web:8080. */
export function edgeWithRoute(path = '/'): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: switchyard}
spec: {controllerName: switchyard.dev/gateway-controller}
---
${httpGateway('edge', 'switchyard', 80)}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web, namespace: apps}
spec:
  parentRefs: [{name: edge}]
  rules: [{matches: [{path: {type: PathPrefix, value: ${path}}}], backendRefs: [{name: web, port: 8080}]}]
`;
}
