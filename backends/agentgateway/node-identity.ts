// Which Gateway an agentgateway proxy serves: its xDS Node.metadata names it, as agentgateway sends it —
// `GATEWAY_NAME` and `NAMESPACE`, or `role` = `<namespace>~<gateway>`. The node id names the proxy itself when
// agentgateway knows its pod (POD_NAME set, as in the Deployments we provision); without it every proxy sends
// `agentgateway~1.1.1.1~.~.svc.cluster.local`, so such a node names no proxy and the server names it by its address.
import { GATEWAY_GROUP, type ResourceKey, resourceKey } from '../../model/resources/resource-key.ts';

/** The `role` metadata value for a Gateway. */
export function roleOf(gateway: ResourceKey): string {
  return `${gateway.namespace ?? ''}~${gateway.name}`;
}

/** Node.metadata (a google.protobuf.Struct, decoded or as plain JSON) as string values by key. */
export function metadataStrings(metadata: unknown): Record<string, string> {
  if (metadata === null || typeof metadata !== 'object') return {};
  const fields = (metadata as { fields?: unknown }).fields;
  const out: Record<string, string> = {};
  if (fields !== null && typeof fields === 'object') {
    for (const [key, value] of Object.entries(fields as Record<string, unknown>)) {
      const text = (value as { string_value?: unknown; stringValue?: unknown } | null)?.string_value;
      const camel = (value as { stringValue?: unknown } | null)?.stringValue;
      if (typeof text === 'string' && text !== '') out[key] = text;
      else if (typeof camel === 'string' && camel !== '') out[key] = camel;
    }
    return out;
  }
  for (const [key, value] of Object.entries(metadata as Record<string, unknown>)) {
    if (typeof value === 'string') out[key] = value;
  }
  return out;
}

const NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** The Gateway a node serves, or a message naming the convention when its metadata does not follow it. */
export function gatewayOfNode(
  node: object | null | undefined,
): { readonly ok: true; readonly gateway: ResourceKey } | { readonly ok: false; readonly message: string } {
  const metadata = metadataStrings((node as { metadata?: unknown } | null | undefined)?.metadata);
  let namespace = metadata.NAMESPACE;
  let name = metadata.GATEWAY_NAME;
  if ((namespace === undefined || name === undefined) && metadata.role !== undefined) {
    const parts = metadata.role.split('~');
    if (parts.length === 2) [namespace, name] = parts as [string, string];
  }
  if (namespace === undefined || name === undefined || !NAME.test(namespace) || !NAME.test(name)) {
    return {
      ok: false,
      message: `node.metadata must name the Gateway: GATEWAY_NAME and NAMESPACE, or role '<namespace>~<gateway>' (got ${JSON.stringify(metadata)}); use the config from 'switchyard agentgateway-config'`,
    };
  }
  return { ok: true, gateway: resourceKey(GATEWAY_GROUP, 'Gateway', namespace, name) };
}

/** The proxy's own name: its node id when agentgateway knew its pod name (metadata NAME), else none. */
export function proxyOfNode(node: object | null | undefined): string | undefined {
  const metadata = metadataStrings((node as { metadata?: unknown } | null | undefined)?.metadata);
  const id = (node as { id?: unknown } | null | undefined)?.id;
  return metadata.NAME !== undefined && typeof id === 'string' && id !== '' ? id : undefined;
}
