// backendRefs: a Service (with a port it exposes), an InferencePool or an Envoy Gateway Backend, in the route's
// namespace or granted by a ReferenceGrant. A Service resolves to its ready endpoints from EndpointSlices, a
// Backend to the endpoints it lists (policies/backend.ts).

import { failureModeOf, poolEndpoints, resolveEndpointPicker } from '../inference/pool-members.ts';
import type { ResolvedBackend } from '../ir/backends.ts';
import type { BackendRefReason } from '../ir/gateway-ir.ts';
import { resolveBackend } from '../policies/backend.ts';
import { ENVOY_GATEWAY_GROUP } from '../resources/envoy-gateway.ts';
import type { BackendObjectReference, RouteKind } from '../resources/gateway-api.ts';
import type { InferencePoolSpec } from '../resources/inference.ts';
import {
  formatResourceKey,
  GATEWAY_GROUP,
  INFERENCE_GROUP,
  type ResourceKey,
  resourceKey,
} from '../resources/resource-key.ts';
import { RouteReason } from '../shared/conditions.ts';
import { readyEndpoints } from '../shared/endpoints.ts';
import { isReferenceAllowed, normalizeGroup } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { backendTLSFor } from './backend-tls.ts';

export type BackendRefResult =
  | { readonly ok: true; readonly backend: ResolvedBackend }
  | {
      readonly ok: false;
      readonly reason: BackendRefReason;
      readonly message: string;
      /** The Service or Backend that exists but cannot be used as its BackendTLSPolicy asks (the policy's target). */
      readonly tlsTarget?: ResourceKey;
    };

/** The route's ResolvedRefs reason for a backend whose BackendTLSPolicy cannot be enforced (Envoy Gateway's). */
const BACKEND_TLS_UNUSABLE: BackendRefReason = 'InvalidBackendTLS';

/** Well-known appProtocols (KEP-3726) an HTTP or gRPC route can speak to. */
const HTTP_APP_PROTOCOLS = ['kubernetes.io/h2c', 'kubernetes.io/ws'];

export interface Referrer {
  readonly kind: RouteKind;
  readonly namespace: string;
  /** The referrer's own kind and group when it is not a route (a policy's backendRefs): ReferenceGrants name it. */
  readonly grantFrom?: { readonly group: string; readonly kind: string };
  /**
   * The data plane runs on this host (standalone mode): a Backend may name loopback addresses, single-label names
   * and Unix sockets (see policies/backend.ts).
   */
  readonly hostDataPlane?: boolean;
  /**
   * Backends in other namespaces the referrer may use without a grant of its own, as `group/kind/namespace/name`
   * (formatResourceKey): an AIGatewayRoute's AIServiceBackend in another namespace, which a ReferenceGrant there
   * allows, sends to its own Service or Backend there.
   */
  readonly granted?: ReadonlySet<string>;
}

export function resolveBackendRef(
  ref: BackendObjectReference,
  referrer: Referrer,
  view: ResourceView,
  field: string,
): BackendRefResult {
  const group = normalizeGroup(ref?.group);
  const kind = ref?.kind ?? 'Service';
  const name = typeof ref?.name === 'string' ? ref.name : '';
  const namespace =
    typeof ref?.namespace === 'string' && ref.namespace !== '' ? ref.namespace : referrer.namespace;
  const isService = group === '' && kind === 'Service';
  const isPool = group === INFERENCE_GROUP && kind === 'InferencePool';
  const isBackend = group === ENVOY_GATEWAY_GROUP && kind === 'Backend';
  if (!isService && !isPool && !isBackend) {
    return {
      ok: false,
      reason: RouteReason.InvalidKind,
      message: `${field}: ${group || 'core'}/${kind} is not a supported backend; use a Service, an InferencePool or a ${ENVOY_GATEWAY_GROUP} Backend`,
    };
  }
  const from = {
    group: referrer.grantFrom?.group ?? GATEWAY_GROUP,
    kind: referrer.grantFrom?.kind ?? referrer.kind,
    namespace: referrer.namespace,
  };
  const granted =
    referrer.granted?.has(formatResourceKey(resourceKey(group, kind, namespace, name))) === true;
  if (!granted && !isReferenceAllowed(view, from, { group, kind, namespace, name })) {
    return {
      ok: false,
      reason: RouteReason.RefNotPermitted,
      message: `${field}: ${kind} ${namespace}/${name} is in another namespace and no ReferenceGrant allows it`,
    };
  }
  if (isBackend) return resolveBackendOfRoute(namespace, name, referrer, view, field);
  return isService
    ? resolveService(ref, namespace, name, referrer, view, field)
    : resolvePool(namespace, name, view, field);
}

