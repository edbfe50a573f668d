// What the data plane's answers mean for a Gateway's Programmed condition.

import type { ProgrammedState } from '../../model/gateway-api/gateway-status.ts';
import type { BackendGatewayStatus } from '../../model/ir/backend-contract.ts';
import { GatewayReason } from '../../model/shared/conditions.ts';

export function programmedFromBackend(status: BackendGatewayStatus, revision: number): ProgrammedState {
  if (!status.translated) {
    return {
      status: 'False',
      reason: GatewayReason.Invalid,
      message: `${status.backend} could not translate the Gateway: ${status.message ?? 'unknown error'}`,
    };
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
    message: `Revision ${revision} accepted by ${status.proxies.length} ${status.backend} ${status.proxies.length === 1 ? 'proxy' : 'proxies'}`,
  };
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
