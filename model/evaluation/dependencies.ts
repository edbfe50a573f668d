// What an object's status and IR depend on, for the resolvers' reverse indexes (Secret → Gateways,
// Service → Routes → Gateways, ReferenceGrant → referrers, Namespace labels → attachment).
// A dependency whose name is ANY_NAME stands for every object of that kind in that namespace
// (ReferenceGrants are found by namespace, not by name).

import { aiGatewayDependencies } from '../ai-gateway/dependencies.ts';
import { isBackendTLSTarget } from '../gateway-api/backend-tls.ts';
import { podLookupKeys, podSelectorKey } from '../inference/pool-members.ts';
import { mcpRouteDependencies } from '../mcp/dependencies.ts';
import { backendDependencies } from '../policies/backend.ts';
import { policyDependencies } from '../policies/dependencies.ts';
import { isEnvoyProxyReference } from '../policies/envoy-proxy.ts';
import { httpRouteFilterDependencies, isHTTPRouteFilterRef } from '../policies/http-route-filter.ts';
import { provisionedServiceKey } from '../provisioning/provisioning.ts';
import { ENVOY_GATEWAY_GROUP } from '../resources/envoy-gateway.ts';
import type {
  BackendObjectReference,
  FrontendTLSConfig,
  Listener,
  ParentReference,
} from '../resources/gateway-api.ts';
import type { AnyResource } from '../resources/kinds.ts';
import {
  ANY_NAME,
  CORE_GROUP,
  GATEWAY_GROUP,
  keyOf,
  type ResourceKey,
  resourceKey,
  SWITCHYARD_GROUP,
} from '../resources/resource-key.ts';
import { asArray } from '../shared/arrays.ts';
import { normalizeGroup } from '../shared/reference-grants.ts';
import { SERVICE_NAME_LABEL } from '../shared/resource-view.ts';

/** The keys this object's evaluation reads, sorted and unique. */
export function dependenciesOf(object: AnyResource): ResourceKey[] {
  const deps = new Map<string, ResourceKey>();
  const add = (key: ResourceKey): void => {
    deps.set(`${key.group}/${key.kind}/${key.namespace ?? ''}/${key.name}`, key);
  };
  const namespace = typeof object?.metadata?.namespace === 'string' ? object.metadata.namespace : '';
  switch (object?.kind) {
    case 'GatewayClass': {
      const ref = object.spec?.parametersRef;
      if (ref?.group === SWITCHYARD_GROUP && typeof ref.name === 'string') {
        add(resourceKey(SWITCHYARD_GROUP, String(ref.kind), undefined, ref.name));
      }
      if (isEnvoyProxyReference(ref) && typeof ref?.name === 'string') {
        add(resourceKey(ENVOY_GATEWAY_GROUP, 'EnvoyProxy', ref.namespace, ref.name));
      }
      break;
    }
    case 'Gateway': {
      add(resourceKey(GATEWAY_GROUP, 'GatewayClass', undefined, String(object.spec?.gatewayClassName ?? '')));
      listenerDependencies(object.spec?.listeners, namespace, add);
      const clientCertificate = object.spec?.tls?.backend?.clientCertificateRef;
      if (clientCertificate !== undefined && clientCertificate !== null)
        secretRefDependency(clientCertificate, namespace, add);
      // spec.tls.frontend: the CA ConfigMaps client certificates are checked against (frontend-validation.ts).
      const frontend = object.spec?.tls?.frontend;
      for (const config of [
        frontend?.default,
        ...asArray<{ tls?: FrontendTLSConfig }>(frontend?.perPort).map((p) => p?.tls),
      ]) {
        for (const ref of asArray<{ group?: string; kind?: string; name?: string; namespace?: string }>(
          config?.validation?.caCertificateRefs,
        )) {
          add(
            resourceKey(
              normalizeGroup(ref?.group),
              String(ref?.kind ?? ''),
              ref?.namespace || namespace,
              String(ref?.name ?? ''),
            ),
          );
        }
      }
      // ListenerSets name their Gateway; the Gateway finds them by listing its namespace and others.
      add(resourceKey(GATEWAY_GROUP, 'ListenerSet', undefined, ANY_NAME));
      // Cluster mode: the Service provisioned for the Gateway gives its addresses (model/provisioning/provisioning.ts).
      add(provisionedServiceKey({ namespace, name: String(object.metadata?.name ?? '') }));
      const parametersRef = object.spec?.infrastructure?.parametersRef;
      if (isEnvoyProxyReference(parametersRef) && typeof parametersRef?.name === 'string') {
        add(resourceKey(ENVOY_GATEWAY_GROUP, 'EnvoyProxy', namespace, parametersRef.name));
      }
      break;
    }
    case 'Backend':
      for (const key of backendDependencies(object)) add(key);
      break;
    case 'ListenerSet': {
      const ref = object.spec?.parentRef;
      add(resourceKey(GATEWAY_GROUP, 'Gateway', ref?.namespace || namespace, String(ref?.name ?? '')));
      add(resourceKey(CORE_GROUP, 'Namespace', undefined, namespace));
      listenerDependencies(object.spec?.listeners, namespace, add);
      break;
    }
    case 'HTTPRoute':
    case 'GRPCRoute':
    case 'TLSRoute':
    case 'TCPRoute':
    case 'UDPRoute': {
      add(resourceKey(CORE_GROUP, 'Namespace', undefined, namespace));
      for (const ref of asArray<ParentReference>(object.spec?.parentRefs)) {
        const kind = ref?.kind ?? 'Gateway';
        add(
          resourceKey(
            ref?.group ?? GATEWAY_GROUP,
            kind,
            ref?.namespace || namespace,
            String(ref?.name ?? ''),
          ),
        );
      }
      for (const rule of asArray<{ backendRefs?: unknown; filters?: unknown }>(object.spec?.rules)) {
        const refs = asArray<BackendObjectReference & { filters?: unknown }>(rule?.backendRefs);
        for (const ref of refs) backendDependency(ref, namespace, add);
        for (const filter of [
          ...asArray<MirrorFilter>(rule?.filters),
          ...refs.flatMap((r) => asArray<MirrorFilter>(r?.filters)),
        ]) {
          if (filter?.type === 'RequestMirror' && filter.requestMirror?.backendRef !== undefined) {
            backendDependency(filter.requestMirror.backendRef, namespace, add);
          }
          if (filter?.type === 'ExtensionRef' && isHTTPRouteFilterRef(filter.extensionRef)) {
            add(
              resourceKey(
                ENVOY_GATEWAY_GROUP,
                'HTTPRouteFilter',
                namespace,
                String(filter.extensionRef?.name),
              ),
            );
          }
        }
      }
      break;
    }
    case 'HTTPRouteFilter':
      for (const key of httpRouteFilterDependencies(object)) add(key);
      break;
    case 'BackendTLSPolicy': {
      for (const target of asArray<{ group?: string; kind?: string; name?: string }>(
        object.spec?.targetRefs,
      )) {
        add(
          resourceKey(
            normalizeGroup(target?.group),
            String(target?.kind ?? ''),
            namespace,
            String(target?.name ?? ''),
          ),
        );
      }
      for (const ref of asArray<{ group?: string; kind?: string; name?: string }>(
        object.spec?.validation?.caCertificateRefs,
      )) {
        add(
          resourceKey(
            normalizeGroup(ref?.group),
            String(ref?.kind ?? ''),
            namespace,
            String(ref?.name ?? ''),
          ),
        );
      }
      break;
    }
    case 'InferencePool': {
      const picker = object.spec?.endpointPickerRef;
      if (typeof picker?.name === 'string') add(resourceKey(CORE_GROUP, 'Service', namespace, picker.name));
      // Member Pods: found by one of the selector's label pairs (see changedKeysOf).
      add(podSelectorKey(namespace, object.spec?.selector?.matchLabels ?? {}));
      break;
    }
    case 'AIGatewayRoute':
    case 'AIServiceBackend':
    case 'BackendSecurityPolicy':
      for (const key of aiGatewayDependencies(object)) add(key);
      break;
    case 'SecurityPolicy':
    case 'ClientTrafficPolicy':
    case 'EnvoyExtensionPolicy':
    case 'BackendTrafficPolicy':
      for (const key of policyDependencies(object)) add(key);
      break;
    case 'MCPRoute':
      for (const key of mcpRouteDependencies(object)) add(key);
      break;
    default:
      break;
  }
  return [...deps.keys()].sort().map((id) => deps.get(id) as ResourceKey);
}

