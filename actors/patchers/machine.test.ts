import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { ResourceStore } from '../../model/shared/resource-view.ts';
import { patcherMachine, sameStatus } from './machine.ts';

const meta = { id: 'm', time: 0 };

const condition = { type: 'Accepted', status: 'True', reason: 'Accepted', observedGeneration: 1 };
const ours = () => ({
  parents: [{ parentRef: { name: 'gw', namespace: 'd' }, conditions: [{ ...condition }] }],
});
/** The same status as the API server hands it back: Go's JSON sorts the keys. */
const readBack = () => ({
  parents: [
    {
      conditions: [{ observedGeneration: 1, reason: 'Accepted', status: 'True', type: 'Accepted' }],
      parentRef: { namespace: 'd', name: 'gw' },
    },
  ],
});

describe('sameStatus', () => {
  it('finds a status read back from the API server, keys in its order, the same as ours', () => {
    expect(sameStatus(readBack(), ours())).toBe(true);
  });

  it('finds one of our statuses the same as another built alike, or with its keys in another order', () => {
    const written = ours();
    expect(sameStatus(written, written)).toBe(true);
    // The status on the object is one we digested as a desired status before (standalone mode puts it there).
    expect(sameStatus(ours(), written)).toBe(true);
    expect(sameStatus(written, ours())).toBe(true);
    expect(sameStatus(written, readBack())).toBe(true);
  });

  it('tells statuses that say something else apart, and a status from none', () => {
    const changed = ours();
    changed.parents[0]!.conditions[0]!.status = 'False';
    expect(sameStatus(ours(), changed)).toBe(false);
    expect(sameStatus(readBack(), changed)).toBe(false);
    expect(sameStatus(undefined, ours())).toBe(false);
    expect(sameStatus(undefined, undefined)).toBe(true);
  });
});

describe('patcher', () => {
  const key = { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'd', name: 'web' };
  const route = {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'web', namespace: 'd' },
    spec: {},
  };

  /** A patcher over a store; `landsInView`: the write puts the status on the stored object (standalone mode). */
  function patcher(landsInView: boolean) {
    const store = new ResourceStore();
    store.upsert(route as never);
    const actor = createActor(patcherMachine, { input: { kind: 'HTTPRoute', view: store } }).start();
    const writes: unknown[] = [];
    actor.on('*', (emitted) => {
      const { effect, request } = emitted as unknown as { effect: string; request: { status: unknown } };
      if (effect !== 'write-status') return;
      writes.push(request.status);
      if (landsInView)
        store.upsert({ ...(store.get('HTTPRoute', 'd', 'web') as object), status: request.status } as never);
      actor.send({ type: 'effect.done', effect, request, result: { written: true }, meta } as never);
    });
    const desire = (status: unknown) => actor.send({ type: 'status.desired', key, status, meta } as never);
    return { store, writes, desire };
  }

  it('writes a status once, whether the view holds the write at once or only later (the echo)', () => {
    for (const landsInView of [true, false]) {
      const { writes, desire } = patcher(landsInView);
      desire(ours());
      desire(ours());
      expect(writes).toHaveLength(1);
      const changed = ours();
      changed.parents[0]!.conditions[0]!.status = 'False';
      desire(changed);
      desire(ours());
      expect(writes).toHaveLength(3);
    }
  });

  it('writes again onto an object created anew under the same name', () => {
    const { store, writes, desire } = patcher(false);
    desire(ours());
    store.delete(key);
    store.upsert({ ...route } as never);
    desire(ours());
    expect(writes).toHaveLength(2);
  });
});
