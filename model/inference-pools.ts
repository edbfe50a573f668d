// Gateway API Inference Extension (inference.networking.k8s.io/v1): an InferencePool's members (ready Pods
// selected by matchLabels in its namespace, one endpoint per IP × targetPort), its endpoint picker (a Service
// port, resolved to the picker's ready endpoints) and its status per Gateway parent.

import { type Endpoint, readyEndpoints } from './backend-refs.ts';
import { ANY_NAME } from './dependencies.ts';
import { normalizeGroup } from './reference-grants.ts';
import {
  CORE_GROUP,
  compareResourceKeys,
  formatResourceKey,
  GATEWAY_GROUP,
  type ResourceKey,
  resourceKey,
} from './resource-key.ts';
import type { ResourceView } from './resource-view.ts';
import type { Condition, ConditionStatus, InferencePool, InferencePoolSpec, Pod } from './resources.ts';
import type { RouteEvaluation } from './route-status.ts';

export const InferencePoolReason = {
  Accepted: 'Accepted',
  NotSupportedByParent: 'NotSupportedByParent',
  HTTPRouteNotAccepted: 'HTTPRouteNotAccepted',
  EndpointPickerRefMissing: 'EndpointPickerRefMissing',
  Pending: 'Pending',
  ResolvedRefs: 'ResolvedRefs',
  InvalidExtensionRef: 'InvalidExtensionRef',
} as const;

/** The picker's answer (header and `envoy.lb` metadata key) and the subset hint sent to it (EPP protocol). */
export const DESTINATION_ENDPOINT_HEADER = 'x-gateway-destination-endpoint';
export const DESTINATION_ENDPOINT_SUBSET = 'x-gateway-destination-endpoint-subset';
export const DESTINATION_METADATA_NAMESPACE = 'envoy.lb';
export const SUBSET_HINT_METADATA_NAMESPACE = 'envoy.lb.subset_hint';

const MAX_PARENTS = 32;
/** Route kinds a Gateway can send to a pool (HTTP semantics); others leave it NotSupportedByParent. */
const POOL_ROUTE_KINDS: ReadonlySet<string> = new Set(['HTTPRoute', 'GRPCRoute']);

export type FailureMode = 'FailOpen' | 'FailClose';

export type EndpointPickerResult =
  | {
      readonly ok: true;
      readonly service: ResourceKey;
      readonly port: number;
      endpoints: readonly Endpoint[];
    }
  | { readonly ok: false; readonly message: string };

// ---- Pods ---------------------------------------------------------------------------------------------------

/** Ready (condition Ready=True), not being deleted, and with an IP. */
export function isPodReady(pod: Pod): boolean {
  if (typeof pod?.metadata?.deletionTimestamp === 'string') return false;
  const conditions = Array.isArray(pod?.status?.conditions) ? pod.status.conditions : [];
  return conditions.some((c) => c?.type === 'Ready' && c.status === 'True') && podIPs(pod).length > 0;
}

export function podIPs(pod: Pod): string[] {
  const listed = (Array.isArray(pod?.status?.podIPs) ? pod.status.podIPs : [])
    .map((entry) => entry?.ip)
    .filter((ip): ip is string => typeof ip === 'string' && ip !== '');
  if (listed.length > 0) return [...new Set(listed)];
  const single = pod?.status?.podIP;
  return typeof single === 'string' && single !== '' ? [single] : [];
}

/** What of a Pod's status the pools read: a change in it re-resolves them, other status churn does not. */
export function podEndpointState(pod: Pod): string {
  return JSON.stringify([isPodReady(pod), podIPs(pod)]);
}

/**
 * The key a pool selecting `matchLabels` depends on: one of its label pairs, so only Pods carrying that pair
 * reach it. A selector without labels selects nothing (matchLabels is required), but still hears every Pod.
 */
