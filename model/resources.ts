// TypeScript shapes of the resources Switchyard reads, as in Gateway API v1.6.1.
// Written here rather than taken from @kubernetes-models/gateway-api: the installed release (0.5.x) predates
// v1.6 (no ListenerSet, TLSRoute/TCPRoute/UDPRoute v1, BackendTLSPolicy v1, CORS, allowedListeners).
// Every field is optional where a malformed object could omit it: status functions must never crash on input.

import type { AIGatewayRoute, AIServiceBackend, BackendSecurityPolicy } from './ai-gateway.ts';

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface Condition {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

interface Object<Kind extends string, Spec, Status = never> {
  apiVersion: string;
  kind: Kind;
  metadata: ObjectMeta;
  spec: Spec;
  status?: Status;
}

// ---- GatewayClass -------------------------------------------------------------------------------------------

export interface ParametersReference {
  group: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface GatewayClassSpec {
  controllerName: string;
  parametersRef?: ParametersReference;
  description?: string;
}

export interface GatewayClassStatus {
  conditions?: Condition[];
  supportedFeatures?: { name: string }[];
}

export type GatewayClass = Object<'GatewayClass', GatewayClassSpec, GatewayClassStatus>;

// ---- Gateway and ListenerSet --------------------------------------------------------------------------------

export type ProtocolType = 'HTTP' | 'HTTPS' | 'TLS' | 'TCP' | 'UDP' | (string & {});

export interface SecretObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

export interface ListenerTLSConfig {
  mode?: 'Terminate' | 'Passthrough';
  certificateRefs?: SecretObjectReference[];
  options?: Record<string, string>;
}

export interface RouteGroupKind {
  group?: string;
  kind: string;
}

export interface RouteNamespaces {
  from?: 'All' | 'Same' | 'Selector' | (string & {});
  selector?: LabelSelector;
}

export interface AllowedRoutes {
  namespaces?: RouteNamespaces;
  kinds?: RouteGroupKind[];
}

export interface Listener {
  name: string;
  hostname?: string;
  port: number;
  protocol: ProtocolType;
  tls?: ListenerTLSConfig;
  allowedRoutes?: AllowedRoutes;
}

export interface GatewaySpecAddress {
  type?: string;
  value?: string;
}

export interface LocalParametersReference {
  group: string;
  kind: string;
  name: string;
}

export interface GatewaySpec {
  gatewayClassName: string;
  listeners: Listener[];
  addresses?: GatewaySpecAddress[];
  infrastructure?: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    parametersRef?: LocalParametersReference;
  };
  allowedListeners?: {
    namespaces?: { from?: 'All' | 'Same' | 'Selector' | 'None'; selector?: LabelSelector };
  };
}

export interface ListenerStatus {
  name: string;
  supportedKinds: RouteGroupKind[];
  attachedRoutes: number;
  conditions: Condition[];
}

export interface GatewayStatus {
  addresses?: GatewaySpecAddress[];
  conditions?: Condition[];
  listeners?: ListenerStatus[];
  attachedListenerSets?: number;
}

export type Gateway = Object<'Gateway', GatewaySpec, GatewayStatus>;

export interface ParentGatewayReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
}

export interface ListenerSetSpec {
  parentRef: ParentGatewayReference;
  listeners: Listener[];
}

export interface ListenerSetStatus {
  conditions?: Condition[];
  listeners?: ListenerStatus[];
}

export type ListenerSet = Object<'ListenerSet', ListenerSetSpec, ListenerSetStatus>;

// ---- Routes -------------------------------------------------------------------------------------------------

export interface ParentReference {
  group?: string;
  kind?: string;
  namespace?: string;
  name: string;
  sectionName?: string;
  port?: number;
}

