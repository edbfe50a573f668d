// Namespace labels for allowedRoutes / allowedListeners selectors.

import type { ResourceView } from './resource-view.ts';

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/** Labels of a namespace, always with `kubernetes.io/metadata.name`, which the API server sets on every namespace. */
export function namespaceLabels(view: ResourceView, namespace: string): Record<string, string> {
  const labels = view.get('Namespace', undefined, namespace)?.metadata?.labels;
  return {
    ...(labels !== null && typeof labels === 'object' ? labels : {}),
    [NAMESPACE_NAME_LABEL]: namespace,
  };
}
