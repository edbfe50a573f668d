// A policy's verdict is reused while the policy object and everything its evaluation read are the same objects;
// a read resource replaced means a new evaluation; a reuse reads again on its own view (so a view recording
// dependencies sees the reads).
import { describe, expect, it } from 'vitest';
import type { ConfigMap } from '../resources/kubernetes.ts';
import { ResourceStore, type ResourceView } from '../shared/resource-view.ts';
import { memoisedVerdict } from './verdict-memo.ts';

const configMap = (body: string) =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'body', namespace: 'apps' },
    data: { body },
  }) as ConfigMap;

describe('memoisedVerdict', () => {
  const memo = new WeakMap();
  const policy = { kind: 'BackendTrafficPolicy' };
  let evaluations = 0;
  const evaluate = (view: ResourceView) => {
    evaluations++;
    return { body: view.get('ConfigMap', 'apps', 'body')?.data?.body };
  };

  it('reuses the verdict while what it read is unchanged, and reads it again on the view of the reuse', () => {
    const store = new ResourceStore();
    store.upsert(configMap('one'));
    const first = memoisedVerdict(memo, policy, store, evaluate);
    const reads: string[] = [];
    const recording: ResourceView = {
      get: (kind, namespace, name) => {
        reads.push(`${kind}/${namespace}/${name}`);
        return store.get(kind, namespace, name);
      },
      list: (kind, namespace) => store.list(kind, namespace),
      endpointSlicesOf: (namespace, service) => store.endpointSlicesOf(namespace, service),
    };
    expect(memoisedVerdict(memo, policy, recording, evaluate)).toBe(first);
    expect([evaluations, reads]).toEqual([1, ['ConfigMap/apps/body']]);
    // Another object read: evaluated again.
    store.upsert(configMap('two'));
    expect(memoisedVerdict(memo, policy, store, evaluate)).toEqual({ body: 'two' });
    expect(evaluations).toBe(2);
  });
});
