// The resolvers own the objects that Gateways and routes reference: Secrets and ConfigMaps (certificates, CA
// bundles), backends (Services, EndpointSlices, InferencePools and their Pods, BackendTLSPolicies) and ReferenceGrants with the
// Namespaces whose labels routes are selected by. Each change reaches the reference validator with what
// depends on it, so only the affected Gateways are recomputed.

import type { KindName } from '../../model/resources/kinds.ts';
import type { ResourceStore } from '../../model/shared/resource-view.ts';
import { kindOwnerSpec } from '../shared/kind-owner-spec.ts';

export const RESOLVERS: Readonly<Record<string, readonly KindName[]>> = {
  'resolver.secrets': ['Secret', 'ConfigMap'],
  'resolver.backends': [
    'Service',
    'EndpointSlice',
    'InferencePool',
    'Pod',
    'BackendTLSPolicy',
    // Envoy Gateway's Backend (endpoints outside Services) and HTTPRouteFilter (what a route filter names).
    'Backend',
    'HTTPRouteFilter',
  ],
  'resolver.reference-grants': ['ReferenceGrant', 'Namespace'],
};

export function resolverSpecs(store: ResourceStore) {
  return Object.entries(RESOLVERS).map(([name, kinds]) => kindOwnerSpec(name, kinds, store, 8192));
}
