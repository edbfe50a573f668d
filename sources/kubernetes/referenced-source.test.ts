import { describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import type { ReferencesWanted } from '../../model/evaluation/watched-references.ts';
import { resourceKey } from '../../model/resources/resource-key.ts';
import { ActorSystem } from '../../runtime/ActorSystem.ts';
import type { Draft } from '../../runtime/message.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import type { KubeObject, WatchEvent } from './client.ts';
import type { ListResult, WatchEnded } from './machine.ts';
import type { ReferencedSourceMessage } from './messages.ts';
import {
  type ObjectListRequest,
  type ObjectWatchRequest,
  referencedSourceMachine,
} from './referenced-source.ts';

const SOURCE = 'source.kubernetes.Secret';

function secret(namespace: string, name: string, resourceVersion: string, type = 'Opaque'): KubeObject {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { namespace, name, resourceVersion }, type };
}

/** A source with fake ports: lists answer from `cluster`, watches stay open until the test ends them. */
function start() {
  const clock = new VirtualClock();
  const system = new ActorSystem({ clock });
  const cluster = new Map<string, KubeObject>();
  const owner: { type: string; key?: { name: string }; keys?: { name: string }[]; object?: KubeObject }[] =
    [];
  const lists: ObjectListRequest[] = [];
  const watches: ObjectWatchRequest[] = [];
  const stopped: number[] = [];
  const open = new Map<number, (ended: WatchEnded) => void>();
  let failLists = 0;
  system.spawn({
    name: 'resolver.secrets',
    machine: setup({}).createMachine({
      on: { '*': { actions: ({ event }) => void owner.push(event as (typeof owner)[number]) } },
    }),
    mailbox: { capacity: 100 },
  });
  system.spawn({
    name: SOURCE,
    machine: referencedSourceMachine,
    input: { kind: 'Secret', owner: 'resolver.secrets', backoff: { initialDelayMs: 100, maxDelayMs: 400 } },
    mailbox: { capacity: 100 },
    effects: {
      list: async (request: ObjectListRequest): Promise<ListResult> => {
        lists.push(request);
        if (failLists-- > 0) throw new Error('the API server is unavailable');
        const found = cluster.get(`${request.namespace}/${request.name}`);
        return { served: true, items: found === undefined ? [] : [found], resourceVersion: '100' };
      },
      watch: (request: ObjectWatchRequest) =>
        new Promise<WatchEnded>((resolve) => {
          watches.push(request);
          open.set(request.watch, resolve);
        }),
      'stop-watch': ({ watch }: { watch: number }) => {
        stopped.push(watch);
        open.get(watch)?.({ watch, reason: 'closed' });
        return { stopped: true };
      },
    },
  });
  system.start();
  const settle = async () => {
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
  };
  const send = (message: Draft<ReferencedSourceMessage>) =>
    system.send<ReferencedSourceMessage>(SOURCE, message);
  const want = (...names: string[]) =>
    send({
      type: 'references.wanted',
      kind: 'Secret',
      keys: names.map((id) => resourceKey('', 'Secret', id.split('/')[0], id.split('/')[1] as string)),
    } satisfies Draft<ReferencesWanted>);
  const event = (watch: number, watchEvent: WatchEvent) =>
    send({ type: 'watch.event', watch, event: watchEvent });
  const watchOf = (name: string) => watches.filter((w) => w.name === name).at(-1) as ObjectWatchRequest;
  const end = (name: string, reason: WatchEnded['reason']) => {
    const { watch } = watchOf(name);
    open.get(watch)?.({ watch, reason, message: reason });
  };
  const ready = () => system.stats().find((actor) => actor.name === SOURCE)?.ready;
  /** Unreferences everything (closing the open watches), then stops. */
  const finish = async () => {
    await want();
    await settle();
    await system.stop();
  };
  const failNextLists = (count: number) => {
    failLists = count;
  };
  return {
    system,
    clock,
    cluster,
    owner,
    lists,
    watches,
    stopped,
    settle,
    want,
    event,
    watchOf,
    end,
    ready,
    failNextLists,
    finish,
  };
}

