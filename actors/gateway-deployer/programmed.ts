// What the data plane's answers mean for a Gateway's Programmed condition.

import type { ProgrammedState } from '../../model/gateway-api/gateway-status.ts';
import type { BackendGatewayStatus } from '../../model/ir/backend-contract.ts';
import { GatewayReason } from '../../model/shared/conditions.ts';

/** `listeners`: how many listeners the revision has (when every one is refused, nothing is programmed). */
export function programmedFromBackend(
  status: BackendGatewayStatus,
  revision: number,
  listeners = 0,
): ProgrammedState {
  if (!status.translated) {
    return {
      status: 'False',
      reason: GatewayReason.Invalid,
      message: `${status.backend} could not translate the Gateway: ${status.message ?? 'unknown error'}`,
    };
  }
  if (status.searching !== undefined) {
    return { status: 'Unknown', reason: GatewayReason.Pending, message: status.searching };
  }
  const rejected = status.proxies.filter((proxy) => proxy.rejection !== undefined);
  if (rejected.length > 0) {
    const details = rejected.map((proxy) => `${proxy.proxy}: ${proxy.rejection}`).join('; ');
    return {
      status: 'False',
      reason: GatewayReason.Invalid,
      message: `${status.backend} rejected revision ${revision}: ${details}`,
    };
  }
  const refusedListeners = (status.refusals ?? []).filter(
    (r) => r.severity === 'dropped' && r.listener !== undefined,
  );
  const distinct = new Set(refusedListeners.map((r) => JSON.stringify(r.listener)));
  if (listeners > 0 && distinct.size >= listeners) {
    return {
      status: 'False',
      reason: GatewayReason.Invalid,
      message: `The data plane refused every listener of revision ${revision}: ${[...new Set(refusedListeners.map((r) => r.message))].join('; ')}`,
    };
  }
  if (status.proxies.length === 0) {
    return {
      status: 'Unknown',
      reason: GatewayReason.Pending,
      message: `Waiting for a ${status.backend} proxy of this Gateway to connect`,
    };
  }
  const behind = status.proxies.filter((proxy) => (proxy.ackedRevision ?? -1) < revision);
  if (behind.length > 0) {
    return {
      status: 'Unknown',
      reason: GatewayReason.Pending,
      message: `Waiting for ${behind.length} of ${status.proxies.length} ${status.backend} proxies to accept revision ${revision}`,
    };
  }
  return {
    status: 'True',
    reason: GatewayReason.Programmed,
    message: `Revision ${revision} accepted by ${status.proxies.length} ${status.backend} ${status.proxies.length === 1 ? 'proxy' : 'proxies'}${refusalSummary(status)}`,
  };
}

/**
 * What the proxies run without (or with a warning): counted here, told in full on the routes and listeners
 * concerned; what belongs to no route or listener (a backend) is told here.
 */
function refusalSummary(status: BackendGatewayStatus): string {
  const refusals = status.refusals ?? [];
  if (refusals.length === 0) return '';
  const count = (severity: 'dropped' | 'warning', what: (r: (typeof refusals)[number]) => boolean) =>
    refusals.filter((r) => r.severity === severity && what(r)).length;
  const parts: string[] = [];
  const routes = (severity: 'dropped' | 'warning') =>
    new Set(
      refusals
        .filter((r) => r.severity === severity && r.route !== undefined)
        .map((r) => JSON.stringify(r.route)),
    ).size;
  const droppedRoutes = routes('dropped');
  const droppedListeners = count('dropped', (r) => r.listener !== undefined);
  const warned = routes('warning') + count('warning', (r) => r.listener !== undefined);
  if (droppedRoutes > 0)
    parts.push(`${droppedRoutes} route${droppedRoutes === 1 ? '' : 's'} (or rules of them) refused`);
  if (droppedListeners > 0)
    parts.push(`${droppedListeners} listener${droppedListeners === 1 ? '' : 's'} refused`);
  if (warned > 0) parts.push(`warnings on ${warned} route${warned === 1 ? '' : 's'} or listeners`);
  const others = refusals.filter((r) => r.route === undefined && r.listener === undefined);
  const said = others.map((r) => `${r.severity === 'dropped' ? 'refused' : 'warning'}: ${r.message}`);
  const listed = parts.length > 0 ? `; the rest is served, with ${parts.join(', ')} (see their status)` : '';
  return `${listed}${said.length > 0 ? `; ${said.join('; ')}` : ''}`;
}

export function noBackend(backend: string): ProgrammedState {
  return {
    status: 'Unknown',
    reason: GatewayReason.Pending,
    message: `No ${backend} data-plane backend runs in this process: the configuration is computed but not served`,
  };
}

export const invalidConfiguration: ProgrammedState = {
  status: 'False',
  reason: GatewayReason.Invalid,
  message: 'The Gateway has no valid configuration to program',
};
