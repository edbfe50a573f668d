// GEP-713 policy attachment, shared by every policy kind (SecurityPolicy, ClientTrafficPolicy,
// EnvoyExtensionPolicy, BackendTrafficPolicy): a policy kind plugs in as a PolicyKindRules (its target kinds and
// its spec → IR function), and evaluatePolicy makes its verdict after the strict field check. The rest of the
// layer is in its own files: which objects a policy targets (policy-targets.ts: targetRef(s) with an optional
// sectionName, targetSelectors by labels), which policy is in force where (precedence.ts: between policies of
// one kind on the same target the oldest wins, the others are Conflicted; apply.ts: route rule > route >
// listener > ListenerSet > Gateway, the most specific wins — or, for kinds with Envoy Gateway's mergeType, a
// route-level policy that asks for it is merged into its parent's), and the policy's status.ancestors
// (ancestor-status.ts).

import type { EnvoyGatewayPolicy, EnvoyGatewayPolicyKind } from '../resources/envoy-gateway-policies.ts';
import { ENVOY_GATEWAY_POLICY_KINDS, POLICY_SPEC_SCHEMAS } from '../resources/envoy-gateway-policies.ts';
import { schemaProblems } from '../resources/field-schema.ts';
import { PolicyReason } from '../shared/conditions.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import type { OidcDiscoveryView } from './oidc-discovery.ts';
import { targetSelectorProblems } from './policy-targets.ts';
import { memoisedVerdict } from './verdict-memo.ts';

/** What a listener-scoped policy may depend on of the listener it applies to. */
export interface ListenerFacts {
  readonly name: string;
  readonly hostname?: string;
  /** Hostnames of the routes on the listener. */
  readonly routeHostnames: readonly string[];
}

/** What a kind's rules make of a policy: its IR, or why it cannot be enforced. */
export type PolicyVerdict<IR> =
  | { readonly ok: true; readonly ir: IR }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly message: string;
      /** The targeted traffic must be refused rather than served without the policy. */
      readonly failClosed: boolean;
    };

/** A refusal with reason Invalid: the field and the fix are in `message`. */
export function invalid<IR>(message: string, failClosed = true): PolicyVerdict<IR> {
  return { ok: false, reason: PolicyReason.Invalid, message, failClosed };
}

export interface PolicyKindRules<IR> {
  readonly kind: EnvoyGatewayPolicyKind;
  /** Target kinds (group gateway.networking.k8s.io) this kind may attach to. */
  readonly targetKinds: readonly string[];
  /** Where the kind's IR goes: route rules (and so routes) or listeners. */
  readonly scope: 'rule' | 'listener';
  /**
   * Listener-scoped kinds: the IR as it applies to one listener, or why it cannot apply there (a setting that
   * depends on the listener's hostname or its routes'). Used by apply.ts per listener and by the policy's status.
   */
  readonly forListener?: (ir: IR, listener: ListenerFacts) => PolicyVerdict<IR>;
  evaluate(policy: EnvoyGatewayPolicy, view: ResourceView, context: PolicyContext): PolicyVerdict<IR>;
  /** Kinds with Envoy Gateway's mergeType: whether a (route-level) policy asks to be merged into its parent's. */
  readonly merges?: (policy: EnvoyGatewayPolicy) => boolean;
  /** The IR of a merging route-level `child` merged into `parent`, the Gateway- or listener-level policy in force. */
  readonly merge?: (
    child: EnvoyGatewayPolicy,
    parent: EnvoyGatewayPolicy,
    view: ResourceView,
    context: PolicyContext,
  ) => PolicyVerdict<IR>;
  /** A strict-field problem said better (a field some documents invent, and what to use instead). */
  readonly explainProblem?: (problem: string) => string;
}

const POLICY_KIND_NAMES: ReadonlySet<string> = new Set(ENVOY_GATEWAY_POLICY_KINDS);

