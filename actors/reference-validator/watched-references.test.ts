import { describe, expect, it } from 'vitest';
import { setup } from 'xstate';
import { changedKeysOf, dependenciesOf } from '../../model/evaluation/dependencies.ts';
import { type AnyResource, GROUP_OF_KIND } from '../../model/resources/kinds.ts';
import { keyOf } from '../../model/resources/resource-key.ts';
import { ResourceStore } from '../../model/shared/resource-view.ts';
import { ActorSystem } from '../../runtime/ActorSystem.ts';
import { VirtualClock } from '../../runtime/VirtualClock.ts';
import { GATEWAY_DEPLOYER } from '../gateway-deployer/messages.ts';
import { patcherName } from '../patchers/messages.ts';
import { referenceValidatorSpec } from './index.ts';
import { REFERENCE_VALIDATOR, type ReferenceValidatorMessage } from './messages.ts';

const CONTROLLER = 'switchyard.dev/test';

function gateway(secret: string, generation: number): AnyResource {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'edge', namespace: 'apps', generation },
    spec: {
      gatewayClassName: 'ours',
      listeners: [
        { name: 'https', protocol: 'HTTPS', port: 443, tls: { certificateRefs: [{ name: secret }] } },
      ],
    },
  } as unknown as AnyResource;
}

function secret(name: string): AnyResource {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace: 'apps' },
    type: 'Opaque',
    data: {},
  } as unknown as AnyResource;
}

/** A validator told to announce Secret and ConfigMap references, with recorders for whom it talks to. */
function start() {
  const clock = new VirtualClock();
  const system = new ActorSystem({ clock });
  const store = new ResourceStore();
  const received = new Map<string, { type: string; keys?: { name: string }[]; key?: { kind: string } }[]>();
  const recorder = (name: string) => {
    received.set(name, []);
    system.spawn({
      name,
      machine: setup({}).createMachine({
        on: { '*': { actions: ({ event }) => void received.get(name)?.push(event as never) } },
      }),
      mailbox: { capacity: 1000 },
    });
  };
  for (const name of ['source.Secret', 'source.ConfigMap', GATEWAY_DEPLOYER, patcherName('GatewayClass')])
    recorder(name);
  system.spawn(
    referenceValidatorSpec(
      {
        view: store,
        controllerName: CONTROLLER,
        expectedKinds: Object.keys(GROUP_OF_KIND),
        flushDelayMs: 0,
        referenceWatchers: { Secret: 'source.Secret', ConfigMap: 'source.ConfigMap' },
        referenceWaitMs: 2_000,
      },
      { 'report-rejection': () => undefined, 'report-policy-problems': () => undefined },
    ),
  );
  system.start();
  const settle = async () => {
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
    await clock.advance(0);
    for (let turn = 0; turn < 20; turn++) await new Promise((resolve) => setImmediate(resolve));
  };
  const send = (message: Parameters<typeof system.send<ReferenceValidatorMessage>>[1]) =>
    system.send<ReferenceValidatorMessage>(REFERENCE_VALIDATOR, message);
  const upsert = async (object: AnyResource) => {
    store.upsert(object);
    await send({
      type: 'resource.changed',
      key: keyOf(object),
      dependsOn: dependenciesOf(object),
      lookupKeys: changedKeysOf(object),
      deleted: false,
    });
  };
  const wanted = (source: string) =>
    (received.get(source) ?? [])
      .filter((m) => m.type === 'references.wanted')
      .map((m) => m.keys?.map((k) => k.name));
  /** Per Gateway resolution sent to the deployer: what its listeners say about the certificate Secret. */
  const gatewayStatuses = () =>
    (received.get(GATEWAY_DEPLOYER) ?? [])
      .filter((m) => m.type === 'gateway.resolved')
      .map((m) => {
        const text = JSON.stringify((m as { listeners?: unknown }).listeners);
        return /not found/.test(text) ? 'missing' : /has type Opaque/.test(text) ? 'found' : text;
      });
  return { system, clock, store, send, upsert, wanted, gatewayStatuses, settle };
}

describe('the reference validator and kinds watched by reference', () => {
  it('sends the referenced set once the referencing kinds are synced, then each change of it', async () => {
    const t = start();
    await t.upsert({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'ours', generation: 1 },
      spec: { controllerName: CONTROLLER },
    } as unknown as AnyResource);
    await t.upsert(gateway('first', 1));
    const others = Object.keys(GROUP_OF_KIND).filter((kind) => kind !== 'Secret' && kind !== 'ConfigMap');
    await t.send({ type: 'kinds.synced', kinds: others.slice(1) });
    await t.settle();
    // Not every referencing kind is listed yet: the set is not whole.
    expect(t.wanted('source.Secret')).toEqual([]);
    await t.send({ type: 'kinds.synced', kinds: others.slice(0, 1) });
    await t.settle();
    expect(t.wanted('source.Secret')).toEqual([['first']]);
    // Sent even when empty: it is what lets that source sync.
    expect(t.wanted('source.ConfigMap')).toEqual([[]]);

    await t.upsert(secret('first'));
    await t.send({ type: 'references.fetched', keys: [keyOf(secret('first'))] });
    await t.send({ type: 'kinds.synced', kinds: ['Secret', 'ConfigMap'] });
    await t.settle();
    expect(t.gatewayStatuses()).toEqual(['found']); // an Opaque Secret: found, and refused for its type

    // Switched to another Secret: announced, and the Gateway waits for it to be fetched.
    await t.upsert(gateway('second', 2));
    await t.settle();
    expect(t.wanted('source.Secret')).toEqual([['first'], ['second']]);
    expect(t.gatewayStatuses()).toHaveLength(1);
    await t.upsert(secret('second'));
    await t.send({ type: 'references.fetched', keys: [keyOf(secret('second'))] });
    await t.settle();
    expect(t.gatewayStatuses()).toEqual(['found', 'found']);

    // A reference that is never fetched holds the recomputation only up to the wait bound.
    await t.upsert(gateway('third', 3));
    await t.settle();
    expect(t.wanted('source.Secret').at(-1)).toEqual(['third']);
    await t.clock.advance(1_999);
    await t.settle();
    expect(t.gatewayStatuses()).toHaveLength(2);
    await t.clock.advance(1);
    await t.settle();
    expect(t.gatewayStatuses()).toEqual(['found', 'found', 'missing']);
    // Unchanged references are not sent again.
    await t.upsert(gateway('third', 4));
    await t.settle();
    expect(t.wanted('source.Secret')).toHaveLength(3);
    await t.system.stop();
  });
});
