// The policy kinds Switchyard enforces, as the attachment layer takes them (attachment.ts, apply.ts): each kind
// is its rules (targets, spec → IR) and where its IR goes.
import type { EnvoyGatewayPolicyKind } from '../resources/envoy-gateway-policies.ts';
import type { PolicyKinds } from './apply.ts';
import type { PolicyKindRules } from './attachment.ts';
import { backendTrafficPolicyRules } from './backend-traffic-policy.ts';
import { clientTrafficPolicyRules } from './client-traffic-policy.ts';
import { envoyExtensionPolicyRules } from './envoy-extension-policy.ts';
import { securityPolicyRules } from './security-policy.ts';

export { computePolicyStatus } from './ancestor-status.ts';
export { applyPolicies } from './apply.ts';
export { isPolicyKind, policyProblemsAsWritten } from './attachment.ts';
export { policyTargetDependencies } from './policy-targets.ts';
export { type PolicyLookup, scanningPolicyLookup } from './precedence.ts';

const HTTP_ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute'];
/** BackendTrafficPolicy's cluster settings mean something for every route kind (its HTTP settings for HTTP kinds). */
const ALL_ROUTE_KINDS = ['HTTPRoute', 'GRPCRoute', 'TCPRoute', 'TLSRoute', 'UDPRoute'];

export const POLICY_KINDS: PolicyKinds = {
  listener: clientTrafficPolicyRules,
  rule: [
    {
      rules: securityPolicyRules as PolicyKindRules<unknown>,
      field: 'security',
      routeKinds: HTTP_ROUTE_KINDS,
    },
    {
      rules: envoyExtensionPolicyRules as PolicyKindRules<unknown>,
      field: 'extension',
      routeKinds: HTTP_ROUTE_KINDS,
    },
    {
      rules: backendTrafficPolicyRules as PolicyKindRules<unknown>,
      field: 'traffic',
      routeKinds: ALL_ROUTE_KINDS,
    },
  ],
};

/** The rules of a kind we enforce, or undefined. */
export function policyKindRules(kind: EnvoyGatewayPolicyKind): PolicyKindRules<unknown> | undefined {
  if (POLICY_KINDS.listener?.kind === kind) return POLICY_KINDS.listener as PolicyKindRules<unknown>;
  return POLICY_KINDS.rule.find((entry) => entry.rules.kind === kind)?.rules;
}
