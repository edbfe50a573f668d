import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { RawObject } from '../../model/resources/resource-events.ts';
import { ResourceStore } from '../../model/shared/resource-view.ts';
import { memoryReducingCollection } from '../../runtime/quiet-collection.ts';
import { kindOwnerMachine } from './kind-owner.ts';

const route = (path: string): RawObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'web', namespace: 'apps', generation: 1 },
  spec: {
    parentRefs: [{ name: 'gw' }],
    rules: [{ matches: [{ path: { type: 'PathPrefix', value: path } }] }],
  },
});

const STATUS = {
  parents: [
    {
      parentRef: { name: 'gw' },
      controllerName: 'switchyard.dev/gateway-controller',
      conditions: [
        {
          type: 'Accepted',
          status: 'True',
          reason: 'Accepted',
          message: '',
          lastTransitionTime: '1970-01-01T00:00:00Z',
        },
      ],
    },
  ],
};

function owner() {
  const store = new ResourceStore();
  const actor = createActor(kindOwnerMachine, { input: { kinds: ['HTTPRoute'], store } }).start();
  const announced: unknown[] = [];
  actor.on('*', (emitted) => announced.push(emitted));
  const upsert = (object: RawObject) =>
    actor.send({ type: 'resource.upserted', object, origin: 'test', meta: { id: 'm', time: 0 } } as never);
  const remove = () =>
    actor.send({
      type: 'resource.deleted',
      key: { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', namespace: 'apps', name: 'web' },
      meta: { id: 'm', time: 0 },
    } as never);
  return { store, upsert, remove, announced };
}

describe('kind owner', () => {
  it('stores an object and announces it; a status-only change is stored but not re-announced', () => {
    const { store, upsert, announced } = owner();
    upsert(route('/a'));
    expect(announced).toHaveLength(1);
    upsert({ ...route('/a'), status: STATUS });
    expect(announced).toHaveLength(1);
    expect(store.get('HTTPRoute', 'apps', 'web')?.status).toEqual(STATUS);
  });

  // Status is a subresource: a manifest re-read from a file carries no status, and must not wipe the one written
  // (its conditions' lastTransitionTime would move on every spec edit, and an unchanged re-read would lose it).
  it('keeps the written status when the object arrives again without one', () => {
    const { store, upsert, announced } = owner();
    upsert(route('/a'));
    upsert({ ...route('/a'), status: STATUS });
    upsert(route('/a'));
    expect(store.get('HTTPRoute', 'apps', 'web')?.status).toEqual(STATUS);
    upsert(route('/b'));
    expect(announced).toHaveLength(2);
    expect(store.get('HTTPRoute', 'apps', 'web')?.spec.rules?.[0]?.matches?.[0]?.path?.value).toBe('/b');
    expect(store.get('HTTPRoute', 'apps', 'web')?.status).toEqual(STATUS);
  });

  it('takes the status an object arrives with, and starts without one after a delete', () => {
    const { store, upsert, remove } = owner();
    upsert({ ...route('/a'), status: STATUS });
    const other = { parents: [] };
    upsert({ ...route('/a'), status: other });
    expect(store.get('HTTPRoute', 'apps', 'web')?.status).toEqual(other);
    remove();
    upsert(route('/a'));
    expect(store.get('HTTPRoute', 'apps', 'web')).toBeDefined();
    expect(store.get('HTTPRoute', 'apps', 'web')?.status).toBeUndefined();
  });

  // Issue 15: Kubernetes mode has no file to read again, so the reference validator hears when a rejection ends.
  it('withdraws a rejection once the object is read valid again, or deleted', () => {
    const { upsert, remove, announced } = owner();
    const rejections = () =>
      announced
        .map((out) => (out as { message?: { type: string; problems?: string[] } }).message)
        .filter((message) => message?.type === 'object.rejected')
        .map((message) => (message?.problems?.length === 0 ? 'withdrawn' : 'rejected'));
    upsert(route('/a'));
    upsert({ ...route('/a'), spec: { rules: 'not a list' } } as never);
    expect(rejections()).toEqual(['rejected']);
    // The same spec as the last valid version: nothing to announce but the withdrawal.
    upsert(route('/a'));
    expect(rejections()).toEqual(['rejected', 'withdrawn']);
    upsert({ ...route('/a'), spec: { rules: 'not a list' } } as never);
    remove();
    expect(rejections()).toEqual(['rejected', 'withdrawn', 'rejected', 'withdrawn']);
    remove();
    upsert(route('/b'));
    expect(rejections()).toEqual(['rejected', 'withdrawn', 'rejected', 'withdrawn']);
  });

  // The files source's initial listing: one step for many objects, and one announcement of all they changed.
  it('takes a batch as its objects one by one, and announces what it stored in one message', () => {
    const named = (name: string, path: string) => {
      const object = route(path);
      return { ...object, metadata: { ...(object.metadata as object), name } } as RawObject;
    };
    const one = owner();
    for (const name of ['a', 'b', 'c']) one.upsert(named(name, `/${name}`));
    const store = new ResourceStore();
    const invalid = { ...named('b', '/b'), spec: { rules: 'not a list' } } as never;
    const objects = [named('a', '/a'), invalid, named('c', '/c')].map((object) => ({
      object,
      origin: 'f:1',
    }));
    const actor = createActor(kindOwnerMachine, { input: { kinds: ['HTTPRoute'], store } }).start();
    const announced: { message: { type: string; changes?: unknown[] } }[] = [];
    actor.on('*', (emitted) => announced.push(emitted as never));
    actor.send({ type: 'resources.upserted', objects, meta: { id: 'm', time: 0 } } as never);
    expect(announced.map((out) => out.message.type)).toEqual(['object.rejected', 'resources.changed']);
    const changes = announced[1]?.message.changes;
    const singles = one.announced.map((out) => {
      const { type: _type, ...change } = (out as { message: { type: string } }).message;
      return change;
    });
    expect(changes).toEqual([singles[0], singles[2]]);
    expect(store.get('HTTPRoute', 'apps', 'a')).toBeDefined();
    expect(store.get('HTTPRoute', 'apps', 'b')).toBeUndefined();
    expect(store.get('HTTPRoute', 'apps', 'c')).toBeDefined();
  });

  // Issue 22 (controlplane.churn): in standalone mode the patchers put a status on a copy of the stored object, so
  // the object the owner first stored is gone from the store — the owner kept it (to compare the next version
  // with) until the object came again, and what was memoised on it (a policy's verdict and IR) stayed too.
  it('keeps no object the store has replaced', async () => {
    const { store, upsert } = owner();
    const storeWithStatuses = () =>
      Array.from({ length: 100 }, (_, i) => {
        const object = route(`/r${i}`);
        (object.metadata as { name: string }).name = `web-${i}`;
        upsert(object);
        // As actors/patchers/status-store.ts writes a status: a copy with it, in the owner's place.
        store.upsert({ ...store.get('HTTPRoute', 'apps', `web-${i}`)!, status: STATUS } as never);
        return new WeakRef(object);
      });
    const originals = storeWithStatuses();
    // The actor's last event holds the last object it took.
    upsert(route('/other'));
    // WeakRef targets stay alive until the current job ends.
    await new Promise((resolve) => setImmediate(resolve));
    memoryReducingCollection()();
    // 100 before (the owner held each first version), 0 now.
    expect(originals.filter((ref) => ref.deref() !== undefined)).toHaveLength(0);
  });
});
