import { expect, test } from 'vitest';
import { KubeApiError, type KubeClient } from './client.ts';
import { kubernetesProvisioningWriter } from './provisioning-writer.ts';

const owner = (name: string, apiVersion = 'gateway.networking.k8s.io/v1') => ({
  apiVersion,
  kind: 'Gateway',
  name,
  uid: `uid-${name}`,
});

function item(name: string, extra: Record<string, unknown> = {}) {
  return {
    metadata: {
      name,
      namespace: 'apps',
      uid: `uid-of-${name}`,
      labels: { 'switchyard.dev/gateway': name },
      ownerReferences: [owner(name.replace('switchyard-', ''))],
      ...extra,
    },
  };
}

/** A client answering every request with `answer` (an Error is thrown) and recording it. */
function fakeClient(answer: (method: string, path: string, body?: string) => unknown) {
  const requests: { method: string; path: string; body?: string }[] = [];
  const client = {
    json: async (method: string, path: string, body?: string) => {
      requests.push({ method, path, ...(body === undefined ? {} : { body }) });
      const result = answer(method, path, body);
      if (result instanceof Error) throw result;
      return result;
    },
  } as unknown as KubeClient;
  return { client, requests };
}

test('the sweep lists each kind cluster-wide by label, page by page, keeping only our objects owned by a Gateway', async () => {
  const { client, requests } = fakeClient((_method, path) => {
    if (path.startsWith('/api/v1/services?') && !path.includes('continue=')) {
      return {
        items: [
          item('switchyard-edge', { annotations: { 'switchyard.dev/controller-name': 'example.com/c' } }),
          // Our label names another object: not ours.
          item('switchyard-copy', { labels: { 'switchyard.dev/gateway': 'switchyard-edge' } }),
          // Owned by something other than a Gateway, or by a Gateway of another API group.
          item('switchyard-job', { ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'job' }] }),
          item('switchyard-x', { ownerReferences: [owner('x', 'example.com/v1')] }),
        ],
        metadata: { continue: 'page-2' },
      };
    }
    if (path.startsWith('/api/v1/services?')) return { items: [item('switchyard-late')], metadata: {} };
    return { items: [] };
  });
  const listed = await kubernetesProvisioningWriter(client)['list-provisioned-objects']();
  expect(listed).toEqual([
    {
      kind: 'Service',
      namespace: 'apps',
      name: 'switchyard-edge',
      uid: 'uid-of-switchyard-edge',
      gateway: 'edge',
      controllerName: 'example.com/c',
    },
    {
      kind: 'Service',
      namespace: 'apps',
      name: 'switchyard-late',
      uid: 'uid-of-switchyard-late',
      gateway: 'late',
    },
  ]);
  expect(requests.map((r) => r.path.split('?')[0])).toEqual([
    '/api/v1/serviceaccounts',
    '/api/v1/configmaps',
    '/apis/apps/v1/deployments',
    '/api/v1/services',
    '/api/v1/services',
  ]);
  const query = new URLSearchParams(requests[4]!.path.split('?')[1]);
  expect(query.get('labelSelector')).toBe('switchyard.dev/gateway');
  expect(query.get('continue')).toBe('page-2');
});

test('a swept object is deleted only while it is the one listed; gone or replaced counts as done', async () => {
  const object = {
    kind: 'Deployment' as const,
    namespace: 'apps',
    name: 'switchyard-edge',
    uid: 'u-1',
    gateway: 'edge',
  };
  let status = 200;
  const { client, requests } = fakeClient(() =>
    status === 200 ? {} : new KubeApiError(status, 'Failure', `status ${status}`),
  );
  const writer = kubernetesProvisioningWriter(client);
  expect(await writer['delete-provisioned-object'](object)).toEqual({ deleted: true });
  expect(requests[0]).toEqual({
    method: 'DELETE',
    path: '/apis/apps/v1/namespaces/apps/deployments/switchyard-edge',
    body: JSON.stringify({ propagationPolicy: 'Background', preconditions: { uid: 'u-1' } }),
  });
  for (status of [404, 409])
    expect(await writer['delete-provisioned-object'](object)).toEqual({ deleted: false });
  status = 500;
  await expect(writer['delete-provisioned-object'](object)).rejects.toThrow('status 500');
});
