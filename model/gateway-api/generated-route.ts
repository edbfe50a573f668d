// The HTTPRoute another kind stands for (Envoy AI Gateway generates one per AIGatewayRoute and per MCPRoute):
// same name, namespace, creation time and generation, so attachment, precedence and statuses follow the route.

import type { HTTPRoute, HTTPRouteRule, ParentReference } from '../resources/gateway-api.ts';
import type { ObjectMeta } from '../resources/kubernetes.ts';
import { GATEWAY_GROUP, type ResourceKey } from '../resources/resource-key.ts';

export function generatedHTTPRoute(
  metadata: ObjectMeta | undefined,
  key: ResourceKey,
  parentRefs: ParentReference[],
  hostnames: unknown,
  rules: HTTPRouteRule[],
): HTTPRoute {
  return {
    apiVersion: `${GATEWAY_GROUP}/v1`,
    kind: 'HTTPRoute',
    metadata: {
      name: key.name,
      namespace: key.namespace ?? '',
      ...(typeof metadata?.creationTimestamp === 'string'
        ? { creationTimestamp: metadata.creationTimestamp }
        : {}),
      ...(typeof metadata?.generation === 'number' ? { generation: metadata.generation } : {}),
    },
    spec: {
      parentRefs,
      ...(Array.isArray(hostnames) ? { hostnames: hostnames as string[] } : {}),
      rules,
    },
  };
}
