// Gateway API Inference Extension: an InferencePool's status per Gateway parent, from the evaluations of the
// routes that use it (Accepted, ResolvedRefs of its endpoint picker), merged with other controllers' entries.

import type { RouteEvaluation } from '../gateway-api/route-status.ts';
import type { InferencePool, InferencePoolSpec } from '../resources/inference.ts';
import type { Condition, ConditionStatus } from '../resources/kubernetes.ts';
import {
  compareResourceKeys,
  formatResourceKey,
  GATEWAY_GROUP,
  type ResourceKey,
  resourceKey,
} from '../resources/resource-key.ts';
import { asArray } from '../shared/arrays.ts';
import type { ResourceView } from '../shared/resource-view.ts';
import { type EndpointPickerResult, resolveEndpointPicker } from './pool-members.ts';

export const InferencePoolReason = {
  Accepted: 'Accepted',
  NotSupportedByParent: 'NotSupportedByParent',
  HTTPRouteNotAccepted: 'HTTPRouteNotAccepted',
  EndpointPickerRefMissing: 'EndpointPickerRefMissing',
  Pending: 'Pending',
  ResolvedRefs: 'ResolvedRefs',
  InvalidExtensionRef: 'InvalidExtensionRef',
} as const;

const MAX_PARENTS = 32;
/** Route kinds a Gateway can send to a pool (HTTP semantics); others leave it NotSupportedByParent. */
const POOL_ROUTE_KINDS: ReadonlySet<string> = new Set(['HTTPRoute', 'GRPCRoute']);

// ---- Status -------------------------------------------------------------------------------------------------

export interface InferencePoolParentStatus {
  parentRef: { group: string; kind: string; namespace?: string; name: string };
  controllerName: string;
  conditions: Condition[];
}

export interface InferencePoolStatus {
  parents: InferencePoolParentStatus[];
}

export interface InferencePoolStatusOptions {
  readonly controllerName: string;
  readonly now: string;
}

/** True when a rule of the route sends (or tries to send) to this pool. */
export function routeUsesPool(evaluation: RouteEvaluation, pool: ResourceKey): boolean {
  const id = formatResourceKey(pool);
  return evaluation.rules.some((rule) =>
    rule.backends.some(
      (b) =>
        b.result.ok &&
        b.result.backend.kind === 'InferencePool' &&
        formatResourceKey(b.result.backend.pool) === id,
    ),
  );
}

/**
 * The pool's status.parents: one entry of ours per Gateway that a route using the pool names (routes that do
 * not use it are ignored, so passing more is correct); other controllers' entries are kept as they are.
 * Accepted: True when some HTTPRoute/GRPCRoute using the pool is accepted by that Gateway, else
 * HTTPRouteNotAccepted; NotSupportedByParent when only other route kinds use it. ResolvedRefs: the picker.
 */
export function computeInferencePoolStatus(
  pool: InferencePool,
  view: ResourceView,
  evaluations: Iterable<RouteEvaluation>,
  options: InferencePoolStatusOptions,
): InferencePoolStatus {
  const key = resourceKey(
    'inference.networking.k8s.io',
    'InferencePool',
    pool.metadata?.namespace,
    String(pool.metadata?.name ?? ''),
  );
  const namespace = key.namespace ?? '';
  const spec: Partial<InferencePoolSpec> = pool.spec ?? {};
  const byGateway = new Map<string, { gateway: ResourceKey; accepted: boolean; httpKind: boolean }>();
  for (const evaluation of evaluations) {
    if (!routeUsesPool(evaluation, key)) continue;
    const httpKind = POOL_ROUTE_KINDS.has(evaluation.kind);
    for (const parent of evaluation.parents) {
      const id = formatResourceKey(parent.gateway);
      const entry = byGateway.get(id) ?? { gateway: parent.gateway, accepted: false, httpKind: false };
      entry.httpKind ||= httpKind;
      entry.accepted ||= httpKind && parent.accepted && parent.attachment.accepted;
      byGateway.set(id, entry);
    }
  }
  const picker = resolveEndpointPicker(view, namespace, spec.endpointPickerRef);
  const resolved = resolvedRefsCondition(picker);
  const previous = asArray<InferencePoolParentStatus>(
    (pool.status as InferencePoolStatus | undefined)?.parents,
  );
  const generation = typeof pool.metadata?.generation === 'number' ? pool.metadata.generation : undefined;
  const ours = [...byGateway.values()]
    .sort((a, b) => compareResourceKeys(a.gateway, b.gateway))
    .map(({ gateway, accepted, httpKind }): InferencePoolParentStatus => {
      const parentRef = {
        group: GATEWAY_GROUP,
        kind: 'Gateway',
        namespace: gateway.namespace ?? '',
        name: gateway.name,
      };
      const old = previous.find(
        (p) => p?.controllerName === options.controllerName && sameParent(p.parentRef, parentRef),
      );
      const desired = [acceptedCondition(accepted, httpKind, picker === undefined), resolved];
      return {
        parentRef,
        controllerName: options.controllerName,
        conditions: stamp(old?.conditions, desired, generation, options.now),
      };
    });
  return { parents: mergeInferencePoolParents(previous, ours, options.controllerName) };
}

