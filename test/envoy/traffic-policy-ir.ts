// BackendTrafficPolicy specs as IR for real-Envoy tests: the spec goes through the policy's own rules
// (model/policies/backend-traffic-policy.ts), the path a BackendTrafficPolicy object takes in the control plane.
import type { BackendTrafficIR } from '../../model/ir/traffic-policies.ts';
import { evaluateBackendTrafficPolicy } from '../../model/policies/backend-traffic-policy.ts';
import type { BackendTrafficPolicySpec } from '../../model/resources/backend-traffic-policy.ts';
import { ResourceStore } from '../../model/shared/resource-view.ts';

/** A policy spec as its rules read it (the same path a BackendTrafficPolicy object takes). */
export function trafficIR(name: string, spec: BackendTrafficPolicySpec): BackendTrafficIR {
  const verdict = evaluateBackendTrafficPolicy(
    {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'BackendTrafficPolicy',
      metadata: { name, namespace: 'default' },
      spec,
    },
    new ResourceStore(),
  );
  if (!verdict.ok) throw new Error(`policy ${name} refused: ${verdict.message}`);
  return verdict.ir;
}