export function podSelectorKey(
  namespace: string,
  matchLabels: Readonly<Record<string, string>>,
): ResourceKey {
  const [first] = Object.keys(matchLabels).sort();
  const name = first === undefined ? ANY_NAME : labelPairName(first, String(matchLabels[first]));
  return resourceKey(CORE_GROUP, 'Pod', namespace, name);
}

/** The keys a Pod change is looked up under: the Pod, and each of its label pairs (see podSelectorKey). */
export function podLookupKeys(pod: Pod, own: ResourceKey): ResourceKey[] {
  const labels = pod?.metadata?.labels ?? {};
  return [
    own,
    ...Object.keys(labels)
      .sort()
      .map((key) => resourceKey(CORE_GROUP, 'Pod', own.namespace, labelPairName(key, String(labels[key])))),
  ];
}

// Pod names never contain '=', so these names cannot meet a real Pod's.
function labelPairName(key: string, value: string): string {
  return `${key}=${value}`;
}

function selects(matchLabels: Readonly<Record<string, string>>, pod: Pod): boolean {
  const entries = Object.entries(matchLabels);
  if (entries.length === 0) return false;
  const labels = pod?.metadata?.labels ?? {};
  return entries.every(([key, value]) => labels[key] === value);
}

/** Ready member Pods × target ports, sorted by address then port. */
export function poolEndpoints(
  view: ResourceView,
  namespace: string,
  matchLabels: Readonly<Record<string, string>>,
  targetPorts: readonly number[],
): Endpoint[] {
  const out = new Map<string, Endpoint>();
  for (const pod of view.list('Pod', namespace)) {
    if (!selects(matchLabels, pod) || !isPodReady(pod)) continue;
    for (const address of podIPs(pod))
      for (const port of targetPorts) out.set(`${address}:${port}`, { address, port });
  }
  return [...out.values()].sort((a, b) =>
    a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port,
  );
}

// ---- Endpoint picker ----------------------------------------------------------------------------------------

/**
 * The picker a pool names: a Service (core group) in the pool's namespace with the given port, not ExternalName
 * (the API forbids it), resolved to its ready endpoints. Undefined when the pool names no picker.
 */
export function resolveEndpointPicker(
  view: ResourceView,
  namespace: string,
  ref: InferencePoolSpec['endpointPickerRef'],
): EndpointPickerResult | undefined {
  if (ref === undefined || ref === null) return undefined;
  const field = 'spec.endpointPickerRef';
  const group = normalizeGroup(ref.group);
  const kind = ref.kind ?? 'Service';
  if (group !== CORE_GROUP || kind !== 'Service') {
    return { ok: false, message: `${field}: ${group || 'core'}/${kind} is not supported; use a Service` };
  }
  const name = typeof ref.name === 'string' ? ref.name : '';
  const service = view.get('Service', namespace, name);
  if (service === undefined)
    return { ok: false, message: `${field}.name: Service ${namespace}/${name} not found` };
  if (service.spec?.type === 'ExternalName') {
    return {
      ok: false,
      message: `${field}.name: Service ${namespace}/${name} is ExternalName, which is not allowed`,
    };
  }
  const port = ref.port?.number;
  if (typeof port !== 'number') return { ok: false, message: `${field}.port: required for a Service` };
  const servicePort = (Array.isArray(service.spec?.ports) ? service.spec.ports : []).find(
    (p) => p?.port === port,
  );
  if (servicePort === undefined) {
    return { ok: false, message: `${field}.port: Service ${namespace}/${name} has no port ${port}` };
  }
  return {
    ok: true,
    service: resourceKey(CORE_GROUP, 'Service', namespace, name),
    port,
    endpoints: readyEndpoints(view.endpointSlicesOf(namespace, name), servicePort),
  };
}

export function failureModeOf(ref: InferencePoolSpec['endpointPickerRef']): FailureMode {
  return ref?.failureMode === 'FailOpen' ? 'FailOpen' : 'FailClose';
}

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

function asArray<T>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}
