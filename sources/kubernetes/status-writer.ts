// The patchers' write port in Kubernetes mode: server-side apply of the status subresource with one field
// manager. Route status.parents is shared with other controllers (an atomic list), so for routes our entries
// are merged into the object's current parents and the apply carries its resourceVersion: if another
// controller wrote in between, the apply fails with a conflict and the patcher retries on a fresh read.

import { mergeRouteParentStatuses } from '../../model/gateway-api/route-status.ts';
import { type InferencePoolStatus, mergeInferencePoolParents } from '../../model/inference/pool-status.ts';
import type { RouteStatus } from '../../model/resources/gateway-api.ts';
import { ROUTE_KINDS } from '../../model/resources/gateway-api.ts';
import type { KindName } from '../../model/resources/kinds.ts';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import { type ApiResource, KubeApiError, type KubeClient } from './client.ts';

export const FIELD_MANAGER = 'switchyard';

export function kubernetesStatusWriter(
  client: KubeClient,
  resources: ReadonlyMap<KindName, ApiResource | undefined>,
  controllerName: string,
) {
  const routeKinds: ReadonlySet<string> = new Set(ROUTE_KINDS);
  // GEP-713 policies: status.ancestors shared with other controllers.
  const policyKinds: ReadonlySet<string> = new Set([
    'BackendTLSPolicy',
    'SecurityPolicy',
    'ClientTrafficPolicy',
    'EnvoyExtensionPolicy',
    'BackendTrafficPolicy',
  ]);
  return async ({ key, status }: { key: ResourceKey; status: unknown }): Promise<{ written: boolean }> => {
    const resource = resources.get(key.kind as KindName);
    if (resource === undefined) throw new Error(`the API server does not serve ${key.kind}`);
    const apiVersion = resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
    const metadata: Record<string, string> = { name: key.name };
    if (key.namespace !== undefined) metadata.namespace = key.namespace;
    let body = status;
    if (policyKinds.has(key.kind)) {
      // Policy ancestors are shared like route parents: keep every other controller's entries.
      const current = await client.get(resource, key.namespace, key.name);
      if (current === undefined) return { written: false };
      type Ancestor = { controllerName?: string };
      const ours = ((status as { ancestors?: Ancestor[] }).ancestors ?? []).filter(
        (a) => a.controllerName === controllerName,
      );
      const theirs = ((current.status as { ancestors?: Ancestor[] } | undefined)?.ancestors ?? []).filter(
        (a) => a.controllerName !== controllerName,
      );
      body = { ancestors: [...theirs, ...ours].slice(0, 16) };
      metadata.resourceVersion = String(current.metadata?.resourceVersion ?? '');
    } else if (key.kind === 'InferencePool') {
      // Pool status.parents is shared too: only our entries are replaced (model/inference/pool-status.ts).
      const current = await client.get(resource, key.namespace, key.name);
      if (current === undefined) return { written: false };
      const ours = ((status as InferencePoolStatus).parents ?? []).filter(
        (p) => p.controllerName === controllerName,
      );
      const theirs = (current.status as InferencePoolStatus | undefined)?.parents;
      body = { parents: mergeInferencePoolParents(theirs, ours, controllerName) };
      metadata.resourceVersion = String(current.metadata?.resourceVersion ?? '');
    } else if (routeKinds.has(key.kind)) {
      const current = await client.get(resource, key.namespace, key.name);
      if (current === undefined) return { written: false };
      const ours = ((status as RouteStatus).parents ?? []).filter((p) => p.controllerName === controllerName);
      const theirs = (current.status as RouteStatus | undefined)?.parents;
      body = { parents: mergeRouteParentStatuses(theirs, ours, controllerName, key.namespace ?? '') };
      metadata.resourceVersion = String(current.metadata?.resourceVersion ?? '');
    }
    try {
      await client.applyStatus(
        resource,
        key.namespace,
        key.name,
        { apiVersion, kind: key.kind, metadata, status: body },
        FIELD_MANAGER,
      );
      return { written: true };
    } catch (error) {
      if (error instanceof KubeApiError && error.status === 404) return { written: false };
      throw error;
    }
  };
}
