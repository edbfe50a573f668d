// Which Gateway a proxy serves: its node cluster (Envoy's --service-cluster) is `<namespace>/<gateway name>`,
// the convention Envoy Gateway uses too. The node id names the proxy itself (e.g. its pod name).
import { GATEWAY_GROUP, type ResourceKey, resourceKey } from '../../model/resources/resource-key.ts';

export function nodeClusterOf(gateway: ResourceKey): string {
  return `${gateway.namespace ?? ''}/${gateway.name}`;
}

/** The Gateway a node serves, or a message naming the convention when the node cluster does not follow it. */
export function gatewayOfNode(
  node: { readonly cluster?: string } | null | undefined,
): { readonly ok: true; readonly gateway: ResourceKey } | { readonly ok: false; readonly message: string } {
  const parts = (node?.cluster ?? '').split('/');
  if (parts.length !== 2 || parts[0] === '' || parts[1] === '') {
    return {
      ok: false,
      message: `node.cluster must be '<namespace>/<gateway>' (got '${node?.cluster ?? ''}'); set it with --service-cluster or the bootstrap from 'switchyard envoy-bootstrap'`,
    };
  }
  return { ok: true, gateway: resourceKey(GATEWAY_GROUP, 'Gateway', parts[0], parts[1]!) };
}