export interface RouteParentStatus {
  parentRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export interface RouteStatus {
  parents: RouteParentStatus[];
}

export interface BackendObjectReference {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
}

export interface BackendRef extends BackendObjectReference {
  weight?: number;
}

export interface HTTPHeader {
  name: string;
  value: string;
}

export interface HTTPHeaderFilter {
  set?: HTTPHeader[];
  add?: HTTPHeader[];
  remove?: string[];
}

export interface HTTPPathModifier {
  type: 'ReplaceFullPath' | 'ReplacePrefixMatch' | (string & {});
  replaceFullPath?: string;
  replacePrefixMatch?: string;
}

export interface HTTPRequestRedirectFilter {
  scheme?: string;
  hostname?: string;
  path?: HTTPPathModifier;
  port?: number;
  statusCode?: number;
}

export interface HTTPURLRewriteFilter {
  hostname?: string;
  path?: HTTPPathModifier;
}

export interface HTTPRequestMirrorFilter {
  backendRef: BackendObjectReference;
  percent?: number;
  fraction?: { numerator: number; denominator?: number };
}

export interface HTTPCORSFilter {
  allowOrigins?: string[];
  allowCredentials?: boolean;
  allowMethods?: string[];
  allowHeaders?: string[];
  exposeHeaders?: string[];
  maxAge?: number;
}

export interface LocalObjectReference {
  group: string;
  kind: string;
  name: string;
}

export interface HTTPRouteFilter {
  type: string;
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestRedirect?: HTTPRequestRedirectFilter;
  urlRewrite?: HTTPURLRewriteFilter;
  requestMirror?: HTTPRequestMirrorFilter;
  cors?: HTTPCORSFilter;
  externalAuth?: unknown;
  extensionRef?: LocalObjectReference;
}

export interface HTTPPathMatch {
  type?: 'Exact' | 'PathPrefix' | 'RegularExpression' | (string & {});
  value?: string;
}

export interface HTTPValueMatch {
  type?: 'Exact' | 'RegularExpression' | (string & {});
  name: string;
  value: string;
}

export interface HTTPRouteMatch {
  path?: HTTPPathMatch;
  headers?: HTTPValueMatch[];
  queryParams?: HTTPValueMatch[];
  method?: string;
}

export interface HTTPBackendRef extends BackendRef {
  filters?: HTTPRouteFilter[];
}

export interface HTTPRouteRule {
  name?: string;
  matches?: HTTPRouteMatch[];
  filters?: HTTPRouteFilter[];
  backendRefs?: HTTPBackendRef[];
  timeouts?: { request?: string; backendRequest?: string };
}

export interface HTTPRouteSpec {
  parentRefs?: ParentReference[];
  hostnames?: string[];
  rules?: HTTPRouteRule[];
}

export type HTTPRoute = Object<'HTTPRoute', HTTPRouteSpec, RouteStatus>;

export interface GRPCMethodMatch {
  type?: 'Exact' | 'RegularExpression' | (string & {});
  service?: string;
  method?: string;
}

export interface GRPCRouteMatch {
  method?: GRPCMethodMatch;
  headers?: HTTPValueMatch[];
}

export interface GRPCRouteFilter {
  type: string;
  requestHeaderModifier?: HTTPHeaderFilter;
  responseHeaderModifier?: HTTPHeaderFilter;
  requestMirror?: HTTPRequestMirrorFilter;
  extensionRef?: LocalObjectReference;
}

export interface GRPCBackendRef extends BackendRef {
  filters?: GRPCRouteFilter[];
}

export interface GRPCRouteRule {
  name?: string;
  matches?: GRPCRouteMatch[];
  filters?: GRPCRouteFilter[];
  backendRefs?: GRPCBackendRef[];
}

export interface GRPCRouteSpec {
  parentRefs?: ParentReference[];
  hostnames?: string[];
  rules?: GRPCRouteRule[];
}

export type GRPCRoute = Object<'GRPCRoute', GRPCRouteSpec, RouteStatus>;

/** TLSRoute, TCPRoute and UDPRoute rules: only backends. */
export interface L4RouteRule {
  name?: string;
  backendRefs?: BackendRef[];
}

export interface TLSRouteSpec {
  parentRefs?: ParentReference[];
  hostnames?: string[];
  rules?: L4RouteRule[];
}

export interface L4RouteSpec {
  parentRefs?: ParentReference[];
  rules?: L4RouteRule[];
}

export type TLSRoute = Object<'TLSRoute', TLSRouteSpec, RouteStatus>;
export type TCPRoute = Object<'TCPRoute', L4RouteSpec, RouteStatus>;
export type UDPRoute = Object<'UDPRoute', L4RouteSpec, RouteStatus>;

export type Route = HTTPRoute | GRPCRoute | TLSRoute | TCPRoute | UDPRoute;
export type RouteKind = Route['kind'];
export const ROUTE_KINDS: readonly RouteKind[] = [
  'HTTPRoute',
  'GRPCRoute',
  'TLSRoute',
  'TCPRoute',
  'UDPRoute',
];

// ---- Policies and grants ------------------------------------------------------------------------------------

export interface ReferenceGrantFrom {
  group: string;
  kind: string;
  namespace: string;
}

export interface ReferenceGrantTo {
  group: string;
  kind: string;
  name?: string;
}

export type ReferenceGrant = Object<'ReferenceGrant', { from: ReferenceGrantFrom[]; to: ReferenceGrantTo[] }>;

export interface PolicyAncestorStatus {
  ancestorRef: ParentReference;
  controllerName: string;
  conditions: Condition[];
}

export interface BackendTLSPolicySpec {
  targetRefs: { group: string; kind: string; name: string; sectionName?: string }[];
  validation: {
    caCertificateRefs?: LocalObjectReference[];
    wellKnownCACertificates?: 'System' | (string & {});
    hostname: string;
    subjectAltNames?: { type: 'Hostname' | 'URI'; hostname?: string; uri?: string }[];
  };
  options?: Record<string, string>;
}

export type BackendTLSPolicy = Object<
  'BackendTLSPolicy',
  BackendTLSPolicySpec,
  { ancestors: PolicyAncestorStatus[] }
>;

export interface InferencePoolSpec {
  selector: { matchLabels?: Record<string, string> };
  targetPorts: { number: number }[];
  appProtocol?: 'http' | 'kubernetes.io/h2c' | (string & {});
  endpointPickerRef?: {
    group?: string;
    kind?: string;
    name: string;
    port?: { number: number };
    failureMode?: 'FailOpen' | 'FailClose';
  };
}

export type InferencePool = Object<'InferencePool', InferencePoolSpec, unknown>;

// ---- Our own parameters (switchyard.dev/v1alpha1, cluster-scoped) -------------------------------------------

export type DataPlaneBackend = 'envoy' | 'agentgateway';
export type DataPlaneServiceType = 'ClusterIP' | 'NodePort' | 'LoadBalancer';

export interface GatewayClassParametersSpec {
  backend?: DataPlaneBackend;
  dataPlane?: { image?: string; replicas?: number; serviceType?: DataPlaneServiceType };
  xds?: { address?: string };
}

export type GatewayClassParameters = Object<'GatewayClassParameters', GatewayClassParametersSpec>;

// ---- Core objects -------------------------------------------------------------------------------------------

export interface Secret {
  apiVersion: string;
  kind: 'Secret';
  metadata: ObjectMeta;
  type?: string;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
}

export interface ConfigMap {
  apiVersion: string;
  kind: 'ConfigMap';
  metadata: ObjectMeta;
  data?: Record<string, string>;
}

export interface ServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  appProtocol?: string;
}

