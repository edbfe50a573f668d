// What every policy family of the agentgateway backend works with: the rule's key (it names what cannot be
// reached), the Backend set (a policy's service becomes a Backend like a route's), and where the family says what
// agentgateway cannot express. A family either translates a policy whole or names the field it cannot express:
// the rule then fails closed (routes.ts), never served with part of a policy.
import type { PolicyDestinationIR } from '../../../model/ir/policies.ts';
import type { ResourceKey } from '../../../model/resources/resource-key.ts';
import type { BackendSet } from '../backends.ts';
import type { Json } from '../types.ts';

export interface PolicyContext {
  /** The Route key of the rule. */
  readonly owner: string;
  readonly backends: BackendSet;
}

/** One value of a policy agentgateway cannot express: the policy, the field (its spec path) and why. */
export interface Unsupported {
  readonly policy: ResourceKey;
  readonly kind: string;
  readonly field: string;
  readonly why: string;
}

/** What a family gives a rule. */
export interface FamilyOutput {
  /** TrafficPolicySpecs of the Route. */
  readonly traffic?: readonly Json[];
  /** BackendPolicySpecs of each of the rule's RouteBackends. */
  readonly backend?: readonly Json[];
  /** Request headers set after authentication (a CEL expression each): claims, client ids, user names. */
  readonly requestHeaders?: readonly { readonly name: string; readonly expression: string }[];
  readonly unsupported?: readonly Unsupported[];
}

export function unsupportedText(u: Unsupported): string {
  return `${u.kind} ${u.policy.namespace ?? ''}/${u.policy.name} ${u.field}: ${u.why}; agentgateway cannot express it`;
}

/**
 * The BackendReference of a policy's service (ext auth, rate limit service): its first backend's first target.
 * agentgateway names one backend per policy, so a Service is reached at its first ready endpoint (undefined when
 * it has none: the caller fails closed).
 */
export function destinationRef(
  destination: PolicyDestinationIR,
  context: PolicyContext,
  role: string,
): Json | undefined {
  if (destination.kind !== 'backends') return undefined;
  const first = destination.backends.find((b) => b.weight > 0) ?? destination.backends[0];
  if (first === undefined) return undefined;
  const target = context.backends.targets(first, `${context.owner}/${role}`)[0];
  if (target === undefined || String(target.ref.backend ?? '').startsWith('unavailable/')) return undefined;
  return target.ref;
}
