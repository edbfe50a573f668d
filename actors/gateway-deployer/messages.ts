// The gateway deployer's inbox: resolved Gateways from the reference validator, and backend responses.

import type { GatewayListeners } from '../../model/gateway-api/gateway-listeners.ts';
import type { BackendGatewayResponse } from '../../model/ir/backend-contract.ts';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import type { Message } from '../../runtime/message.ts';

export const GATEWAY_DEPLOYER = 'gateway-deployer';

/** A Gateway of ours was recomputed: its listeners, attached-route counts and IR (absent when invalid). */
export interface GatewayResolved extends Message<'gateway.resolved'> {
  readonly gateway: ResourceKey;
  readonly listeners: GatewayListeners;
  /** Accepted routes per listener id (model's `listenerId`). */
  readonly attachedRoutes: readonly (readonly [string, number])[];
  readonly ir: GatewayIR | undefined;
}

/** A Gateway is gone or no longer ours. */
export interface GatewayRemoved extends Message<'gateway.removed'> {
  readonly gateway: ResourceKey;
}

export type GatewayDeployerMessage = GatewayResolved | GatewayRemoved | BackendGatewayResponse;
