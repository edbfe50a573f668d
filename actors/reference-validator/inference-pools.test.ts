// InferencePools in the reference validator: Pod changes reach only the Gateways whose routes use a pool that
// selects them, and pool statuses follow the routes that use them.
import { describe, expect, it } from 'vitest';
import { changedKeysOf, dependenciesOf } from '../../model/evaluation/dependencies.ts';
import type { InferencePoolStatus } from '../../model/inference/pool-status.ts';
import type { AnyResource } from '../../model/resources/kinds.ts';
import type { Pod } from '../../model/resources/kubernetes.ts';
import { keyOf } from '../../model/resources/resource-key.ts';
import { ResourceStore } from '../../model/shared/resource-view.ts';
import { CONTROLLER, NOW, readManifests } from '../../model/testdata/fixtures.ts';
import { GatewayResolution } from './resolution.ts';

interface Sent {
  readonly gateway?: { readonly name: string };
  readonly ir?: unknown;
  readonly key?: { readonly name: string };
  readonly status?: unknown;
}

function world() {
  const store = new ResourceStore();
  const resolution = new GatewayResolution(store, CONTROLLER);
  const upsert = (object: AnyResource) => {
    store.upsert(object);
    resolution.changed(keyOf(object), dependenciesOf(object), false, changedKeysOf(object));
  };
  const remove = (object: AnyResource) => {
    store.delete(keyOf(object));
    resolution.changed(keyOf(object), [], true, changedKeysOf(object));
  };
  for (const object of readManifests('base.yaml', 'inference-pools.yaml')) upsert(object);
  const flush = () => {
    const messages = resolution.flush(NOW).map((r) => ({ to: r.to, message: r.message as Sent }));
    return {
      irs: new Map(
        messages
          .filter((m) => 'ir' in m.message)
          .map((m) => [m.message.gateway?.name ?? '', JSON.stringify(m.message.ir)]),
      ),
      pools: new Map(
        messages
          .filter((m) => m.to === 'patcher.InferencePool')
          .map((m) => [m.message.key?.name ?? '', m.message.status as InferencePoolStatus]),
      ),
    };
  };
  return { store, upsert, remove, flush };
}

const pod = (store: ResourceStore, name: string) => store.get('Pod', 'apps', name) as Pod;

describe('InferencePools in the reference validator', () => {
  it('rebuilds the Gateways of a pool when one of its Pods becomes ready, and none for other Pods', () => {
    const w = world();
    expect(w.flush().irs.get('primary')).not.toContain('10.1.0.3');
    const starting = pod(w.store, 'vllm-starting');
    w.upsert({
      ...starting,
      status: { ...starting.status, conditions: [{ type: 'Ready', status: 'True' }] },
    });
    const rebuilt = w.flush();
    expect([...rebuilt.irs.keys()].sort()).toEqual(['primary', 'secondary']);
    expect(rebuilt.irs.get('primary')).toContain('"address":"10.1.0.3","port":8001');

    const other = pod(w.store, 'other');
    w.upsert({ ...other, status: { ...other.status, podIP: '10.1.0.55' } });
    expect(w.flush().irs.size).toBe(0);

    w.remove(pod(w.store, 'vllm-1'));
    expect(w.flush().irs.get('primary')).not.toContain('10.1.0.1');
  });

  it('reports the pool per Gateway parent, and drops our parents when no route uses it any more', () => {
    const w = world();
    const first = w.flush().pools;
    expect(first.has('unused')).toBe(false); // never ours: left alone
    expect(first.get('vllm')?.parents.map((p) => `${p.controllerName}:${p.parentRef.name}`)).toEqual([
      'example.com/other-controller:elsewhere',
      `${CONTROLLER}:primary`,
      `${CONTROLLER}:secondary`,
    ]);
    // As the patcher would write it back.
    const vllm = w.store.get('InferencePool', 'apps', 'vllm')!;
    w.store.upsert({ ...vllm, status: first.get('vllm') });
    w.remove(w.store.get('HTTPRoute', 'apps', 'to-vllm')!);
    const after = w.flush();
    expect(after.pools.get('vllm')?.parents.map((p) => p.controllerName)).toEqual([
      'example.com/other-controller',
    ]);
  });

  it('re-reports a pool when its picker Service appears', () => {
    const w = world();
    w.flush();
    w.upsert({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'missing-epp', namespace: 'apps' },
      spec: { ports: [{ port: 9002 }] },
    } as AnyResource);
    const pools = w.flush().pools;
    const resolved = pools
      .get('bad-epp')
      ?.parents.find((p) => p.parentRef.name === 'primary')
      ?.conditions.find((c) => c.type === 'ResolvedRefs');
    expect(resolved).toMatchObject({ status: 'True', reason: 'ResolvedRefs' });
  });
});
