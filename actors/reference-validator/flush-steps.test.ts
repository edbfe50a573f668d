// A recomputation split into steps (GatewayResolution.begin/step, the validator's `validator.flush-step`) must
// send exactly what one pass in one go sends, and a change arriving between two steps must still end in the
// statuses and IR a full evaluation of the final state gives.
import { readdirSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import { changedKeysOf, dependenciesOf } from '../../model/evaluation/dependencies.ts';
import { evaluateAll } from '../../model/evaluation/full-evaluation.ts';
import { ROUTE_KINDS } from '../../model/resources/gateway-api.ts';
import { type AnyResource, GROUP_OF_KIND } from '../../model/resources/kinds.ts';
import { formatResourceKey, keyOf, type ResourceKey } from '../../model/resources/resource-key.ts';
import { ResourceStore } from '../../model/shared/resource-view.ts';
import { CONTROLLER, NOW, readManifests } from '../../model/testdata/fixtures.ts';
import { ActorSystem } from '../../runtime/ActorSystem.ts';
import type { DeliverRequest } from '../../runtime/outbox.ts';
import { runUntilQuiescent } from '../../runtime/quiescence.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import { EXTPROC_CONFIG_WRITER } from '../ai-gateway/messages.ts';
import { GATEWAY_DEPLOYER } from '../gateway-deployer/messages.ts';
import { patcherName, type StatusesDesired } from '../patchers/messages.ts';
import { referenceValidatorSpec } from './index.ts';
import { REFERENCE_VALIDATOR, type ReferenceValidatorMessage } from './messages.ts';
import { GatewayResolution } from './resolution.ts';

/** Every fixture world: all phases of a pass (routes, Gateways, policies, pools, the AI Gateway kinds). */
const FIXTURES = readdirSync(new URL('../../model/testdata/', import.meta.url))
  .filter((name) => name.endsWith('.yaml'))
  .sort();

function world(budget: number) {
  const store = new ResourceStore();
  const resolution = new GatewayResolution(store, CONTROLLER);
  const apply = (object: AnyResource, deleted = false) => {
    if (deleted) store.delete(keyOf(object));
    else store.upsert(object);
    resolution.changed(keyOf(object), deleted ? [] : dependenciesOf(object), deleted, changedKeysOf(object));
  };
  for (const object of readManifests(...FIXTURES)) apply(object);
  /** One pass, in steps of `budget`: the messages of all steps, in order, and how many steps it took. */
  const flush = () => {
    resolution.begin(NOW);
    const messages: DeliverRequest[] = [];
    let steps = 0;
    for (let done = false; !done; steps++) {
      const step = resolution.step(budget);
      messages.push(...step.messages);
      done = step.done;
    }
    expect(resolution.flushing).toBe(false);
    return { messages, steps };
  };
  return { store, resolution, apply, flush };
}

/** The objects of the fixtures a change can be made to: routes, Services, Gateways. */
function changeable(store: ResourceStore): AnyResource[] {
  return [...ROUTE_KINDS, 'Service', 'Gateway', 'BackendTLSPolicy', 'InferencePool'].flatMap(
    (kind) => store.list(kind as 'Service') as AnyResource[],
  );
}

describe('a recomputation in steps', () => {
  it('sends exactly what one pass in one go sends, with no extra evaluations', () => {
    for (const budget of [1, 2, 3, 7, 50]) {
      const whole = world(Number.POSITIVE_INFINITY);
      const stepped = world(budget);
      const first = whole.flush();
      const split = stepped.flush();
      expect(first.steps).toBe(1);
      expect(split.steps).toBeGreaterThan(budget < 50 ? 10 : 1);
      expect(split.messages).toEqual(first.messages);
      expect(stepped.resolution.counters).toEqual(whole.resolution.counters);
    }
  });

  it('stays the same as one pass over any sequence of changes (property)', () => {
    const objects = changeable(world(1).store).map(keyOf);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.tuple(fc.nat(objects.length - 1), fc.boolean()), { minLength: 1, maxLength: 6 }),
        (budget, changes) => {
          const whole = world(Number.POSITIVE_INFINITY);
          const stepped = world(budget);
          expect(stepped.flush().messages).toEqual(whole.flush().messages);
          for (const [index, remove] of changes) {
            for (const w of [whole, stepped]) {
              const key = objects[index] as ResourceKey;
              const object = w.store.get(key.kind as 'Service', key.namespace, key.name) as
                | AnyResource
                | undefined;
              if (object === undefined) continue;
              const labels = { ...object.metadata.labels, touched: String(index) };
              w.apply(remove ? object : { ...object, metadata: { ...object.metadata, labels } }, remove);
            }
            expect(stepped.flush().messages).toEqual(whole.flush().messages);
            expect(stepped.resolution.counters).toEqual(whole.resolution.counters);
          }
        },
      ),
      { numRuns: 40 },
    );
    // CPU-bound: 40 runs of two worlds each; on a loaded 2-core machine this took over 20 s.
  }, 120_000);

  it('refuses to begin a second pass while one is under way', () => {
    const w = world(1);
    w.resolution.begin(NOW);
    expect(() => w.resolution.begin(NOW)).toThrow(/already under way/);
  });
});

