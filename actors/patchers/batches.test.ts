// A batch of statuses (`statuses.desired`) through a real patcher and its inbox: written in order in one step of
// the patcher, and never overwritten by an older status — neither ahead of a later single status for the same
// object nor behind it.
import { describe, expect, it } from 'vitest';
import { ResourceStore } from '../../model/shared/resource-view.ts';
import { ActorSystem } from '../../runtime/ActorSystem.ts';
import { runUntilQuiescent } from '../../runtime/quiescence.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import { fileStatusWriter, patcherSpec, StatusStore, type StatusWrite } from './index.ts';
import { type PatcherMessage, patcherName } from './messages.ts';

const PATCHER = patcherName('HTTPRoute');
const keyOf = (name: string) => ({
  group: 'gateway.networking.k8s.io',
  kind: 'HTTPRoute',
  namespace: 'd',
  name,
});
const status = (version: number) => ({ parents: [{ controllerName: 'test', version }] });

/** A patcher over routes a…e whose writes wait until `open()`; what it wrote, in order. */
function world() {
  const clock = new VirtualClock(0);
  const actors = new ActorSystem({ clock });
  const store = new ResourceStore();
  for (const name of ['a', 'b', 'c', 'd', 'e'])
    store.upsert({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name, namespace: 'd' },
      spec: {},
    } as never);
  const written: string[] = [];
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const write = fileStatusWriter(store, new StatusStore());
  const port = async (request: StatusWrite) => {
    await gate;
    written.push(`${request.key.name}${(request.status as ReturnType<typeof status>).parents[0]!.version}`);
    return write(request);
  };
  actors.spawn(patcherSpec('HTTPRoute', store, port));
  actors.start();
  const send = (draft: Parameters<typeof actors.send<PatcherMessage>>[1]) =>
    actors.send<PatcherMessage>(PATCHER, draft);
  const single = (name: string, version: number) =>
    send({ type: 'status.desired', key: keyOf(name), status: status(version) });
  const many = (...statuses: [string, number][]) =>
    send({
      type: 'statuses.desired',
      statuses: statuses.map(([name, version]) => ({ key: keyOf(name), status: status(version) })),
    });
  const versionOf = (name: string) =>
    (store.get('HTTPRoute', 'd', name)?.status as ReturnType<typeof status> | undefined)?.parents[0]?.version;
  const settle = async () => {
    open();
    await runUntilQuiescent(actors, clock);
  };
  return { actors, clock, written, single, many, versionOf, settle };
}

describe('a batch of statuses', () => {
  it('is written in its order, in one patcher step plus one per write, skipping what changes nothing', async () => {
    const w = world();
    await w.many(['a', 1], ['b', 1], ['c', 1]);
    await w.settle();
    await w.many(['a', 1], ['b', 2], ['c', 1], ['d', 1]);
    await w.settle();
    expect(w.written).toEqual(['a1', 'b1', 'c1', 'b2', 'd1']);
    // Two batches, five writes each answered by `effect.done`: no step per status taken in.
    expect(w.actors.actor(PATCHER)?.stats().handled).toBe(2 + 5);
    await w.actors.stop(1_000);
  });

  it('is not overtaken by a later status for one of its objects, nor overwrites it', async () => {
    const w = world();
    // `e` is being written (the patcher is busy): what follows queues in its inbox.
    await w.single('e', 1);
    await w.single('a', 1);
    await w.many(['a', 2], ['b', 2]);
    // Replacing a1 in place, ahead of the batch, would write a3 first and the batch's a2 over it.
    await w.single('a', 3);
    await w.single('b', 3);
    await w.settle();
    expect(w.versionOf('a')).toBe(3);
    expect(w.versionOf('b')).toBe(3);
    expect(w.written).toEqual(['e1', 'a1', 'a2', 'b2', 'a3', 'b3']);
    await w.actors.stop(1_000);
  });
});
