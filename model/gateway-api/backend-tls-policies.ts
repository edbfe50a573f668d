// BackendTLSPolicy status: written per ancestor Gateway, the Gateways whose accepted routes send traffic to a
// target; Accepted (or Conflicted, TargetNotFound, NoValidCACertificate) from the policy in force (backend-tls.ts).

import type { BackendTLSPolicy, PolicyAncestorStatus } from '../resources/gateway-api.ts';
import {
  formatResourceKey,
  GATEWAY_GROUP,
  keyOf,
  type ResourceKey,
  resourceKey,
} from '../resources/resource-key.ts';
import {
  type ConditionSpec,
  ConditionType,
  condition,
  mergeConditions,
  PolicyReason,
  type Stamp,
} from '../shared/conditions.ts';
import { normalizeGroup } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import {
  BACKEND_TARGET,
  backendTLSConflictWinner,
  evaluateBackendTLSPolicy,
  isBackendTLSTarget,
  SERVICE_TARGET,
} from './backend-tls.ts';
import type { RouteEvaluation } from './route-status.ts';

/**
 * Gateways whose accepted routes use a Service (or Backend) the policy targets: where its status is reported. A
 * backend the policy leaves unusable still counts: its route's traffic fails because of the policy.
 */
export function backendTLSPolicyAncestors(
  policy: BackendTLSPolicy,
  evaluations: Iterable<RouteEvaluation>,
): ResourceKey[] {
  const namespace = policy.metadata?.namespace ?? '';
  const targets = new Set(
    (Array.isArray(policy.spec?.targetRefs) ? policy.spec.targetRefs : [])
      .filter(isBackendTLSTarget)
      .map((t) =>
        formatResourceKey(resourceKey(normalizeGroup(t.group), String(t.kind), namespace, String(t.name))),
      ),
  );
  const gateways = new Map<string, ResourceKey>();
  for (const evaluation of evaluations) {
    const usesTarget = evaluation.rules.some((rule) =>
      rule.backends.some((b) => {
        const target = !b.result.ok
          ? b.result.tlsTarget
          : b.result.backend.kind === 'Service'
            ? b.result.backend.service
            : b.result.backend.kind === 'Backend'
              ? b.result.backend.backend
              : undefined;
        return target !== undefined && targets.has(formatResourceKey(target));
      }),
    );
    if (!usesTarget) continue;
    for (const parent of evaluation.parents) {
      if (parent.accepted) gateways.set(formatResourceKey(parent.gateway), parent.gateway);
    }
  }
  return [...gateways.keys()].sort().map((id) => gateways.get(id) as ResourceKey);
}

export interface BackendTLSPolicyStatusOptions extends Pick<Stamp, 'now'> {
  readonly controllerName: string;
  /** From `backendTLSPolicyAncestors`. */
  readonly ancestors: readonly ResourceKey[];
}

/** status.ancestors with our entries (one per ancestor Gateway) merged in; other controllers' entries kept. */
export function computeBackendTLSPolicyStatus(
  policy: BackendTLSPolicy,
  view: ResourceView,
  options: BackendTLSPolicyStatusOptions,
): { ancestors: PolicyAncestorStatus[] } {
  const stamp: Stamp = { generation: policy.metadata?.generation, now: options.now };
  const desired = policyConditions(policy, view);
  const previous = Array.isArray(policy.status?.ancestors) ? policy.status.ancestors : [];
  const ours: PolicyAncestorStatus[] = options.ancestors.map((gateway) => {
    const ancestorRef = {
      group: GATEWAY_GROUP,
      kind: 'Gateway',
      namespace: gateway.namespace ?? '',
      name: gateway.name,
    };
    const old = previous.find(
      (a) =>
        a?.controllerName === options.controllerName &&
        a.ancestorRef?.name === gateway.name &&
        (a.ancestorRef?.namespace ?? policy.metadata?.namespace) === gateway.namespace,
    );
    return {
      ancestorRef,
      controllerName: options.controllerName,
      conditions: mergeConditions(old?.conditions, desired, 'BackendTLSPolicy', stamp),
    };
  });
  const others = previous.filter((a) => a?.controllerName !== options.controllerName);
  return { ancestors: [...others, ...ours].slice(0, 16) };
}

function policyConditions(policy: BackendTLSPolicy, view: ResourceView): ConditionSpec[] {
  const namespace = policy.metadata?.namespace ?? '';
  const targets = Array.isArray(policy.spec?.targetRefs) ? policy.spec.targetRefs : [];
  const kinds = targets.filter(isBackendTLSTarget);
  const resolved = kinds.filter(
    (t) => view.get(t.kind === 'Backend' ? 'Backend' : 'Service', namespace, String(t.name)) !== undefined,
  );
  if (resolved.length === 0) {
    return [
      condition(
        ConditionType.Accepted,
        'False',
        PolicyReason.TargetNotFound,
        'spec.targetRefs: no target Service or Backend exists',
      ),
      condition(
        ConditionType.ResolvedRefs,
        'True',
        PolicyReason.ResolvedRefs,
        'No target to resolve references for',
      ),
    ];
  }
  const self = formatResourceKey(keyOf(policy));
  const beaten = resolved
    .map((t) => {
      const target = t.kind === 'Backend' ? BACKEND_TARGET : SERVICE_TARGET;
      const by = backendTLSConflictWinner(view, namespace, String(t.name), t.sectionName, target);
      return { ...t, by };
    })
    .find(({ by }) => by !== undefined && formatResourceKey(keyOf(by)) !== self);
  const verdict = evaluateBackendTLSPolicy(policy, view);
  if (!verdict.ok) return [verdict.accepted, verdict.resolvedRefs];
  const resolvedRefs =
    verdict.resolvedRefs ??
    condition(ConditionType.ResolvedRefs, 'True', PolicyReason.ResolvedRefs, 'All references resolved');
  if (beaten !== undefined) {
    return [
      condition(
        ConditionType.Accepted,
        'False',
        PolicyReason.Conflicted,
        `BackendTLSPolicy ${beaten.by?.metadata.name} takes precedence for ${beaten.kind} ${beaten.name}${beaten.sectionName ? ` port ${beaten.sectionName}` : ''} (older, or first by namespace/name)`,
      ),
      resolvedRefs,
    ];
  }
  return [
    condition(ConditionType.Accepted, 'True', PolicyReason.Accepted, 'Policy is accepted'),
    resolvedRefs,
  ];
}