/** Whether the status is ours to write: we report on the pool now, or did before (entries to remove). */
export function poolStatusConcernsUs(
  pool: InferencePool,
  status: InferencePoolStatus,
  controllerName: string,
): boolean {
  const ours = (entries: unknown) =>
    asArray<InferencePoolParentStatus>(entries).some((p) => p?.controllerName === controllerName);
  return ours(status.parents) || ours((pool.status as InferencePoolStatus | undefined)?.parents);
}

/**
 * Our entries replace our old ones (kept in place when the parent stays, dropped when it goes, new ones
 * appended); every other controller's entry is kept. At most 32, as the API allows.
 */
export function mergeInferencePoolParents(
  existing: readonly InferencePoolParentStatus[] | undefined,
  ours: readonly InferencePoolParentStatus[],
  controllerName: string,
): InferencePoolParentStatus[] {
  const pending = [...ours];
  const out: InferencePoolParentStatus[] = [];
  for (const entry of asArray<InferencePoolParentStatus>(existing)) {
    if (entry?.controllerName !== controllerName) {
      out.push(entry);
      continue;
    }
    const at = pending.findIndex((p) => sameParent(p.parentRef, entry.parentRef));
    if (at >= 0) out.push(...pending.splice(at, 1));
  }
  return [...out, ...pending].slice(0, MAX_PARENTS);
}

function acceptedCondition(accepted: boolean, httpKind: boolean, noPicker: boolean): ConditionSpec {
  if (!httpKind) {
    return spec(
      'Accepted',
      'False',
      InferencePoolReason.NotSupportedByParent,
      'only HTTPRoutes and GRPCRoutes can send to an InferencePool on this Gateway',
    );
  }
  if (!accepted) {
    return spec(
      'Accepted',
      'False',
      InferencePoolReason.HTTPRouteNotAccepted,
      'no route using this pool is accepted by the Gateway; see the route status',
    );
  }
  return spec(
    'Accepted',
    'True',
    InferencePoolReason.Accepted,
    noPicker
      ? 'accepted without endpointPickerRef: requests are load-balanced round robin over the ready Pods'
      : 'accepted',
  );
}

function resolvedRefsCondition(picker: EndpointPickerResult | undefined): ConditionSpec {
  if (picker === undefined)
    return spec('ResolvedRefs', 'True', InferencePoolReason.ResolvedRefs, 'no endpoint picker');
  return picker.ok
    ? spec('ResolvedRefs', 'True', InferencePoolReason.ResolvedRefs, 'endpoint picker resolved')
    : spec('ResolvedRefs', 'False', InferencePoolReason.InvalidExtensionRef, picker.message);
}

interface ConditionSpec {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: string;
  readonly message: string;
}

function spec(type: string, status: ConditionStatus, reason: string, message: string): ConditionSpec {
  return { type, status, reason, message };
}

/** lastTransitionTime kept while a condition's status is unchanged; other condition types are kept. */
function stamp(
  previous: readonly Condition[] | undefined,
  desired: readonly ConditionSpec[],
  generation: number | undefined,
  now: string,
): Condition[] {
  const before = new Map(asArray<Condition>(previous).map((c) => [c?.type, c]));
  const out = desired.map((next): Condition => {
    const old = before.get(next.type);
    const lastTransitionTime =
      old !== undefined && old.status === next.status && typeof old.lastTransitionTime === 'string'
        ? old.lastTransitionTime
        : now;
    return {
      ...next,
      lastTransitionTime,
      ...(generation === undefined ? {} : { observedGeneration: generation }),
    };
  });
  const written = new Set(desired.map((c) => c.type));
  for (const [type, old] of before) if (typeof type === 'string' && !written.has(type) && old) out.push(old);
  return out;
}

function sameParent(
  a: InferencePoolParentStatus['parentRef'] | undefined,
  b: InferencePoolParentStatus['parentRef'] | undefined,
): boolean {
  return (
    (a?.group ?? GATEWAY_GROUP) === (b?.group ?? GATEWAY_GROUP) &&
    (a?.kind ?? 'Gateway') === (b?.kind ?? 'Gateway') &&
    (a?.namespace ?? '') === (b?.namespace ?? '') &&
    a?.name === b?.name
  );
}
