import { describe, expect, it } from 'vitest';
import type { AnyResource } from '../resources/kinds.ts';
import type { EndpointSlice, Service } from '../resources/kubernetes.ts';
import { ResourceStore } from './resource-view.ts';

const service = (namespace: string, name: string): Service => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace },
  spec: { ports: [{ port: 80 }] },
});

const slice = (name: string, serviceName: string, address: string): EndpointSlice => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name, namespace: 'apps', labels: { 'kubernetes.io/service-name': serviceName } },
  endpoints: [{ addresses: [address] }],
});

describe('ResourceStore', () => {
  it('gets by kind, namespace and name and lists sorted by namespace then name', () => {
    const store = new ResourceStore([service('b', 'z'), service('a', 'y'), service('a', 'x')]);
    expect(store.get('Service', 'a', 'y')?.metadata.name).toBe('y');
    expect(store.get('Service', 'b', 'y')).toBeUndefined();
    expect(store.list('Service').map((s) => `${s.metadata.namespace}/${s.metadata.name}`)).toEqual([
      'a/x',
      'a/y',
      'b/z',
    ]);
    expect(store.list('Service', 'a').map((s) => s.metadata.name)).toEqual(['x', 'y']);
    expect(store.list('Gateway')).toEqual([]);
  });

  it('reflects updates and deletes in later lists', () => {
    const store = new ResourceStore([service('a', 'x')]);
    expect(store.list('Service')).toHaveLength(1);
    store.upsert(service('a', 'w'));
    expect(store.list('Service').map((s) => s.metadata.name)).toEqual(['w', 'x']);
    expect(store.delete({ kind: 'Service', namespace: 'a', name: 'x' })?.metadata.name).toBe('x');
    expect(store.list('Service', 'a').map((s) => s.metadata.name)).toEqual(['w']);
    expect(store.delete({ kind: 'Service', namespace: 'a', name: 'x' })).toBeUndefined();
  });

  it('ignores the namespace of cluster-scoped kinds', () => {
    const store = new ResourceStore();
    store.upsert({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'apps', namespace: 'oops' },
      spec: undefined,
    });
    expect(store.get('Namespace', undefined, 'apps')).toBeDefined();
    expect(store.list('Namespace', 'whatever')).toHaveLength(1);
  });

  it('refuses unknown kinds, wrong groups and nameless objects', () => {
    const store = new ResourceStore();
    expect(
      store.upsert({
        apiVersion: 'v1',
        kind: 'PersistentVolumeClaim',
        metadata: { name: 'p' },
      } as unknown as AnyResource),
    ).toBe(false);
    expect(store.upsert({ ...service('a', 'x'), apiVersion: 'example.com/v1' })).toBe(false);
    expect(store.upsert({ ...service('a', 'x'), metadata: { name: '' } })).toBe(false);
    expect([...store.all()]).toEqual([]);
  });

  it('indexes EndpointSlices by their Service and follows relabelling', () => {
    const store = new ResourceStore([
      slice('web-1', 'web', '10.0.0.2'),
      slice('web-0', 'web', '10.0.0.1'),
      slice('db-0', 'db', '10.0.1.1'),
    ]);
    expect(store.endpointSlicesOf('apps', 'web').map((s) => s.metadata.name)).toEqual(['web-0', 'web-1']);
    store.upsert(slice('web-1', 'db', '10.0.0.2'));
    expect(store.endpointSlicesOf('apps', 'web').map((s) => s.metadata.name)).toEqual(['web-0']);
    expect(store.endpointSlicesOf('apps', 'db').map((s) => s.metadata.name)).toEqual(['db-0', 'web-1']);
    store.delete({ kind: 'EndpointSlice', namespace: 'apps', name: 'web-0' });
    expect(store.endpointSlicesOf('apps', 'web')).toEqual([]);
  });
});
