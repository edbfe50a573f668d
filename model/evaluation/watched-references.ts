// Kinds that Kubernetes mode reads by reference instead of by listing the cluster: Secrets (listener certificates,
// AI provider credentials) and ConfigMaps (BackendTLSPolicy CA bundles). The reference validator knows, from its
// dependency index, which of them something references and tells each such kind's source; the source fetches
// and watches exactly those objects (sources/kubernetes/referenced-source.ts). OpenID Connect discovery documents
// and AI providers' access tokens are wanted the same way, in both modes.
import type { Message } from '../../runtime/message.ts';
import { isAccessTokenKey } from '../ai-gateway/access-tokens.ts';
import { isDiscoveryKey } from '../policies/oidc-discovery.ts';
import { ANY_NAME, CORE_GROUP, type ResourceKey } from '../resources/resource-key.ts';

export const WATCHED_BY_REFERENCE: readonly string[] = ['Secret', 'ConfigMap'];

/**
 * The complete set of objects of `kind` something references now (sorted, unique). Sent whenever it changes, and
 * first once every kind that can reference one has been listed: only then is the set whole.
 */
export interface ReferencesWanted extends Message<'references.wanted'> {
  readonly kind: string;
  readonly keys: readonly ResourceKey[];
}

/**
 * Whether a dependency is an object of `kind` that can be fetched by name (a core kind, a namespace, a name), or an
 * OpenID Connect discovery document (fetched by the control plane itself, actors/policies/oidc-discovery.ts).
 */
export function isFetchableReference(key: ResourceKey, kind: string): boolean {
  if (isDiscoveryKey(key) || isAccessTokenKey(key)) return key.kind === kind;
  return (
    key.group === CORE_GROUP &&
    key.kind === kind &&
    key.namespace !== undefined &&
    key.name !== '' &&
    key.name !== ANY_NAME
  );
}
