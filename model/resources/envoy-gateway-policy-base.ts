// What every Envoy Gateway policy kind shares (gateway.envoyproxy.io/v1alpha1, Envoy Gateway v1.9 field names):
// the target references and selectors, backend and Secret references, the object shell with its status.ancestors,
// and the FieldSchemas of those parts. The kinds themselves are described in envoy-gateway-policies.ts and
// backend-traffic-policy.ts.
import { bool, type FieldSchema, free, int, list, map, obj, quantity, str } from './field-schema.ts';

export interface PolicyTargetReference {
  group?: string;
  kind?: string;
  name?: string;
  sectionName?: string;
}

export interface TargetSelector {
  group?: string;
  kind?: string;
  matchLabels?: Record<string, string>;
  matchExpressions?: { key?: string; operator?: string; values?: string[] }[];
  namespaces?: { from?: 'Same' | 'All' | 'Selector'; selector?: unknown };
}

export interface PolicyTargetReferences {
  targetRef?: PolicyTargetReference;
  targetRefs?: PolicyTargetReference[];
  targetSelectors?: TargetSelector[];
}

export interface EGBackendRef {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
  port?: number;
  weight?: number;
  fallback?: boolean;
}

export interface BackendCluster {
  backendRef?: EGBackendRef;
  backendRefs?: EGBackendRef[];
  backendSettings?: Record<string, unknown>;
}

export interface SecretObjectReference {
  group?: string;
  kind?: string;
  name?: string;
  namespace?: string;
}

export interface PolicyObject<K extends string, Spec> {
  apiVersion: string;
  kind: K;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    creationTimestamp?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
  };
  spec?: Spec;
  status?: { ancestors?: PolicyAncestorStatusShape[] };
}

export interface PolicyAncestorStatusShape {
  ancestorRef: { group?: string; kind?: string; namespace?: string; name: string; sectionName?: string };
  controllerName: string;
  conditions?: {
    type: string;
    status: string;
    reason: string;
    message: string;
    lastTransitionTime?: string;
    observedGeneration?: number;
  }[];
}

// ---- Schemas of the shared parts ----------------------------------------------------------------------------

export const targetRef = obj({ group: str(), kind: str(), name: str(), sectionName: str() }, [
  'group',
  'kind',
  'name',
]);
export const targetSelector = obj(
  {
    group: str(),
    kind: str(),
    matchLabels: map(str()),
    matchExpressions: list(
      obj({ key: str(), operator: str(['In', 'NotIn', 'Exists', 'DoesNotExist']), values: list(str()) }, [
        'key',
        'operator',
      ]),
    ),
    namespaces: obj({ from: str(['Same', 'All', 'Selector']), selector: free }),
  },
  ['kind'],
);
export const targets = { targetRef, targetRefs: list(targetRef), targetSelectors: list(targetSelector) };
export const objectRef = obj({ group: str(), kind: str(), name: str(), namespace: str() }, ['name']);
export const backendRef = obj(
  {
    group: str(),
    kind: str(),
    name: str(),
    namespace: str(),
    port: int(1, 65535),
    weight: int(0, 1_000_000),
    fallback: bool,
  },
  ['name'],
);
export const backendCluster = {
  backendRef: objectRefWithPort(),
  backendRefs: list(backendRef, 16),
  backendSettings: free,
};
export function objectRefWithPort(): FieldSchema {
  return obj({ group: str(), kind: str(), name: str(), namespace: str(), port: int(1, 65535) }, ['name']);
}
export const statusCode = int(400, 599);
/** HTTP/2 settings, to clients (ClientTrafficPolicy) and to backends (BackendTrafficPolicy) alike. */
export const http2Settings = obj({
  initialStreamWindowSize: quantity,
  initialConnectionWindowSize: quantity,
  maxConcurrentStreams: int(1, 2147483647),
  onInvalidMessage: str(['TerminateConnection', 'TerminateStream']),
  connectionKeepalive: free,
});
