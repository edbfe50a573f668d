// TypeScript shapes of the Gateway API kinds, as in v1.6.1: GatewayClass, Gateway, ListenerSet, the five route
// kinds, ReferenceGrant and BackendTLSPolicy.
// Written here rather than taken from @kubernetes-models/gateway-api: the installed release (0.5.x) predates
// v1.6 (no ListenerSet, TLSRoute/TCPRoute/UDPRoute v1, BackendTLSPolicy v1, CORS, allowedListeners).
// Every field is optional where a malformed object could omit it: status functions must never crash on input.

import type { Condition, KubernetesObject, LabelSelector } from './kubernetes.ts';

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

export type GatewayClass = KubernetesObject<'GatewayClass', GatewayClassSpec, GatewayClassStatus>;

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
  /**
   * GEP-3155: TLS the Gateway itself uses; `backend.clientCertificateRef` is its identity towards backends,
   * `frontend` the client certificates its HTTPS listeners ask for (GEP-91).
   */
  tls?: {
    backend?: { clientCertificateRef?: SecretObjectReference };
    frontend?: { default?: FrontendTLSConfig; perPort?: { port?: number; tls?: FrontendTLSConfig }[] };
  };
}

export interface FrontendTLSConfig {
  validation?: {
    caCertificateRefs?: { group?: string; kind?: string; name?: string; namespace?: string }[];
    mode?: 'AllowValidOnly' | 'AllowInsecureFallback' | string;
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

export type Gateway = KubernetesObject<'Gateway', GatewaySpec, GatewayStatus>;

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

export type ListenerSet = KubernetesObject<'ListenerSet', ListenerSetSpec, ListenerSetStatus>;

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
  sessionPersistence?: SessionPersistence;
}

/** A rule's session persistence (Gateway API v1.6, experimental; GEP-1619). */
export interface SessionPersistence {
  sessionName?: string;
  absoluteTimeout?: string;
  idleTimeout?: string;
  type?: 'Cookie' | 'Header' | (string & {});
  cookieConfig?: { lifetimeType?: 'Permanent' | 'Session' | (string & {}) };
}

export interface HTTPRouteSpec {
  parentRefs?: ParentReference[];
  hostnames?: string[];
  rules?: HTTPRouteRule[];
}

export type HTTPRoute = KubernetesObject<'HTTPRoute', HTTPRouteSpec, RouteStatus>;

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
  sessionPersistence?: SessionPersistence;
}

export interface GRPCRouteSpec {
  parentRefs?: ParentReference[];
  hostnames?: string[];
  rules?: GRPCRouteRule[];
}

export type GRPCRoute = KubernetesObject<'GRPCRoute', GRPCRouteSpec, RouteStatus>;

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

export type TLSRoute = KubernetesObject<'TLSRoute', TLSRouteSpec, RouteStatus>;
export type TCPRoute = KubernetesObject<'TCPRoute', L4RouteSpec, RouteStatus>;
export type UDPRoute = KubernetesObject<'UDPRoute', L4RouteSpec, RouteStatus>;

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

export type ReferenceGrant = KubernetesObject<
  'ReferenceGrant',
  { from: ReferenceGrantFrom[]; to: ReferenceGrantTo[] }
>;

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

export type BackendTLSPolicy = KubernetesObject<
  'BackendTLSPolicy',
  BackendTLSPolicySpec,
  { ancestors: PolicyAncestorStatus[] }
>;