/** A Backend, as Envoy Gateway lets routes use one: not from a UDPRoute, Unix sockets only on the host. */
function resolveBackendOfRoute(
  namespace: string,
  name: string,
  referrer: Referrer,
  view: ResourceView,
  field: string,
): BackendRefResult {
  if (referrer.kind === 'UDPRoute') {
    return {
      ok: false,
      reason: RouteReason.UnsupportedProtocol,
      message: `${field}: a UDPRoute cannot send to a Backend; use a Service`,
    };
  }
  const onHost = referrer.hostDataPlane === true;
  const resolved = resolveBackend(view, namespace, name, { hostDataPlane: onHost, unixSockets: onHost });
  return resolved.ok ? resolved : { ...resolved, message: `${field}: ${resolved.message}` };
}

function resolveService(
  ref: BackendObjectReference,
  namespace: string,
  name: string,
  referrer: Referrer,
  view: ResourceView,
  field: string,
): BackendRefResult {
  const service = view.get('Service', namespace, name);
  if (service === undefined) return notFound(`${field}: Service ${namespace}/${name} not found`);
  if (typeof ref.port !== 'number') return notFound(`${field}.port: required for a Service backend`);
  const ports = Array.isArray(service.spec?.ports) ? service.spec.ports : [];
  const servicePort = ports.find((p) => p?.port === ref.port);
  const externalName = service.spec?.type === 'ExternalName' ? service.spec.externalName : undefined;
  if (servicePort === undefined && externalName === undefined) {
    return notFound(`${field}.port: Service ${namespace}/${name} has no port ${ref.port}`);
  }
  const protocol = servicePort?.protocol ?? 'TCP';
  const wantUdp = referrer.kind === 'UDPRoute';
  if ((protocol === 'UDP') !== wantUdp) {
    return {
      ok: false,
      reason: RouteReason.UnsupportedProtocol,
      message: `${field}: Service port ${ref.port} is ${protocol}, a ${referrer.kind} needs ${wantUdp ? 'UDP' : 'TCP'}`,
    };
  }
  const appProtocol = servicePort?.appProtocol;
  if (
    (referrer.kind === 'HTTPRoute' || referrer.kind === 'GRPCRoute') &&
    typeof appProtocol === 'string' &&
    appProtocol.startsWith('kubernetes.io/') &&
    !HTTP_APP_PROTOCOLS.includes(appProtocol)
  ) {
    return {
      ok: false,
      reason: RouteReason.UnsupportedProtocol,
      message: `${field}: Service port ${ref.port} has appProtocol ${appProtocol}, which is not supported`,
    };
  }
  const key = resourceKey('', 'Service', namespace, name);
  const tls = backendTLSFor(view, namespace, name, servicePort?.name ?? '');
  if (tls.kind === 'unusable') {
    return {
      ok: false,
      reason: BACKEND_TLS_UNUSABLE,
      message: `${field}: Service ${namespace}/${name}: BackendTLSPolicy ${tls.policy.metadata.name} cannot be enforced (${tls.message}); requests to it answer 500 rather than go out without TLS`,
      tlsTarget: key,
    };
  }
  return {
    ok: true,
    backend: {
      kind: 'Service',
      service: key,
      port: ref.port,
      protocol,
      ...(typeof appProtocol === 'string' ? { appProtocol } : {}),
      ...(typeof externalName === 'string' ? { externalName } : {}),
      ...(tls.kind === 'tls' ? { tls: tls.tls } : {}),
      endpoints:
        servicePort === undefined ? [] : readyEndpoints(view.endpointSlicesOf(namespace, name), servicePort),
    },
  };
}

function resolvePool(namespace: string, name: string, view: ResourceView, field: string): BackendRefResult {
  const pool = view.get('InferencePool', namespace, name);
  if (pool === undefined) return notFound(`${field}: InferencePool ${namespace}/${name} not found`);
  const spec: Partial<InferencePoolSpec> = pool.spec ?? {};
  const targetPorts = (Array.isArray(spec.targetPorts) ? spec.targetPorts : [])
    .map((p) => p?.number)
    .filter((n): n is number => typeof n === 'number');
  const picker = spec.endpointPickerRef;
  const selector = { ...(spec.selector?.matchLabels ?? {}) };
  const resolved = resolveEndpointPicker(view, namespace, picker);
  return {
    ok: true,
    backend: {
      kind: 'InferencePool',
      pool: resourceKey(INFERENCE_GROUP, 'InferencePool', namespace, name),
      targetPorts,
      selector,
      ...(typeof spec.appProtocol === 'string' ? { appProtocol: spec.appProtocol } : {}),
      endpoints: poolEndpoints(view, namespace, selector, targetPorts),
      ...(picker === undefined || picker === null || resolved === undefined
        ? {}
        : {
            endpointPicker: {
              service: resourceKey('', 'Service', namespace, String(picker.name ?? '')),
              ...(typeof picker.port?.number === 'number' ? { port: picker.port.number } : {}),
              failureMode: failureModeOf(picker),
              endpoints: resolved.ok ? resolved.endpoints : [],
              ...(resolved.ok ? {} : { problem: resolved.message }),
            },
          }),
    },
  };
}

function notFound(message: string): BackendRefResult {
  return { ok: false, reason: RouteReason.BackendNotFound, message };
}
