// Builders of hand-written Gateway IR for the Envoy backend's tests (unit and real-Envoy integration).

import { DEFAULT_GATEWAY_CLASS_PARAMETERS } from '../../../model/gateway-api/gateway-class.ts';
import type { TlsMaterial } from '../../../model/ir/backend-contract.ts';
import type { BackendTLS } from '../../../model/ir/backends.ts';
import type { BackendEndpointIR, UpstreamTLS } from '../../../model/ir/envoy-gateway.ts';
import type {
  BackendIR,
  GatewayIR,
  ListenerIR,
  PortIR,
  RouteIR,
  RuleIR,
} from '../../../model/ir/gateway-ir.ts';
import type { RouteKind } from '../../../model/resources/gateway-api.ts';
import { GATEWAY_GROUP, type ResourceKey, resourceKey } from '../../../model/resources/resource-key.ts';

export const NAMESPACE = 'default';

export function gatewayKey(name = 'gw', namespace = NAMESPACE): ResourceKey {
  return resourceKey(GATEWAY_GROUP, 'Gateway', namespace, name);
}

export function gatewayIR(ports: readonly PortIR[], gateway: ResourceKey = gatewayKey()): GatewayIR {
  return { gateway, gatewayClassName: 'switchyard', parameters: DEFAULT_GATEWAY_CLASS_PARAMETERS, ports };
}

export function port(
  number: number,
  listeners: readonly ListenerIR[],
  transport: 'TCP' | 'UDP' = 'TCP',
): PortIR {
  return { port: number, transport, listeners };
}

export function listener(
  name: string,
  protocol: string,
  routes: readonly RouteIR[],
  options: { hostname?: string; tls?: ListenerIR['tls']; gateway?: ResourceKey } = {},
): ListenerIR {
  return {
    owner: options.gateway ?? gatewayKey(),
    name,
    protocol,
    ...(options.hostname === undefined ? {} : { hostname: options.hostname }),
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    routes,
  };
}

export function route(
  name: string,
  rules: readonly RuleIR[],
  options: { kind?: RouteKind; hostnames?: readonly string[] } = {},
): RouteIR {
  const kind = options.kind ?? 'HTTPRoute';
  return {
    route: resourceKey(GATEWAY_GROUP, kind, NAMESPACE, name),
    kind,
    hostnames: options.hostnames ?? [],
    // Rules built without an explicit index take their position, as in spec.rules.
    rules: rules.map((r, i) => (r.index < 0 ? { ...r, index: i } : r)),
  };
}

export function rule(
  backends: readonly BackendIR[],
  options: {
    matches?: readonly unknown[];
    filters?: readonly unknown[];
    mirrors?: readonly BackendIR[];
    index?: number;
  } & Pick<Partial<RuleIR>, 'name' | 'timeouts' | 'retry'> = {},
): RuleIR {
  const { matches, filters, mirrors, index, ...extras } = options;
  return {
    index: index ?? -1,
    matches: matches ?? [{ path: { type: 'PathPrefix', value: '/' } }],
    filters: filters ?? [],
    backends,
    mirrors: mirrors ?? [],
    ...extras,
  };
}

/** A Service backend whose endpoints are loopback ports (echo servers in integration tests). */
export function service(
  name: string,
  ports: readonly number[],
  options: {
    weight?: number;
    appProtocol?: string;
    protocol?: 'TCP' | 'UDP';
    servicePort?: number;
    tls?: BackendTLS;
  } = {},
): BackendIR {
  return {
    weight: options.weight ?? 1,
    kind: 'Service',
    service: resourceKey('', 'Service', NAMESPACE, name),
    port: options.servicePort ?? 8080,
    protocol: options.protocol ?? 'TCP',
    ...(options.appProtocol === undefined ? {} : { appProtocol: options.appProtocol }),
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    endpoints: ports.map((p) => ({ address: '127.0.0.1', port: p })),
  };
}

/** An Envoy Gateway Backend: DNS names (FQDN) or IP addresses and Unix sockets (Static). */
export function envoyGatewayBackend(
  name: string,
  endpoints: readonly BackendEndpointIR[],
  options: { weight?: number; appProtocol?: string; tls?: UpstreamTLS; fqdn?: boolean } = {},
): BackendIR {
  return {
    weight: options.weight ?? 1,
    kind: 'Backend',
    backend: resourceKey('gateway.envoyproxy.io', 'Backend', NAMESPACE, name),
    addressType: options.fqdn === true ? 'FQDN' : 'Static',
    endpoints,
    ...(options.appProtocol === undefined ? {} : { appProtocol: options.appProtocol }),
    ...(options.tls === undefined ? {} : { tls: options.tls }),
  };
}

export function invalidBackend(weight = 1): BackendIR {
  return { weight, kind: 'Invalid', reason: 'BackendNotFound', message: 'Service default/missing not found' };
}

export function secretKey(name: string): ResourceKey {
  return resourceKey('', 'Secret', NAMESPACE, name);
}

export function tlsMaterial(secret: ResourceKey, cert: string, key: string): Record<string, TlsMaterial> {
  return { [`core/Secret/${secret.namespace}/${secret.name}`]: { certificateChain: cert, privateKey: key } };
}
