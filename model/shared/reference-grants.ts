// ReferenceGrant: a reference into another namespace is allowed only when a grant in the target namespace
// names the referring kind and namespace and the referenced kind (and name, when given).

import type { ResourceView } from './resource-view.ts';

export interface ReferenceFrom {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
}

export interface ReferenceTo {
  readonly group: string;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** `core` and the empty string both name the core API group. */
export function normalizeGroup(group: unknown): string {
  return typeof group !== 'string' || group === 'core' ? '' : group;
}

export function isReferenceAllowed(view: ResourceView, from: ReferenceFrom, to: ReferenceTo): boolean {
  if (from.namespace === to.namespace) return true;
  return view.list('ReferenceGrant', to.namespace).some((grant) => {
    const froms = Array.isArray(grant.spec?.from) ? grant.spec.from : [];
    const tos = Array.isArray(grant.spec?.to) ? grant.spec.to : [];
    const fromMatches = froms.some(
      (f) =>
        normalizeGroup(f?.group) === normalizeGroup(from.group) &&
        f?.kind === from.kind &&
        f?.namespace === from.namespace,
    );
    if (!fromMatches) return false;
    return tos.some(
      (t) =>
        normalizeGroup(t?.group) === normalizeGroup(to.group) &&
        t?.kind === to.kind &&
        (t?.name === undefined || t.name === '' || t.name === to.name),
    );
  });
}
