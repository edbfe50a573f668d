// GatewayClass controller: owns GatewayClasses and our GatewayClassParameters in the shared state.

import type { KindName } from '../../model/resources/kinds.ts';
import type { ResourceStore } from '../../model/shared/resource-view.ts';
import { kindOwnerSpec } from '../shared/kind-owner-spec.ts';

export const GATEWAY_CLASS_CONTROLLER = 'controller.gateway-class';
/** GatewayClasses and what their parametersRef names: our parameters or an Envoy Gateway EnvoyProxy. */
export const GATEWAY_CLASS_KINDS: readonly KindName[] = [
  'GatewayClass',
  'GatewayClassParameters',
  'EnvoyProxy',
];

export function gatewayClassControllerSpec(store: ResourceStore) {
  return kindOwnerSpec(GATEWAY_CLASS_CONTROLLER, GATEWAY_CLASS_KINDS, store);
}