/** The validator in an actor system, with recorders for everyone it sends to. */
function system(flushStepBudget: number) {
  const clock = new VirtualClock(Date.parse(NOW));
  const actors = new ActorSystem({ clock });
  const store = new ResourceStore();
  const received: { to: string; message: { type: string; meta?: unknown } }[] = [];
  const targets = [
    GATEWAY_DEPLOYER,
    EXTPROC_CONFIG_WRITER,
    ...Object.keys(GROUP_OF_KIND).map((kind) => patcherName(kind)),
  ];
  for (const name of new Set(targets)) {
    actors.spawn({
      name,
      machine: setup({}).createMachine({
        on: { '*': { actions: ({ event }) => void received.push({ to: name, message: event as never }) } },
      }),
      mailbox: { capacity: 100_000 },
    });
  }
  actors.spawn(
    referenceValidatorSpec(
      {
        view: store,
        controllerName: CONTROLLER,
        expectedKinds: ['all'],
        flushDelayMs: 0,
        flushStepBudget,
      },
      { 'report-rejection': () => undefined, 'report-policy-problems': () => undefined },
    ),
  );
  actors.start();
  const send = (message: Parameters<typeof actors.send<ReferenceValidatorMessage>>[1]) =>
    actors.send<ReferenceValidatorMessage>(REFERENCE_VALIDATOR, message);
  const apply = async (object: AnyResource) => {
    store.upsert(object);
    await send({
      type: 'resource.changed',
      key: keyOf(object),
      dependsOn: dependenciesOf(object),
      lookupKeys: changedKeysOf(object),
      deleted: false,
    });
  };
  /**
   * What was sent, without the per-message metadata (ids, causes, times), a patcher's batch of statuses as the
   * single statuses it holds (how a step's statuses are gathered depends on the step).
   */
  const sent = () =>
    received.flatMap(({ to, message: { meta: _meta, ...rest } }) =>
      rest.type === 'statuses.desired'
        ? (rest as unknown as StatusesDesired).statuses.map((desired) => ({
            to,
            type: 'status.desired',
            ...desired,
          }))
        : [{ to, ...rest }],
    );
  /** Per recipient, what it received in order (how recipients interleave is up to the scheduler). */
  const byRecipient = () => {
    const out: Record<string, unknown[]> = {};
    for (const { to, ...message } of sent()) {
      out[to] = [...(out[to] ?? []), message];
    }
    return out;
  };
  return { clock, actors, store, send, apply, sent, byRecipient };
}

describe('the reference validator in steps', () => {
  it('sends each recipient what it sends in one step, the same messages in the same order', async () => {
    const runs = [];
    for (const budget of [Number.POSITIVE_INFINITY, 2]) {
      const t = system(budget);
      for (const object of readManifests(...FIXTURES)) await t.apply(object);
      await t.send({ type: 'kinds.synced', kinds: ['all'] });
      await runUntilQuiescent(t.actors, t.clock);
      runs.push(t.byRecipient());
      await t.actors.stop(1_000);
    }
    expect(Object.values(runs[0] ?? {}).flat().length).toBeGreaterThan(20);
    expect(runs[1]).toEqual(runs[0]);
  });

  it('recomputes a change that arrives between two steps, ending where a full evaluation does', async () => {
    const t = system(2);
    for (const object of readManifests('base.yaml', 'http-routes.yaml', 'backend-tls.yaml'))
      await t.apply(object);
    await t.send({ type: 'kinds.synced', kinds: ['all'] });
    // The first step only: the flush fires at once, the next step is due a millisecond later.
    for (let turn = 0; turn < 10; turn++) await new Promise((resolve) => setImmediate(resolve));
    await t.clock.advance(0);
    const during = t.sent().length;
    // A route the first step has already evaluated: only a further pass can bring its change.
    const done = t.sent().find((m) => m.type === 'status.desired' && m.to === patcherName('HTTPRoute')) as
      | { key: ResourceKey }
      | undefined;
    const route = t.store.get('HTTPRoute', done?.key.namespace, done?.key.name ?? '') as AnyResource & {
      spec: { hostnames?: string[] };
    };
    await t.apply({ ...route, spec: { ...route.spec, hostnames: ['changed.example.com'] } } as AnyResource);
    await runUntilQuiescent(t.actors, t.clock);
    expect(during).toBeGreaterThan(0);
    expect(t.sent().length).toBeGreaterThan(during);

    // The last status and IR sent per object are those of the final state.
    const last = new Map<string, unknown>();
    for (const message of t.sent()) {
      const sent = message as { type: string; key?: ResourceKey; gateway?: ResourceKey; status?: unknown };
      if (sent.type === 'status.desired' && sent.key !== undefined)
        last.set(formatResourceKey(sent.key), sent.status);
      if (sent.type === 'gateway.resolved' && sent.gateway !== undefined)
        last.set(`ir:${formatResourceKey(sent.gateway)}`, (message as { ir?: unknown }).ir);
    }
    const full = evaluateAll(t.store, { controllerName: CONTROLLER, now: NOW });
    for (const kind of ROUTE_KINDS) {
      for (const object of t.store.list(kind)) {
        const id = formatResourceKey(keyOf(object));
        if (full.statuses.has(id)) expect(last.get(id), id).toEqual(full.statuses.get(id));
      }
    }
    for (const [id, ir] of full.irs) expect(last.get(`ir:${id}`), id).toEqual(ir);
    expect(last.size).toBeGreaterThan(0);
    await t.actors.stop(1_000);
  });
});
