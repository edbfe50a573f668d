// Gateway API Inference Extension (inference.networking.k8s.io/v1): an InferencePool's members (ready Pods
// selected by matchLabels in its namespace, one endpoint per IP × targetPort) and its endpoint picker (a Service
// port, resolved to the picker's ready endpoints). Backend resolution reads them; the status is pool-status.ts.

import type { Endpoint } from '../ir/backends.ts';
import type { InferencePoolSpec } from '../resources/inference.ts';
import type { Pod } from '../resources/kubernetes.ts';
import { ANY_NAME, CORE_GROUP, type ResourceKey, resourceKey } from '../resources/resource-key.ts';
import { readyEndpoints } from '../shared/endpoints.ts';
import { normalizeGroup } from '../shared/reference-grants.ts';
import type { ResourceView } from '../shared/resource-view.ts';

/** The picker's answer (header and `envoy.lb` metadata key) and the subset hint sent to it (EPP protocol). */
export const DESTINATION_ENDPOINT_HEADER = 'x-gateway-destination-endpoint';
export const DESTINATION_ENDPOINT_SUBSET = 'x-gateway-destination-endpoint-subset';
export const DESTINATION_METADATA_NAMESPACE = 'envoy.lb';
export const SUBSET_HINT_METADATA_NAMESPACE = 'envoy.lb.subset_hint';

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