/**
 * The keys under which a change to this object is looked up in reverse indexes built from `dependenciesOf`:
 * the object itself, plus what it stands for: an EndpointSlice its Service (routes depend on Services, not on
 * slice names), a BackendTLSPolicy the Services it targets (their backends carry its TLS settings).
 */
export function changedKeysOf(object: AnyResource): ResourceKey[] {
  const own = keyOf(object);
  if (object?.kind === 'EndpointSlice') {
    const service = object.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (typeof service === 'string')
      return [own, resourceKey(CORE_GROUP, 'Service', object.metadata.namespace, service)];
  }
  if (object?.kind === 'Pod') return podLookupKeys(object, own);
  if (object?.kind === 'BackendTLSPolicy') {
    const targets = asArray<{ group?: string; kind?: string; name?: string }>(object.spec?.targetRefs)
      .filter((t) => isBackendTLSTarget(t) && typeof t.name === 'string')
      .map((t) =>
        resourceKey(normalizeGroup(t.group), String(t.kind), object.metadata?.namespace, String(t.name)),
      );
    return [own, ...targets];
  }
  return [own];
}

type MirrorFilter = {
  type?: string;
  requestMirror?: { backendRef?: BackendObjectReference };
  extensionRef?: { group?: string; kind?: string; name?: string };
};

type SecretRef = { group?: string; kind?: string; name?: string; namespace?: string } | undefined;

/** A certificate reference: the Secret, and the ReferenceGrants of its namespace when it is another. */
function secretRefDependency(ref: SecretRef, namespace: string, add: (key: ResourceKey) => void): void {
  const target = ref?.namespace || namespace;
  add(resourceKey(normalizeGroup(ref?.group), ref?.kind ?? 'Secret', target, String(ref?.name ?? '')));
  if (target !== namespace) add(resourceKey(GATEWAY_GROUP, 'ReferenceGrant', target, ANY_NAME));
}

function listenerDependencies(listeners: unknown, namespace: string, add: (key: ResourceKey) => void): void {
  for (const listener of asArray<Listener>(listeners)) {
    for (const ref of asArray<SecretRef>(listener?.tls?.certificateRefs))
      secretRefDependency(ref, namespace, add);
    if (listener?.allowedRoutes?.namespaces?.from === 'Selector') {
      add(resourceKey(CORE_GROUP, 'Namespace', undefined, ANY_NAME));
    }
  }
}

function backendDependency(
  ref: BackendObjectReference,
  namespace: string,
  add: (key: ResourceKey) => void,
): void {
  const group = normalizeGroup(ref?.group);
  const kind = ref?.kind ?? 'Service';
  const target = ref?.namespace || namespace;
  add(resourceKey(group, kind, target, String(ref?.name ?? '')));
  if (target !== namespace) add(resourceKey(GATEWAY_GROUP, 'ReferenceGrant', target, ANY_NAME));
}
