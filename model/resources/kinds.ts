// The kinds a ResourceView holds, by name: their shapes, API groups and scope. A new kind is a shape in its own
// file of this folder plus one line in each table here.

import type {
  AIGatewayRoute,
  AIServiceBackend,
  BackendSecurityPolicy,
  GatewayConfig,
  QuotaPolicy,
} from './ai-gateway.ts';
import type { BackendTrafficPolicy } from './backend-traffic-policy.ts';
import type { ClientTrafficPolicy } from './client-traffic-policy.ts';
import type { Backend, EnvoyHTTPRouteFilter, EnvoyProxy } from './envoy-gateway.ts';
import type { EnvoyExtensionPolicy, SecurityPolicy } from './envoy-gateway-policies.ts';
import type {
  BackendTLSPolicy,
  Gateway,
  GatewayClass,
  GRPCRoute,
  HTTPRoute,
  ListenerSet,
  ReferenceGrant,
  TCPRoute,
  TLSRoute,
  UDPRoute,
} from './gateway-api.ts';
import type { InferencePool } from './inference.ts';
import type { ConfigMap, EndpointSlice, Namespace, Pod, Secret, Service } from './kubernetes.ts';
import type { MCPRoute } from './mcp.ts';
import type { GatewayClassParameters } from './switchyard.ts';

export interface ResourcesByKind {
  GatewayClass: GatewayClass;
  Gateway: Gateway;
  ListenerSet: ListenerSet;
  HTTPRoute: HTTPRoute;
  GRPCRoute: GRPCRoute;
  TLSRoute: TLSRoute;
  TCPRoute: TCPRoute;
  UDPRoute: UDPRoute;
  ReferenceGrant: ReferenceGrant;
  BackendTLSPolicy: BackendTLSPolicy;
  InferencePool: InferencePool;
  GatewayClassParameters: GatewayClassParameters;
  Secret: Secret;
  ConfigMap: ConfigMap;
  Service: Service;
  EndpointSlice: EndpointSlice;
  Namespace: Namespace;
  Pod: Pod;
  AIGatewayRoute: AIGatewayRoute;
  AIServiceBackend: AIServiceBackend;
  BackendSecurityPolicy: BackendSecurityPolicy;
  SecurityPolicy: SecurityPolicy;
  ClientTrafficPolicy: ClientTrafficPolicy;
  EnvoyExtensionPolicy: EnvoyExtensionPolicy;
  MCPRoute: MCPRoute;
  GatewayConfig: GatewayConfig;
  QuotaPolicy: QuotaPolicy;
  Backend: Backend;
  EnvoyProxy: EnvoyProxy;
  HTTPRouteFilter: EnvoyHTTPRouteFilter;
  BackendTrafficPolicy: BackendTrafficPolicy;
}

export type KindName = keyof ResourcesByKind;
export type AnyResource = ResourcesByKind[KindName];

/** The API group of each kind we read. */
export const GROUP_OF_KIND: { readonly [K in KindName]: string } = {
  GatewayClass: 'gateway.networking.k8s.io',
  Gateway: 'gateway.networking.k8s.io',
  ListenerSet: 'gateway.networking.k8s.io',
  HTTPRoute: 'gateway.networking.k8s.io',
  GRPCRoute: 'gateway.networking.k8s.io',
  TLSRoute: 'gateway.networking.k8s.io',
  TCPRoute: 'gateway.networking.k8s.io',
  UDPRoute: 'gateway.networking.k8s.io',
  ReferenceGrant: 'gateway.networking.k8s.io',
  BackendTLSPolicy: 'gateway.networking.k8s.io',
  InferencePool: 'inference.networking.k8s.io',
  GatewayClassParameters: 'switchyard.dev',
  Secret: '',
  ConfigMap: '',
  Service: '',
  EndpointSlice: 'discovery.k8s.io',
  Namespace: '',
  Pod: '',
  AIGatewayRoute: 'aigateway.envoyproxy.io',
  AIServiceBackend: 'aigateway.envoyproxy.io',
  BackendSecurityPolicy: 'aigateway.envoyproxy.io',
  SecurityPolicy: 'gateway.envoyproxy.io',
  ClientTrafficPolicy: 'gateway.envoyproxy.io',
  EnvoyExtensionPolicy: 'gateway.envoyproxy.io',
  MCPRoute: 'aigateway.envoyproxy.io',
  GatewayConfig: 'aigateway.envoyproxy.io',
  QuotaPolicy: 'aigateway.envoyproxy.io',
  Backend: 'gateway.envoyproxy.io',
  EnvoyProxy: 'gateway.envoyproxy.io',
  HTTPRouteFilter: 'gateway.envoyproxy.io',
  BackendTrafficPolicy: 'gateway.envoyproxy.io',
};

export const CLUSTER_SCOPED_KINDS: ReadonlySet<KindName> = new Set<KindName>([
  'GatewayClass',
  'GatewayClassParameters',
  'Namespace',
]);

export function isKindName(kind: unknown): kind is KindName {
  return typeof kind === 'string' && Object.hasOwn(GROUP_OF_KIND, kind);
}