describe('a source watching Secrets by reference', () => {
  it('fetches only the referenced objects, and is synced once each has been listed, found or not', async () => {
    const t = start();
    t.cluster.set('apps/tls', secret('apps', 'tls', '7', 'kubernetes.io/tls'));
    t.cluster.set('apps/unreferenced', secret('apps', 'unreferenced', '8'));
    await t.settle();
    expect(t.lists).toEqual([]);
    expect(t.ready()).toBe(false);

    await t.want('apps/tls', 'ai/api-key');
    await t.settle();
    expect(t.lists.map((l) => `${l.namespace}/${l.name}`).sort()).toEqual(['ai/api-key', 'apps/tls']);
    const seen = t.owner.map((m) =>
      m.type === 'resource.upserted'
        ? `upserted ${m.object?.metadata?.name}`
        : m.type === 'resource.fetched'
          ? `fetched ${m.keys?.map((k) => k.name).join()}`
          : m.type,
    );
    // Each object is reported fetched after its upsert (if found); synced comes last.
    expect(seen.indexOf('upserted tls')).toBeLessThan(seen.indexOf('fetched tls'));
    expect(seen.filter((m) => m !== 'upserted tls' && m !== 'fetched tls')).toEqual([
      'fetched api-key',
      'resource.synced',
    ]);
    expect(t.ready()).toBe(true);
    // Each object is then watched from its list's version.
    expect(t.watchOf('tls')).toMatchObject({ namespace: 'apps', resourceVersion: '100' });
    expect(t.watchOf('api-key')).toMatchObject({ namespace: 'ai', resourceVersion: '100' });
    await t.finish();
  });

  it('delivers a referenced Secret created later at once, and forgets one no longer referenced', async () => {
    const t = start();
    await t.want('ai/api-key', 'apps/tls');
    await t.settle();
    t.owner.length = 0;

    await t.event(t.watchOf('api-key').watch, { type: 'ADDED', object: secret('ai', 'api-key', '101') });
    // An event of a watch that is no longer current changes nothing.
    await t.event(t.watchOf('tls').watch + 100, { type: 'ADDED', object: secret('apps', 'stale', '102') });
    await t.settle();
    expect(t.owner).toMatchObject([{ type: 'resource.upserted', object: { metadata: { name: 'api-key' } } }]);

    const keyWatch = t.watchOf('api-key').watch;
    await t.want('apps/tls');
    await t.settle();
    expect(t.stopped).toEqual([keyWatch]);
    expect(t.owner.at(-1)).toMatchObject({
      type: 'resource.deleted',
      key: { namespace: 'ai', name: 'api-key' },
    });
    // Its closed watch is not resumed.
    expect(t.watches.filter((w) => w.name === 'api-key')).toHaveLength(1);
    await t.finish();
  });

  it('relists after 410 Gone, resumes a closed watch, and backs off after errors on the clock', async () => {
    const t = start();
    t.cluster.set('apps/tls', secret('apps', 'tls', '7', 'kubernetes.io/tls'));
    await t.want('apps/tls');
    await t.settle();
    await t.event(t.watchOf('tls').watch, {
      type: 'BOOKMARK',
      object: { metadata: { resourceVersion: '150' } },
    });
    await t.settle();

    t.end('tls', 'closed');
    await t.settle();
    expect(t.watchOf('tls').resourceVersion).toBe('150');

    // Deleted while the watch was broken: the relist after 410 notices it is gone.
    t.cluster.delete('apps/tls');
    t.end('tls', 'gone');
    await t.settle();
    expect(t.lists).toHaveLength(2);
    expect(t.owner.at(-1)).toMatchObject({ type: 'resource.deleted', key: { name: 'tls' } });

    const watchesBefore = t.watches.length;
    t.end('tls', 'stalled');
    await t.settle();
    expect(t.watches).toHaveLength(watchesBefore);
    await t.clock.advance(99);
    await t.settle();
    expect(t.watches).toHaveLength(watchesBefore);
    await t.clock.advance(1);
    await t.settle();
    expect(t.watches).toHaveLength(watchesBefore + 1);
    expect(t.watchOf('tls').resourceVersion).toBe('100');

    // A failing relist backs off exponentially (from the start: the resumed watch worked) and lists again.
    await t.event(t.watchOf('tls').watch, {
      type: 'BOOKMARK',
      object: { metadata: { resourceVersion: '160' } },
    });
    t.failNextLists(2);
    t.end('tls', 'gone');
    await t.settle();
    expect(t.lists).toHaveLength(3);
    await t.clock.advance(100);
    await t.settle();
    expect(t.lists).toHaveLength(4);
    await t.clock.advance(199);
    await t.settle();
    expect(t.lists).toHaveLength(4);
    await t.clock.advance(1);
    await t.settle();
    expect(t.lists).toHaveLength(5);
    expect(t.watches.length).toBe(watchesBefore + 2);
    await t.finish();
  });

  it('cancels the backoff of an object that stops being referenced', async () => {
    const t = start();
    t.failNextLists(1);
    await t.want('apps/tls');
    await t.settle();
    expect(t.ready()).toBe(false);
    await t.want();
    await t.settle();
    // Nothing is referenced any more: synced, and the retry never lists again.
    expect(t.ready()).toBe(true);
    await t.clock.advance(1_000);
    await t.settle();
    expect(t.lists).toHaveLength(1);
    await t.finish();
  });
});
