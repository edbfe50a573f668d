// Gateway controller: owns Gateways and the ListenerSets that extend them.

import type { KindName } from '../../model/resources/kinds.ts';
import type { ResourceStore } from '../../model/shared/resource-view.ts';
import { kindOwnerSpec } from '../shared/kind-owner-spec.ts';

export const GATEWAY_CONTROLLER = 'controller.gateway';
export const GATEWAY_KINDS: readonly KindName[] = ['Gateway', 'ListenerSet'];

export function gatewayControllerSpec(store: ResourceStore) {
  return kindOwnerSpec(GATEWAY_CONTROLLER, GATEWAY_KINDS, store);
}
