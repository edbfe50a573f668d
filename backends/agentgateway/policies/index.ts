// The Envoy Gateway policies of a rule (the IR's `policies`, model/ir/policies.ts) as agentgateway's own policy
// resources: TrafficPolicySpecs on the Route and BackendPolicySpecs on its RouteBackends, one file per family.
// A policy translates whole or not at all: when any value of it has no agentgateway equivalent, the rule answers
// 500 and the value is named (the route's status says UnsupportedValue with the field and the data plane).
// A rule the model denied (a policy it could not enforce) answers the model's status, as on Envoy.
import type { RuleIR } from '../../../model/ir/gateway-ir.ts';
import type { Json } from '../types.ts';
import { apiKeyAuthPolicy } from './api-key-auth.ts';
import { authorizationPolicy } from './authorization.ts';
import { backendHealthPolicies } from './backend-health.ts';
import { basicAuthPolicy } from './basic-auth.ts';
import type { FamilyOutput, PolicyContext, Unsupported } from './context.ts';
import { corsPolicy } from './cors.ts';
import { extAuthzPolicy } from './ext-authz.ts';
import { extProcPolicy } from './ext-proc.ts';
import { jwtPolicy } from './jwt.ts';
import { rateLimitPolicies } from './rate-limit.ts';
import { timingPolicies } from './retry-timeout.ts';

export type { PolicyContext, Unsupported } from './context.ts';
export { unsupportedText } from './context.ts';
export { duration } from './duration.ts';

export interface RulePolicyResources {
  /** The rule is answered directly with this status (a policy the model could not enforce). */
  readonly denied?: number;
  readonly traffic: readonly Json[];
  readonly backend: readonly Json[];
  readonly unsupported: readonly Unsupported[];
}

export function rulePolicyResources(rule: RuleIR, context: PolicyContext): RulePolicyResources {
  const policies = rule.policies;
  if (policies?.denied !== undefined)
    return { denied: policies.denied.status, traffic: [], backend: [], unsupported: [] };
  const outputs: FamilyOutput[] = [];
  const security = policies?.security;
  if (security !== undefined) {
    // In agentgateway's order of evaluation: CORS, JWT, basic auth, API keys, ext authz, authorization.
    if (security.cors !== undefined) outputs.push(corsPolicy(security.cors));
    if (security.jwt !== undefined) outputs.push(jwtPolicy(security, security.jwt));
    if (security.basicAuth !== undefined) outputs.push(basicAuthPolicy(security.basicAuth));
    if (security.apiKeyAuth !== undefined) outputs.push(apiKeyAuthPolicy(security, security.apiKeyAuth));
    if (security.extAuth !== undefined) outputs.push(extAuthzPolicy(security, security.extAuth, context));
    if (security.authorization !== undefined) outputs.push(authorizationPolicy(security.authorization));
    if (security.oidc !== undefined)
      outputs.push(
        unsupported(
          security.policy,
          'SecurityPolicy',
          'spec.oidc',
          "agentgateway's xDS resource API has no OpenID Connect policy",
        ),
      );
  }
  const extension = policies?.extension;
  if (extension !== undefined) outputs.push(extProcPolicy(extension, context));
  const traffic = policies?.traffic;
  if (traffic !== undefined) {
    outputs.push(rateLimitPolicies(traffic), backendHealthPolicies(traffic));
    if (traffic.faultInjection !== undefined)
      outputs.push(
        unsupported(
          traffic.policy,
          'BackendTrafficPolicy',
          'spec.faultInjection',
          'agentgateway injects no faults',
        ),
      );
    if (traffic.responseOverrides !== undefined && traffic.responseOverrides.length > 0)
      outputs.push(
        unsupported(
          traffic.policy,
          'BackendTrafficPolicy',
          'spec.responseOverride',
          'agentgateway rewrites no responses by status',
        ),
      );
  }
  outputs.push(timingPolicies(rule));
  const headers = outputs.flatMap((o) => o.requestHeaders ?? []);
  return {
    traffic: [
      ...outputs.flatMap((o) => o.traffic ?? []),
      ...(headers.length > 0
        ? [
            {
              transformation: {
                request: { set: headers.map((h) => ({ name: h.name, expression: h.expression })) },
              },
            },
          ]
        : []),
    ],
    backend: outputs.flatMap((o) => o.backend ?? []),
    unsupported: outputs.flatMap((o) => o.unsupported ?? []),
  };
}

function unsupported(policy: Unsupported['policy'], kind: string, field: string, why: string): FamilyOutput {
  return { unsupported: [{ policy, kind, field, why }] };
}