export type Service = Object<
  'Service',
  {
    type?: string;
    clusterIP?: string;
    externalName?: string;
    ports?: ServicePort[];
    selector?: Record<string, string>;
  }
>;

export interface EndpointSlice {
  apiVersion: string;
  kind: 'EndpointSlice';
  metadata: ObjectMeta;
  addressType?: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints?: {
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
  }[];
  ports?: { name?: string; port?: number; protocol?: string; appProtocol?: string }[];
}

export type Namespace = Object<'Namespace', Record<string, unknown> | undefined>;

/** The part of a Pod an InferencePool reads: labels (selector), IPs and readiness (its endpoints). */
export interface Pod {
  apiVersion: string;
  kind: 'Pod';
  metadata: ObjectMeta;
  status?: {
    podIP?: string;
    podIPs?: { ip: string }[];
    conditions?: { type: string; status: ConditionStatus }[];
  };
}

// ---- The kinds a ResourceView holds -------------------------------------------------------------------------

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
};

export const CLUSTER_SCOPED_KINDS: ReadonlySet<KindName> = new Set<KindName>([
  'GatewayClass',
  'GatewayClassParameters',
  'Namespace',
]);

export function isKindName(kind: unknown): kind is KindName {
  return typeof kind === 'string' && Object.hasOwn(GROUP_OF_KIND, kind);
}
