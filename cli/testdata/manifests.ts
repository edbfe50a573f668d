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

/** Service `name` in namespace apps on `port`, whose one endpoint is a process on this machine at `targetPort`. */
export function localService(name: string, port: number, targetPort: number): string {
  return serviceAt(name, port, '127.0.0.1', targetPort);
}

/** Service `name` in namespace apps on `port`, with one ready endpoint at `address`:`targetPort`. */
export function serviceAt(name: string, port: number, address: string, targetPort = port): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}, namespace: apps}
spec: {ports: [{name: http, port: ${port}}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: ${name}-local, namespace: apps, labels: {kubernetes.io/service-name: ${name}}}
addressType: IPv4
ports: [{name: http, port: ${targetPort}, protocol: TCP}]
endpoints: [{addresses: [${address}], conditions: {ready: true}}]
`;
}

/** Service apps/web (port 80 → 9000) with one ready endpoint, 10.0.0.1. */
export const WEB_SERVICE = `apiVersion: v1
kind: Service
metadata: {name: web, namespace: apps}
spec: {ports: [{name: http, port: 80, targetPort: 9000}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-1, namespace: apps, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
ports: [{name: http, port: 9000}]
endpoints: [{addresses: [10.0.0.1], conditions: {ready: true}}]
`;
