// Names of the Envoy resources one Gateway translates to. Every name is unique within the Gateway's snapshot
// and stable across revisions, so an unchanged resource keeps its name and its version.

import type { BackendIR, ListenerIR } from '../../model/ir/gateway-ir.ts';
import { formatResourceKey, type ResourceKey } from '../../model/resources/resource-key.ts';

export function listenerName(port: number, transport: 'TCP' | 'UDP'): string {
  return transport === 'UDP' ? `udp/${port}` : `tcp/${port}`;
}

/** The route configuration of a plain HTTP port (all its listeners share one, isolated by virtual host). */
export function portRouteName(port: number): string {
  return `http/${port}`;
}

/** The route configuration of one TLS-terminating HTTPS listener (one per filter chain). */
export function listenerRouteName(port: number, listener: ListenerIR): string {
  return `https/${port}/${listenerKey(listener)}`;
}

export function listenerKey(listener: ListenerIR): string {
  const owner = listener.owner;
  return `${owner.kind}/${owner.namespace ?? ''}/${owner.name}/${listener.name}`;
}

/** The cluster of a resolved backend; HTTP/2 gets its own cluster so one Service may serve both protocols. */
export function clusterName(backend: Exclude<BackendIR, { kind: 'Invalid' }>, http2: boolean): string {
  const suffix = http2 ? '/h2' : '';
  if (backend.kind === 'Service') {
    return `service/${backend.service.namespace ?? ''}/${backend.service.name}/${backend.port}${suffix}`;
  }
  if (backend.kind === 'Backend') {
    return `backend/${backend.backend.namespace ?? ''}/${backend.backend.name}${suffix}`;
  }
  return `pool/${backend.pool.namespace ?? ''}/${backend.pool.name}${suffix}`;
}

export function secretName(secret: ResourceKey): string {
  return `secret/${secret.namespace ?? ''}/${secret.name}`;
}

/** The key of TLS material in BackendGatewayChanged.tls. */
export function tlsMaterialKey(secret: ResourceKey): string {
  return formatResourceKey(secret);
}
