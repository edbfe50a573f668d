// The provisioner's ports in Kubernetes mode: server-side apply of a Gateway's data-plane objects with one field
// manager (so a field or list entry we stop sending — a removed listener port, a dropped infrastructure label —
// is removed by the API server), and explicit deletion of all of them when the Gateway no longer needs them
// (owner references let the garbage collector do it too, but it may not run, and a Gateway that stops being
// ours is not deleted at all).
import type { ProvisionedObjectRef } from '../../model/provisioning/data-plane-sweep.ts';
import {
  PROVISIONED_BY_ANNOTATION,
  PROVISIONED_GATEWAY_LABEL,
  PROVISIONED_KINDS,
  type ProvisionedObject,
} from '../../model/provisioning/provisioning.ts';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import { KubeApiError, type KubeClient } from './client.ts';

export const PROVISIONING_FIELD_MANAGER = 'switchyard-provisioner';

/** Collection path of each provisioned kind, in a namespace. */
const COLLECTION: Readonly<Record<ProvisionedObject['kind'], (namespace: string) => string>> = {
  ServiceAccount: (namespace) => `/api/v1/namespaces/${namespace}/serviceaccounts`,
  ConfigMap: (namespace) => `/api/v1/namespaces/${namespace}/configmaps`,
  Deployment: (namespace) => `/apis/apps/v1/namespaces/${namespace}/deployments`,
  Service: (namespace) => `/api/v1/namespaces/${namespace}/services`,
};

/** Cluster-wide collection path of each provisioned kind (the start-up sweep lists by label selector). */
const CLUSTER_COLLECTION: Readonly<Record<ProvisionedObject['kind'], string>> = {
  ServiceAccount: '/api/v1/serviceaccounts',
  ConfigMap: '/api/v1/configmaps',
  Deployment: '/apis/apps/v1/deployments',
  Service: '/api/v1/services',
};

const LIST_PAGE_SIZE = 500;

interface ListedObject {
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { apiVersion?: string; kind?: string; name?: string }[];
  };
}

/** Deleted in this order: what routes traffic first, the identity last. */
const DELETION_ORDER: readonly ProvisionedObject['kind'][] = [
  'Service',
  'Deployment',
  'ConfigMap',
  'ServiceAccount',
];

export function kubernetesProvisioningWriter(client: KubeClient) {
  return {
    'apply-data-plane': async ({
      objects,
    }: {
      gateway: ResourceKey;
      objects: readonly ProvisionedObject[];
    }): Promise<{ applied: number }> => {
      const query = new URLSearchParams({ fieldManager: PROVISIONING_FIELD_MANAGER, force: 'true' });
      for (const object of objects) {
        const path = `${COLLECTION[object.kind](encodeURIComponent(object.metadata.namespace))}/${encodeURIComponent(object.metadata.name)}`;
        await client.json(
          'PATCH',
          `${path}?${query}`,
          JSON.stringify(object),
          undefined,
          'application/apply-patch+yaml',
        );
      }
      return { applied: objects.length };
    },
    'delete-data-plane': async ({
      namespace,
      name,
    }: {
      gateway: ResourceKey;
      namespace: string;
      name: string;
    }): Promise<{ deleted: number }> => {
      let deleted = 0;
      for (const kind of DELETION_ORDER) {
        const path = `${COLLECTION[kind](encodeURIComponent(namespace))}/${encodeURIComponent(name)}`;
        try {
          // Only what we provisioned: an object of that name without our label is someone else's.
          const current = (await client.json('GET', path)) as {
            metadata?: { uid?: string; labels?: Record<string, string> };
          };
          if (current.metadata?.labels?.[PROVISIONED_GATEWAY_LABEL] !== name) continue;
          // Background propagation: the Deployment's ReplicaSets and pods go with it (where a GC runs).
          await client.json(
            'DELETE',
            path,
            JSON.stringify({ propagationPolicy: 'Background', preconditions: { uid: current.metadata.uid } }),
          );
          deleted++;
        } catch (error) {
          if (!(error instanceof KubeApiError && error.status === 404)) throw error;
        }
      }
      return { deleted };
    },
    /**
     * The start-up sweep's listing: every object of the four kinds, cluster-wide, that carries our label naming
     * it (`switchyard.dev/gateway: <its name>`) and an owner reference to a Gateway. Paged.
     */
    'list-provisioned-objects': async (): Promise<ProvisionedObjectRef[]> => {
      const found: ProvisionedObjectRef[] = [];
      for (const kind of PROVISIONED_KINDS) {
        let next: string | undefined;
        do {
          const query = new URLSearchParams({
            labelSelector: PROVISIONED_GATEWAY_LABEL,
            limit: String(LIST_PAGE_SIZE),
            ...(next === undefined ? {} : { continue: next }),
          });
          const page = (await client.json('GET', `${CLUSTER_COLLECTION[kind]}?${query}`)) as {
            items?: ListedObject[];
            metadata?: { continue?: string };
          };
          for (const item of page.items ?? []) {
            const { name, namespace, uid, labels, annotations, ownerReferences } = item.metadata ?? {};
            if (name === undefined || namespace === undefined || uid === undefined) continue;
            if (labels?.[PROVISIONED_GATEWAY_LABEL] !== name) continue;
            const owner = ownerReferences?.find(
              (reference) =>
                reference.kind === 'Gateway' &&
                reference.apiVersion?.startsWith('gateway.networking.k8s.io/') === true &&
                reference.name !== undefined,
            );
            if (owner?.name === undefined) continue;
            const controllerName = annotations?.[PROVISIONED_BY_ANNOTATION];
            found.push({
              kind,
              namespace,
              name,
              uid,
              gateway: owner.name,
              ...(controllerName === undefined ? {} : { controllerName }),
            });
          }
          next = page.metadata?.continue || undefined;
        } while (next !== undefined);
      }
      return found;
    },
    /**
     * Deletes one listed object, only if it is still the one listed (uid precondition): gone (404) or replaced
     * since (409) counts as done.
     */
    'delete-provisioned-object': async (object: ProvisionedObjectRef): Promise<{ deleted: boolean }> => {
      const path = `${COLLECTION[object.kind](encodeURIComponent(object.namespace))}/${encodeURIComponent(object.name)}`;
      try {
        await client.json(
          'DELETE',
          path,
          JSON.stringify({ propagationPolicy: 'Background', preconditions: { uid: object.uid } }),
        );
        return { deleted: true };
      } catch (error) {
        if (error instanceof KubeApiError && (error.status === 404 || error.status === 409))
          return { deleted: false };
        throw error;
      }
    },
  };
}