/** Where the policies are enforced, which decides what their services may be (policies/backend.ts). */
export interface PolicyContext {
  /**
   * The data plane runs on this host (standalone mode): a Backend a policy calls may name loopback addresses and
   * single-label names. In a cluster they would reach the proxy pod itself.
   */
  readonly hostDataPlane: boolean;
  /** The OpenID Connect discovery documents the control plane has read (policies/oidc-discovery.ts). */
  readonly oidcDiscovery?: OidcDiscoveryView;
}

/** A data plane in a cluster: the stricter context, for callers that do not say. */
export const CLUSTER_POLICY_CONTEXT: PolicyContext = { hostDataPlane: false };

export function isPolicyKind(kind: string): kind is EnvoyGatewayPolicyKind {
  return POLICY_KIND_NAMES.has(kind);
}

/** Strict field check of a policy's spec against its kind's schema (unknown fields, wrong types). */
export function policySchemaProblems(policy: EnvoyGatewayPolicy): string[] {
  return schemaProblems(policy.spec ?? {}, POLICY_SPEC_SCHEMAS[policy.kind], 'spec');
}

/**
 * What a kind's rules make of a policy, after the strict field check: unknown fields or wrong types refuse it
 * (naming them). Refusing a security setting denies its targets; a ClientTrafficPolicy only when it asks for
 * client certificate validation (anything else it sets only tunes connections). Computed once per policy object
 * and reused while nothing it read changed (verdict-memo.ts): a policy's status and each Gateway it applies to
 * share one verdict, and one IR object.
 */
export function evaluatePolicy<IR>(
  policy: EnvoyGatewayPolicy,
  rules: PolicyKindRules<IR>,
  view: ResourceView,
  context: PolicyContext = CLUSTER_POLICY_CONTEXT,
): PolicyVerdict<IR> {
  return memoisedVerdict(policy, rules, view, context, (reads, readContext) =>
    verdictAsWritten(policy, rules, reads, readContext),
  );
}

function verdictAsWritten<IR>(
  policy: EnvoyGatewayPolicy,
  rules: PolicyKindRules<IR>,
  view: ResourceView,
  context: PolicyContext,
): PolicyVerdict<IR> {
  const problems = policyProblemsAsWritten(policy, rules);
  if (problems.length === 0) return rules.evaluate(policy, view, context);
  const mtls = policy.kind === 'ClientTrafficPolicy' && policy.spec?.tls?.clientValidation !== undefined;
  return {
    ok: false,
    reason: PolicyReason.Invalid,
    message: problems.join('; '),
    failClosed: policy.kind !== 'ClientTrafficPolicy' || mtls,
  };
}

/**
 * What is wrong with a policy as written, whatever it targets (its fields, its selectors): for a policy with no
 * ancestor to carry its condition, which `switchyard translate` still reports.
 */
export function policyProblemsAsWritten<IR>(
  policy: EnvoyGatewayPolicy,
  rules: PolicyKindRules<IR>,
): readonly string[] {
  const known = PROBLEMS.get(policy);
  if (known !== undefined && known.rules === rules) return known.problems;
  const schema = policySchemaProblems(policy).map((problem) => rules.explainProblem?.(problem) ?? problem);
  const problems = schema.length > 0 ? schema : targetSelectorProblems(policy, rules.targetKinds);
  const checked = problems.length === 0 ? noProblems(rules) : { rules, problems };
  PROBLEMS.set(policy, checked);
  return checked.problems;
}

/**
 * A policy's problems as written, by policy object (a changed policy is a new object): the reference validator
 * reports them as the policy changes and the verdict refuses on them, and the strict field check walks the spec
 * once for both. Every policy without problems (nearly all) shares its kind's one entry.
 */
const PROBLEMS = new WeakMap<object, Checked>();
const CLEAN = new WeakMap<object, Checked>();
interface Checked {
  readonly rules: object;
  readonly problems: readonly string[];
}

function noProblems(rules: object): Checked {
  let clean = CLEAN.get(rules);
  if (clean === undefined) {
    clean = { rules, problems: [] };
    CLEAN.set(rules, clean);
  }
  return clean;
}
