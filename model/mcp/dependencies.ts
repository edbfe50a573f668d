// What an MCPRoute's evaluation reads, for the reverse dependency index (model/evaluation/dependencies.ts): its
// namespace (labels decide attachment), its Gateways, the Services of its MCP servers (their EndpointSlices are
// looked up under the Service), the Secrets of their API keys and the ConfigMap of its JWKS.

import type { ObjectMeta } from '../resources/kubernetes.ts';
import type { MCPRouteBackendRef, MCPRouteSpec } from '../resources/mcp.ts';
import { CORE_GROUP, GATEWAY_GROUP, type ResourceKey, resourceKey } from '../resources/resource-key.ts';
import { asArray } from '../shared/arrays.ts';
import { normalizeGroup } from '../shared/reference-grants.ts';

export function mcpRouteDependencies(object: { metadata?: ObjectMeta; spec?: unknown }): ResourceKey[] {
  const namespace = typeof object?.metadata?.namespace === 'string' ? object.metadata.namespace : '';
  const spec = (object?.spec ?? {}) as Partial<MCPRouteSpec>;
  const out = [resourceKey(CORE_GROUP, 'Namespace', undefined, namespace)];
  for (const ref of asArray<{ group?: string; kind?: string; namespace?: string; name?: unknown }>(
    spec.parentRefs,
  )) {
    if (typeof ref?.name !== 'string') continue;
    out.push(
      resourceKey(ref.group ?? GATEWAY_GROUP, ref.kind ?? 'Gateway', ref.namespace || namespace, ref.name),
    );
  }
  for (const ref of asArray<MCPRouteBackendRef>(spec.backendRefs)) {
    if (typeof ref?.name !== 'string') continue;
    out.push(
      resourceKey(normalizeGroup(ref.group), ref.kind ?? 'Service', ref.namespace || namespace, ref.name),
    );
    const secret = ref.securityPolicy?.apiKey?.secretRef;
    if (typeof secret?.name === 'string')
      out.push(resourceKey(CORE_GROUP, 'Secret', secret.namespace || namespace, secret.name));
  }
  const jwks = spec.securityPolicy?.oauth?.jwks?.localJWKS?.valueRef;
  if (typeof jwks?.name === 'string') out.push(resourceKey(CORE_GROUP, 'ConfigMap', namespace, jwks.name));
  return out;
}
