// What differs between the route kinds: the listener protocols they attach to, whether they carry hostnames,
// and which filters exist for them. Everything else about routes is one shared logic.

import type { RouteGroupKind, RouteKind } from '../resources/gateway-api.ts';
import { GATEWAY_GROUP } from '../resources/resource-key.ts';

export interface RouteKindRules {
  readonly kind: RouteKind;
  /** Listener protocols a route of this kind may attach to. */
  readonly protocols: readonly string[];
  /** Whether spec.hostnames exists and must intersect the listener hostname. */
  readonly hasHostnames: boolean;
  /** Filter types we implement for this kind (spec filters we do not implement make a rule invalid). */
  readonly supportedFilters: readonly string[];
}

export const ROUTE_KIND_RULES: { readonly [K in RouteKind]: RouteKindRules } = {
  HTTPRoute: {
    kind: 'HTTPRoute',
    protocols: ['HTTP', 'HTTPS'],
    hasHostnames: true,
    supportedFilters: [
      'RequestHeaderModifier',
      'ResponseHeaderModifier',
      'RequestRedirect',
      'URLRewrite',
      'RequestMirror',
      'CORS',
      // An Envoy Gateway HTTPRouteFilter (model/policies/http-route-filter.ts); other extensions are refused.
      'ExtensionRef',
    ],
  },
  GRPCRoute: {
    kind: 'GRPCRoute',
    protocols: ['HTTP', 'HTTPS'],
    hasHostnames: true,
    supportedFilters: [
      'RequestHeaderModifier',
      'ResponseHeaderModifier',
      'RequestMirror',
      // An Envoy Gateway HTTPRouteFilter, as Envoy Gateway takes it on a GRPCRoute rule too.
      'ExtensionRef',
    ],
  },
  TLSRoute: { kind: 'TLSRoute', protocols: ['TLS'], hasHostnames: true, supportedFilters: [] },
  TCPRoute: { kind: 'TCPRoute', protocols: ['TCP'], hasHostnames: false, supportedFilters: [] },
  UDPRoute: { kind: 'UDPRoute', protocols: ['UDP'], hasHostnames: false, supportedFilters: [] },
};

/** Protocols we serve on a listener. */
export const SUPPORTED_PROTOCOLS: readonly string[] = ['HTTP', 'HTTPS', 'TLS', 'TCP', 'UDP'];

/** Route kinds a listener of this protocol accepts by default, in a stable order. */
export function routeKindsForProtocol(protocol: string): RouteGroupKind[] {
  return Object.values(ROUTE_KIND_RULES)
    .filter((rules) => rules.protocols.includes(protocol))
    .map((rules) => ({ group: GATEWAY_GROUP, kind: rules.kind }));
}
