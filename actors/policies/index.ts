// Envoy Gateway's policy kinds (SecurityPolicy, ClientTrafficPolicy, EnvoyExtensionPolicy) in the control plane:
// this controller owns them in the shared state; the reference validator applies them to the Gateways they
// attach to and computes their status.ancestors (model/policies/).

import { ENVOY_GATEWAY_POLICY_KINDS } from '../../model/resources/envoy-gateway-policies.ts';
import type { KindName } from '../../model/resources/kinds.ts';
import type { ResourceStore } from '../../model/shared/resource-view.ts';
import { kindOwnerSpec } from '../shared/kind-owner-spec.ts';
import { POLICY_CONTROLLER } from './messages.ts';

export { POLICY_CONTROLLER } from './messages.ts';

export const POLICY_OWNED_KINDS: readonly KindName[] = ENVOY_GATEWAY_POLICY_KINDS;

export function policyControllerSpec(store: ResourceStore) {
  return kindOwnerSpec(POLICY_CONTROLLER, POLICY_OWNED_KINDS, store);
}
