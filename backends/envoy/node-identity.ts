// Which Gateway a proxy serves: its node cluster (Envoy's --service-cluster) is `<namespace>/<gateway name>`,
// the convention Envoy Gateway uses too. The node id names the proxy itself (e.g. its pod name). The rate limit
// service, which sets no node cluster, is known by its node id `ratelimit~<name>` (ratelimit-service.ts).
import { GATEWAY_GROUP, type ResourceKey, resourceKey } from '../../model/resources/resource-key.ts';

/** What the rate limit service's configuration is filed under in the ADS server, as if it were a Gateway. */
export const RATE_LIMIT_SERVICE_KEY: ResourceKey = resourceKey(
  'switchyard.dev',
  'RateLimitService',
  'switchyard',
  'ratelimit',
);
/** The node id prefix of rate limit service replicas (CONFIG_GRPC_XDS_NODE_ID=ratelimit~<pod name>). */
export const RATE_LIMIT_NODE_PREFIX = 'ratelimit~';

export function nodeClusterOf(gateway: ResourceKey): string {
  return `${gateway.namespace ?? ''}/${gateway.name}`;
}

/** The Gateway a node serves, or a message naming the convention when the node cluster does not follow it. */
export function gatewayOfNode(
  node: { readonly cluster?: string; readonly id?: string } | null | undefined,
): { readonly ok: true; readonly gateway: ResourceKey } | { readonly ok: false; readonly message: string } {
  if ((node?.cluster ?? '') === '' && (node?.id ?? '').startsWith(RATE_LIMIT_NODE_PREFIX))
    return { ok: true, gateway: RATE_LIMIT_SERVICE_KEY };
  const parts = (node?.cluster ?? '').split('/');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    return {
      ok: false,
      message: `node.cluster must be '<namespace>/<gateway>' (got '${node?.cluster ?? ''}'); set it with --service-cluster or the bootstrap from 'switchyard envoy-bootstrap'`,
    };
  }
  return { ok: true, gateway: resourceKey(GATEWAY_GROUP, 'Gateway', parts[0], parts[1]!) };
}
