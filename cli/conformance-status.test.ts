// The status-only conformance scenarios of Gateway API v1.6.1, end to end through the actor pipeline: our own
// manifests (model/testdata/) go through `translate` — files source, owner actors, reference validator, gateway
// deployer, patchers — and the written statuses must carry the conditions the upstream tests expect. The model
// tests prove the rules; these prove the pipeline applies them to the right objects, in the right order.
// Scenarios that change objects (grant revoked, generation bumps) run the same composition and send the change.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { emit, setup } from 'xstate';
import { stringify } from 'yaml';
import { GATEWAY_DEPLOYER } from '../actors/gateway-deployer/messages.ts';
import type { BackendGatewayEvent, BackendGatewayStatus } from '../model/ir/backend-contract.ts';
import type { GatewayIR } from '../model/ir/gateway-ir.ts';
import type { AnyResource } from '../model/resources/kinds.ts';
import type { RawObject, ResourceEvent } from '../model/resources/resource-events.ts';
import { formatResourceKey, GATEWAY_GROUP, keyOf, resourceKey } from '../model/resources/resource-key.ts';
import { readManifests } from '../model/testdata/fixtures.ts';
import { createLogger } from '../runtime/logger.ts';
import type { Draft } from '../runtime/message.ts';
import { deliverTo, type Outgoing } from '../runtime/outbox.ts';
import { runUntilQuiescent } from '../runtime/quiescence.ts';
import { VirtualClock } from '../runtime/VirtualClock.ts';
import { createControlPlane, kindOwners } from './control-plane.ts';
import { translate } from './translate.ts';

const CONTROLLER = 'switchyard.dev/gateway-controller';

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration?: number;
  lastTransitionTime?: string;
}
interface ListenerStatus {
  name: string;
  attachedRoutes: number;
  supportedKinds: { group?: string; kind: string }[];
  conditions: Condition[];
}
interface Status {
  conditions?: Condition[];
  listeners?: ListenerStatus[];
  attachedListenerSets?: number;
  parents?: { parentRef: { name: string }; controllerName: string; conditions: Condition[] }[];
}

/**
 * runtime/quiescence.ts counts event-loop turns while an effect waits on real I/O, so reading the manifests more
 * slowly than ~0.3 s (a busy CI disk) ends a run with "did not come to rest". Retry that, and only that.
 */
async function steadily<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= attempts || !String(error).includes('did not come to rest')) throw error;
    }
  }
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Our testdata files (Secret and ConfigMap data inlined from the TLS fixtures) as one manifest file in a temp dir. */
function manifestDir(files: readonly string[], extra: readonly AnyResource[] = []): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-conformance-'));
  dirs.push(dir);
  const objects = [...readManifests(...files), ...extra];
  writeFileSync(
    join(dir, 'manifests.yaml'),
    objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'),
  );
  return dir;
}

/** Read access to the objects a run ended with. */
class Outcome {
  private readonly objects: readonly Record<string, unknown>[];

  constructor(objects: readonly Record<string, unknown>[]) {
    this.objects = objects;
  }

  status(kind: string, namespace: string | undefined, name: string): Status {
    const found = this.objects.find((object) => {
      const metadata = object.metadata as { name: string; namespace?: string };
      return object.kind === kind && metadata.name === name && metadata.namespace === namespace;
    });
    if (found === undefined) throw new Error(`${kind} ${namespace ?? ''}/${name} is not in the output`);
    return (found.status ?? {}) as Status;
  }

  gateway(name: string, namespace = 'infra') {
    const status = this.status('Gateway', namespace, name);
    return { status, condition: (type: string) => status.conditions?.find((c) => c.type === type) };
  }

  listener(gateway: string, listener: string, namespace = 'infra', kind = 'Gateway') {
    const status = this.status(kind, namespace, gateway);
    const found = status.listeners?.find((l) => l.name === listener);
    if (found === undefined) throw new Error(`no listener ${listener} in ${JSON.stringify(status)}`);
    return { ...found, condition: (type: string) => found.conditions.find((c) => c.type === type) };
  }

  /** Our parent entry of a route (the `index`-th of ours). */
  route(kind: string, name: string, namespace = 'infra', index = 0) {
    const ours = (this.status(kind, namespace, name).parents ?? []).filter(
      (p) => p.controllerName === CONTROLLER,
    );
    const entry = ours[index];
    if (entry === undefined)
      throw new Error(`${kind} ${namespace}/${name} has no parent entry ${index} of ours`);
    return { ...entry, condition: (type: string) => entry.conditions.find((c) => c.type === type) };
  }
}

const runs = new Map<string, Promise<Outcome>>();
/**
 * `translate` over testdata files, once per set of files. The fixtures produce no problems, except objects that
 * the CRD schema itself refuses (as an API server would): those must be reported, and are listed in `REFUSED`.
 */
function translated(...files: string[]): Promise<Outcome> {
  const id = files.join(',');
  let run = runs.get(id);
  if (run === undefined) {
    run = steadily(() => translate([manifestDir(files)])).then((result) => {
      const refused = files.flatMap((file) => REFUSED[file] ?? []);
      expect(result.problems.map((p) => p.message)).toEqual(refused.map((r) => expect.stringMatching(r)));
      return new Outcome(result.objects);
    });
    runs.set(id, run);
  }
  return run;
}

/** Fixture objects the schema refuses before any rule sees them. */
const REFUSED: Record<string, RegExp[]> = {
  // Gateway bad-values: hostname foo.*.example.com fails the listener hostname pattern of the CRD.
  'gateways-invalid-listeners.yaml': [
    /^rejected: Gateway infra\/bad-values: spec\.listeners\[3\]\.hostname: must match pattern/,
  ],
};

const HTTPROUTE = { group: 'gateway.networking.k8s.io', kind: 'HTTPRoute' };
const GRPCROUTE = { group: 'gateway.networking.k8s.io', kind: 'GRPCRoute' };

describe('GatewayWithAttachedRoutes', () => {
  it('counts accepted routes per listener, and none on a listener that allows no HTTPRoutes', async () => {
    const world = await translated('base.yaml', 'http-routes.yaml');
    const web = world.gateway('web');
    expect(web.condition('Accepted')).toMatchObject({
      status: 'True',
      reason: 'Accepted',
      observedGeneration: 1,
    });
    expect(web.status.listeners?.map((l) => [l.name, l.attachedRoutes])).toEqual([
      ['http', 3],
      ['wildcard', 1],
      ['team-apps', 1],
    ]);
    expect(world.listener('web', 'http').condition('ResolvedRefs')).toMatchObject({ status: 'True' });
    // a listener that allows no HTTPRoutes counts none
    expect(world.listener('tls-routes-only', 'tls').attachedRoutes).toBe(0);
  });
});

describe('GatewayWithAttachedRoutes, unresolved listener', () => {
  it('counts a route on an HTTPS listener whose certificate is missing, which stays ResolvedRefs False', async () => {
    const route = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'to-broken-https', namespace: 'infra' },
      spec: {
        parentRefs: [{ name: 'certificate-secret-missing' }],
        rules: [{ backendRefs: [{ name: 'web', port: 8080 }] }],
      },
    } as unknown as AnyResource;
    const result = await steadily(() =>
      translate([manifestDir(['base.yaml', 'gateways-invalid-tls.yaml'], [route])]),
    );
    const world = new Outcome(result.objects);
    expect(world.route('HTTPRoute', 'to-broken-https').condition('Accepted')).toMatchObject({
      status: 'True',
    });
    const https = world.listener('certificate-secret-missing', 'https');
    expect(https.attachedRoutes).toBe(1);
    expect(https.condition('ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'InvalidCertificateRef',
    });
  });
});

describe('HTTPRoute attachment', () => {
  it('HTTPRouteDisallowedKind: NotAllowedByListeners, references still resolved', async () => {
    const route = (await translated('base.yaml', 'http-routes.yaml')).route('HTTPRoute', 'to-tls-gateway');
    expect(route.condition('Accepted')).toMatchObject({ status: 'False', reason: 'NotAllowedByListeners' });
    expect(route.condition('ResolvedRefs')).toMatchObject({ status: 'True', reason: 'ResolvedRefs' });
  });

  it('HTTPRouteInvalidCrossNamespaceParentRef: NotAllowedByListeners', async () => {
    const route = (await translated('base.yaml', 'http-routes.yaml')).route(
      'HTTPRoute',
      'from-other-namespace',
      'apps',
    );
    expect(route.parentRef.name).toBe('web');
    expect(route.condition('Accepted')).toMatchObject({ status: 'False', reason: 'NotAllowedByListeners' });
  });

  it.each([
    ['HTTPRouteInvalidParentRefNotMatchingListenerPort', 'wrong-port', /does not use port 81/],
    [
      'HTTPRouteInvalidParentRefNotMatchingSectionName',
      'wrong-section',
      /no listener named no-such-listener/,
    ],
    [
      'HTTPRouteInvalidParentRefSectionNameNotMatchingPort',
      'section-on-other-port',
      /listener http does not use port 8080/,
    ],
  ])('%s: Accepted False NoMatchingParent', async (_test, name, message) => {
    const route = (await translated('base.yaml', 'http-routes.yaml')).route('HTTPRoute', name);
    expect(route.condition('Accepted')).toMatchObject({
      status: 'False',
      reason: 'NoMatchingParent',
      observedGeneration: 1,
    });
    expect(route.condition('Accepted')?.message).toMatch(message);
  });

  it('hostname intersection: NoMatchingListenerHostname', async () => {
    const route = (await translated('base.yaml', 'http-routes.yaml')).route('HTTPRoute', 'foreign-hostname');
    expect(route.condition('Accepted')).toMatchObject({
      status: 'False',
      reason: 'NoMatchingListenerHostname',
    });
  });

  it('leaves the parent of another controller without an entry of ours', async () => {
    const status = (await translated('base.yaml', 'http-routes.yaml')).status(
      'HTTPRoute',
      'infra',
      'two-parents',
    );
    expect(status.parents?.map((p) => [p.controllerName, p.parentRef.name])).toEqual([[CONTROLLER, 'web']]);
  });
});

describe('invalid backendRefs (status part of HTTPRouteInvalid* traffic tests)', () => {
  it.each([
    ['unknown-kind', 'InvalidKind'],
    ['missing-service', 'BackendNotFound'],
    ['other-namespace', 'RefNotPermitted'],
    ['unexposed-port', 'BackendNotFound'],
    ['udp-service', 'UnsupportedProtocol'],
  ])('%s: Accepted True, ResolvedRefs False %s', async (name, reason) => {
    const route = (await translated('base.yaml', 'http-routes.yaml', 'http-route-backends.yaml')).route(
      'HTTPRoute',
      name,
    );
    expect(route.condition('Accepted')).toMatchObject({ status: 'True' });
    expect(route.condition('ResolvedRefs')).toMatchObject({ status: 'False', reason });
  });

  it('HTTPRouteReferenceGrant: a granted cross-namespace backend resolves', async () => {
    const world = await translated(
      'base.yaml',
      'http-routes.yaml',
      'http-route-backends.yaml',
      'grant-services-to-infra-routes.yaml',
    );
    expect(world.route('HTTPRoute', 'other-namespace').condition('ResolvedRefs')).toMatchObject({
      status: 'True',
      reason: 'ResolvedRefs',
    });
  });
});

describe('Gateway listeners', () => {
  it('GatewayInvalidRouteKind: InvalidRouteKinds, supportedKinds keeps only the valid kinds', async () => {
    const world = await translated('base.yaml', 'gateways-invalid-listeners.yaml');
    const onlyUnknown = world.listener('only-unknown-route-kind', 'http');
    expect(onlyUnknown.supportedKinds).toEqual([]);
    expect(onlyUnknown.condition('ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'InvalidRouteKinds',
    });
    const mixed = world.listener('known-and-unknown-route-kinds', 'http');
    expect(mixed.supportedKinds).toEqual([HTTPROUTE]);
    expect(mixed.condition('ResolvedRefs')).toMatchObject({ status: 'False', reason: 'InvalidRouteKinds' });
  });

  it('GatewayListenerUnsupportedProtocol: UnsupportedProtocol, the Gateway not accepted', async () => {
    const world = await translated('base.yaml', 'gateways-invalid-listeners.yaml');
    expect(world.gateway('only-unsupported-protocol').condition('Accepted')).toMatchObject({
      status: 'False',
      reason: 'ListenersNotValid',
    });
    expect(world.listener('only-unsupported-protocol', 'custom').condition('Accepted')).toMatchObject({
      status: 'False',
      reason: 'UnsupportedProtocol',
    });
    expect(world.gateway('supported-and-unsupported-protocol').condition('Accepted')).toMatchObject({
      status: 'True',
      reason: 'ListenersNotValid',
    });
  });

  it('GatewayInvalidParametersRef: Accepted False InvalidParameters', async () => {
    const world = await translated('base.yaml', 'gateways-invalid-listeners.yaml');
    expect(world.gateway('infrastructure-parameters').condition('Accepted')).toMatchObject({
      status: 'False',
      reason: 'InvalidParameters',
    });
  });

  it.each([
    'certificate-secret-missing',
    'certificate-unsupported-group',
    'certificate-unsupported-kind',
    'certificate-malformed',
  ])('GatewayInvalidTLSConfiguration %s: InvalidCertificateRef, ListenersNotResolved', async (name) => {
    const world = await translated('base.yaml', 'gateways-invalid-tls.yaml');
    const https = world.listener(name, 'https');
    expect(https.supportedKinds).toEqual([HTTPROUTE, GRPCROUTE]);
    expect(https.condition('ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'InvalidCertificateRef',
    });
    expect(https.condition('Programmed')).toMatchObject({ status: 'False', reason: 'Invalid' });
    expect(world.gateway(name).condition('ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'ListenersNotResolved',
    });
  });

  it('resolves a valid key pair', async () => {
    const world = await translated('base.yaml', 'gateways-invalid-tls.yaml');
    expect(world.listener('certificate-fine', 'https').condition('ResolvedRefs')).toMatchObject({
      status: 'True',
      reason: 'ResolvedRefs',
    });
  });
});

describe('certificate Secrets in another namespace', () => {
  const resolvedRefs = async (...files: string[]) =>
    (await translated('base.yaml', 'gateways-secret-grants.yaml', ...files))
      .listener('remote-certificate', 'https')
      .condition('ResolvedRefs');

  it('GatewaySecretMissingReferenceGrant: RefNotPermitted', async () => {
    expect(await resolvedRefs()).toMatchObject({ status: 'False', reason: 'RefNotPermitted' });
  });

  it('GatewaySecretInvalidReferenceGrant: RefNotPermitted', async () => {
    expect(await resolvedRefs('grant-secrets-wrongly.yaml')).toMatchObject({
      status: 'False',
      reason: 'RefNotPermitted',
    });
  });

  it('GatewaySecretReferenceGrantAllInNamespace: ResolvedRefs', async () => {
    expect(await resolvedRefs('grant-secrets-to-infra-gateways.yaml')).toMatchObject({
      status: 'True',
      reason: 'ResolvedRefs',
    });
  });

  it('GatewaySecretReferenceGrantSpecific: ResolvedRefs', async () => {
    expect(await resolvedRefs('grant-one-secret-to-infra-gateways.yaml')).toMatchObject({
      status: 'True',
      reason: 'ResolvedRefs',
    });
  });
});

describe('TLSRoute, TCPRoute, UDPRoute', () => {
  const world = () => translated('base.yaml', 'l4-and-grpc-routes.yaml');

  it('TLSRoute: attaches by hostname, NoMatchingListenerHostname otherwise, refused by an HTTP listener', async () => {
    const w = await world();
    expect(w.route('TLSRoute', 'tls-ok').condition('Accepted')).toMatchObject({ status: 'True' });
    expect(w.route('TLSRoute', 'tls-wrong-host').condition('Accepted')).toMatchObject({
      status: 'False',
      reason: 'NoMatchingListenerHostname',
    });
    expect(w.route('TLSRoute', 'tls-on-http').condition('Accepted')).toMatchObject({
      status: 'False',
      reason: 'NotAllowedByListeners',
    });
  });

  it.each([
    [
      'TCPRouteInvalidBackendRefNonexistent',
      'TCPRoute',
      'tcp-missing-backend',
      'ResolvedRefs',
      'BackendNotFound',
    ],
    [
      'TCPRouteInvalidCrossNamespaceBackendRef',
      'TCPRoute',
      'tcp-other-namespace',
      'ResolvedRefs',
      'RefNotPermitted',
    ],
    ['TCPRouteInvalidNonTCPListener', 'TCPRoute', 'tcp-on-http', 'Accepted', 'NotAllowedByListeners'],
    [
      'UDPRouteInvalidCrossNamespaceBackendRef',
      'UDPRoute',
      'udp-other-namespace',
      'ResolvedRefs',
      'RefNotPermitted',
    ],
    [
      'UDPRouteInvalidBackendRefNonexistent',
      'UDPRoute',
      'udp-missing-backend',
      'ResolvedRefs',
      'BackendNotFound',
    ],
    ['UDPRoute to a TCP port', 'UDPRoute', 'udp-to-tcp-port', 'ResolvedRefs', 'UnsupportedProtocol'],
    [
      'UDPRouteNotAllowedByListeners (TCP listener)',
      'UDPRoute',
      'udp-on-tcp',
      'Accepted',
      'NotAllowedByListeners',
    ],
  ])('%s: %s %s False %s', async (_test, kind, name, type, reason) => {
    expect((await world()).route(kind, name).condition(type)).toMatchObject({ status: 'False', reason });
  });

  it('UDPRouteNotAllowedByListeners (other namespace)', async () => {
    expect((await world()).route('UDPRoute', 'udp-from-apps', 'apps').condition('Accepted')).toMatchObject({
      status: 'False',
      reason: 'NotAllowedByListeners',
    });
  });

  it('counts each kind on its own listeners', async () => {
    expect((await world()).gateway('mixed').status.listeners?.map((l) => [l.name, l.attachedRoutes])).toEqual(
      [
        ['tls', 1],
        ['tcp', 3],
        ['udp', 4],
        ['http', 1],
      ],
    );
  });
});

describe('ListenerSet', () => {
  const world = () => translated('base.yaml', 'listener-sets.yaml');

  it('is accepted by its Gateway, counts its routes, and loses a conflict with the Gateway', async () => {
    const w = await world();
    const teamA = w.status('ListenerSet', 'apps', 'team-a');
    expect(teamA.conditions?.find((c) => c.type === 'Accepted')).toMatchObject({
      status: 'True',
      reason: 'ListenersNotValid',
    });
    expect(w.listener('team-a', 'a', 'apps', 'ListenerSet').attachedRoutes).toBe(1);
    expect(w.listener('team-a', 'clash', 'apps', 'ListenerSet').condition('Conflicted')).toMatchObject({
      status: 'True',
      reason: 'HostnameConflict',
    });
    expect(w.gateway('shared').status.attachedListenerSets).toBe(1);
    expect(w.listener('shared', 'http').condition('Conflicted')).toMatchObject({ status: 'False' });
  });

  it('a later set loses to an earlier one', async () => {
    expect(
      (await world()).status('ListenerSet', 'apps', 'team-b').conditions?.find((c) => c.type === 'Accepted'),
    ).toMatchObject({
      status: 'False',
      reason: 'ListenersNotValid',
    });
  });

  it.each([
    ['infra', 'into-closed'],
    ['apps', 'from-apps'],
  ])('%s/%s is refused with NotAllowed', async (namespace, name) => {
    const status = (await world()).status('ListenerSet', namespace, name);
    expect(status.conditions?.find((c) => c.type === 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'NotAllowed',
    });
    expect(status.listeners ?? []).toEqual([]);
  });

  it('routes on a refused set get NoMatchingParent; routes on an accepted one are accepted', async () => {
    const w = await world();
    expect(w.route('HTTPRoute', 'on-refused-set').condition('Accepted')).toMatchObject({
      status: 'False',
      reason: 'NoMatchingParent',
    });
    expect(w.route('HTTPRoute', 'on-team-a', 'apps').condition('Accepted')).toMatchObject({ status: 'True' });
  });
});

// ---- scenarios that change objects while the pipeline runs ----

/** A data plane that accepts every revision at once, so Programmed can become True. */
const acceptingBackend = setup({
  types: { events: {} as BackendGatewayEvent, emitted: {} as Outgoing },
}).createMachine({
  initial: 'serving',
  states: {
    serving: {
      tags: ['ready'],
      on: {
        'backend.gateway.changed': {
          actions: emit(({ event }) => {
            const status: Omit<BackendGatewayStatus, 'meta'> = {
              type: 'backend.gateway.status',
              backend: 'envoy',
              gateway: event.gateway,
              revision: event.revision,
              translated: true,
              proxies: [{ proxy: 'proxy-0', ackedRevision: event.revision }],
            };
            return deliverTo(GATEWAY_DEPLOYER, status);
          }),
        },
      },
    },
  },
});

async function runningPlane(files: readonly string[]) {
  const clock = new VirtualClock(0);
  const plane = createControlPlane({
    clock,
    logger: createLogger({ level: 'silent' }),
    files: { paths: [manifestDir(files)], watch: false },
    backends: { envoy: { name: 'backend.fake', machine: acceptingBackend, mailbox: { capacity: 64 } } },
  });
  plane.system.start();
  await steadily(() => runUntilQuiescent(plane.system, clock));
  expect(plane.problems).toEqual([]);
  const owners = kindOwners();
  const outcome = () =>
    new Outcome([...plane.store.all()].map((o) => o as unknown as Record<string, unknown>));
  const deployer = plane.system.actor(GATEWAY_DEPLOYER)?.context as {
    gateways: Map<string, { ir: GatewayIR | undefined }>;
  };
  return {
    clock,
    outcome,
    /** The latest IR the deployer holds for a Gateway. */
    ir: (namespace: string, name: string) =>
      deployer.gateways.get(formatResourceKey(resourceKey(GATEWAY_GROUP, 'Gateway', namespace, name)))?.ir,
    /** Sends a change to the object's owner (as a source would), a minute later, and runs to rest. */
    async apply(event: { upsert: AnyResource } | { delete: AnyResource }) {
      await clock.advance(60_000);
      const object = 'upsert' in event ? event.upsert : event.delete;
      const owner = owners[object.kind as keyof typeof owners];
      const message: Draft<ResourceEvent> =
        'upsert' in event
          ? { type: 'resource.upserted', object: event.upsert as unknown as RawObject, origin: 'test' }
          : { type: 'resource.deleted', key: keyOf(event.delete) };
      await plane.system.send<ResourceEvent>(owner, message);
      await steadily(() => runUntilQuiescent(plane.system, clock));
      return outcome();
    },
    async close() {
      await plane.system.stop(2_000);
      plane.close();
    },
  };
}

describe('scenarios that change objects, through the running pipeline', () => {
  it('GatewaySecretReferenceGrantSpecific, then the grant is revoked: ResolvedRefs flips, Programmed follows', async () => {
    const files = ['base.yaml', 'gateways-secret-grants.yaml', 'grant-one-secret-to-infra-gateways.yaml'];
    const plane = await runningPlane(files);
    try {
      const granted = plane.outcome();
      expect(granted.listener('remote-certificate', 'https').condition('ResolvedRefs')).toMatchObject({
        status: 'True',
      });
      expect(granted.listener('remote-certificate', 'https').condition('Programmed')).toMatchObject({
        status: 'True',
        reason: 'Programmed',
      });
      expect(granted.gateway('remote-certificate').condition('Programmed')).toMatchObject({ status: 'True' });

      const grant = readManifests('grant-one-secret-to-infra-gateways.yaml')[0] as AnyResource;
      const revoked = await plane.apply({ delete: grant });
      expect(revoked.listener('remote-certificate', 'https').condition('ResolvedRefs')).toMatchObject({
        status: 'False',
        reason: 'RefNotPermitted',
      });
      expect(revoked.listener('remote-certificate', 'https').condition('Programmed')).toMatchObject({
        status: 'False',
        reason: 'Invalid',
      });
      expect(revoked.gateway('remote-certificate').condition('ResolvedRefs')).toMatchObject({
        status: 'False',
        reason: 'ListenersNotResolved',
      });

      const regranted = await plane.apply({ upsert: grant });
      expect(regranted.listener('remote-certificate', 'https').condition('ResolvedRefs')).toMatchObject({
        status: 'True',
      });
    } finally {
      await plane.close();
    }
  });

  it('HTTPRoute backend grant revoked: the route loses ResolvedRefs', async () => {
    const files = [
      'base.yaml',
      'http-routes.yaml',
      'http-route-backends.yaml',
      'grant-services-to-infra-routes.yaml',
    ];
    const plane = await runningPlane(files);
    try {
      expect(plane.outcome().route('HTTPRoute', 'other-namespace').condition('ResolvedRefs')).toMatchObject({
        status: 'True',
      });
      const grant = readManifests('grant-services-to-infra-routes.yaml')[0] as AnyResource;
      const revoked = await plane.apply({ delete: grant });
      expect(revoked.route('HTTPRoute', 'other-namespace').condition('ResolvedRefs')).toMatchObject({
        status: 'False',
        reason: 'RefNotPermitted',
      });
    } finally {
      await plane.close();
    }
  });

  it('HTTPRouteObservedGenerationBump: observedGeneration follows, lastTransitionTime of unchanged conditions stays', async () => {
    const plane = await runningPlane(['base.yaml', 'http-routes.yaml']);
    try {
      const before = plane.outcome().route('HTTPRoute', 'plain').condition('Accepted');
      expect(before).toMatchObject({ status: 'True', observedGeneration: 1 });
      const route = readManifests('http-routes.yaml').find(
        (o) => o.kind === 'HTTPRoute' && o.metadata.name === 'plain',
      )!;
      const bumped = {
        ...route,
        metadata: { ...route.metadata, generation: 2 },
        spec: { ...((route as { spec?: object }).spec ?? {}), hostnames: ['new.example.com'] },
      } as AnyResource;
      const after = (await plane.apply({ upsert: bumped })).route('HTTPRoute', 'plain').condition('Accepted');
      expect(after).toMatchObject({
        status: 'True',
        observedGeneration: 2,
        lastTransitionTime: before?.lastTransitionTime,
      });
    } finally {
      await plane.close();
    }
  });

  it('GatewayObservedGenerationBump and GatewayModifyListeners: a new listener appears with the new generation', async () => {
    const plane = await runningPlane(['base.yaml', 'http-routes.yaml']);
    try {
      const gateway = readManifests('http-routes.yaml').find(
        (o) => o.kind === 'Gateway' && o.metadata.name === 'web',
      )!;
      const spec = (gateway as unknown as { spec: { listeners: unknown[] } }).spec;
      const modified = {
        ...gateway,
        metadata: { ...gateway.metadata, generation: 2 },
        spec: { ...spec, listeners: [...spec.listeners, { name: 'extra', port: 8080, protocol: 'HTTP' }] },
      } as AnyResource;
      const after = await plane.apply({ upsert: modified });
      const web = after.gateway('web');
      expect(web.condition('Accepted')).toMatchObject({ status: 'True', observedGeneration: 2 });
      expect(web.condition('Programmed')).toMatchObject({ status: 'True', observedGeneration: 2 });
      expect(after.listener('web', 'extra').condition('Accepted')).toMatchObject({
        status: 'True',
        observedGeneration: 2,
      });
      // the routes attached before are still counted (whole-gateway attaches to the new listener too)
      expect(web.status.listeners?.map((l) => [l.name, l.attachedRoutes])).toEqual([
        ['http', 3],
        ['wildcard', 1],
        ['team-apps', 1],
        ['extra', 1],
      ]);
    } finally {
      await plane.close();
    }
  });

  const fixture = (file: string, kind: string, name: string) => {
    const found = readManifests(file).find((o) => o.kind === kind && o.metadata.name === name);
    if (found === undefined) throw new Error(`no ${kind} ${name} in ${file}`);
    return found;
  };
  const attached = (outcome: Outcome, gateway: string) =>
    outcome.gateway(gateway).status.listeners?.map((l) => [l.name, l.attachedRoutes]);

  it('a certificate Secret whose key stops matching: InvalidCertificateRef, and resolved again when fixed', async () => {
    const plane = await runningPlane(['base.yaml', 'gateways-invalid-tls.yaml']);
    try {
      const secret = fixture('base.yaml', 'Secret', 'example-tls') as AnyResource & {
        data: Record<string, string>;
      };
      expect(plane.outcome().listener('certificate-fine', 'https').condition('ResolvedRefs')).toMatchObject({
        status: 'True',
      });
      const broken = await plane.apply({
        upsert: {
          ...secret,
          data: { ...secret.data, 'tls.key': Buffer.from('not a key').toString('base64') },
        } as AnyResource,
      });
      expect(broken.listener('certificate-fine', 'https').condition('ResolvedRefs')).toMatchObject({
        status: 'False',
        reason: 'InvalidCertificateRef',
      });
      const fixed = await plane.apply({ upsert: secret });
      expect(fixed.listener('certificate-fine', 'https').condition('ResolvedRefs')).toMatchObject({
        status: 'True',
      });
    } finally {
      await plane.close();
    }
  });

  it('a Service that goes away: BackendNotFound on its routes, and back when it returns', async () => {
    const plane = await runningPlane(['base.yaml', 'http-routes.yaml']);
    try {
      const service = fixture('base.yaml', 'Service', 'web');
      const gone = await plane.apply({ delete: service });
      expect(gone.route('HTTPRoute', 'plain').condition('ResolvedRefs')).toMatchObject({
        status: 'False',
        reason: 'BackendNotFound',
      });
      expect(gone.route('HTTPRoute', 'plain').condition('Accepted')).toMatchObject({ status: 'True' });
      const back = await plane.apply({ upsert: service });
      expect(back.route('HTTPRoute', 'plain').condition('ResolvedRefs')).toMatchObject({ status: 'True' });
    } finally {
      await plane.close();
    }
  });

  it('a Namespace relabelled into a listener selector: its route attaches and is counted', async () => {
    const plane = await runningPlane(['base.yaml', 'http-routes.yaml']);
    try {
      expect(
        plane.outcome().route('HTTPRoute', 'backends-by-label', 'backends').condition('Accepted'),
      ).toMatchObject({
        status: 'False',
        reason: 'NotAllowedByListeners',
      });
      const namespace = fixture('base.yaml', 'Namespace', 'backends');
      const relabelled = await plane.apply({
        upsert: {
          ...namespace,
          metadata: { ...namespace.metadata, labels: { team: 'apps' } },
        } as AnyResource,
      });
      expect(
        relabelled.route('HTTPRoute', 'backends-by-label', 'backends').condition('Accepted'),
      ).toMatchObject({
        status: 'True',
      });
      expect(attached(relabelled, 'web')).toEqual([
        ['http', 3],
        ['wildcard', 1],
        ['team-apps', 2],
      ]);
    } finally {
      await plane.close();
    }
  });

  it('a route moved to another Gateway leaves the first one’s count and is judged by the second', async () => {
    const plane = await runningPlane(['base.yaml', 'http-routes.yaml']);
    try {
      const route = fixture('http-routes.yaml', 'HTTPRoute', 'plain') as AnyResource & { spec: object };
      const moved = await plane.apply({
        upsert: {
          ...route,
          metadata: { ...route.metadata, generation: 2 },
          spec: { ...route.spec, parentRefs: [{ name: 'tls-routes-only' }] },
        } as AnyResource,
      });
      expect(attached(moved, 'web')?.[0]).toEqual(['http', 2]);
      const status = moved.status('HTTPRoute', 'infra', 'plain');
      expect(status.parents?.map((p) => p.parentRef.name)).toEqual(['tls-routes-only']);
      expect(moved.route('HTTPRoute', 'plain').condition('Accepted')).toMatchObject({
        status: 'False',
        reason: 'NotAllowedByListeners',
        observedGeneration: 2,
      });
    } finally {
      await plane.close();
    }
  });

  it('a Gateway that goes away: routes drop their entry for it; it is counted again when it returns', async () => {
    const plane = await runningPlane(['base.yaml', 'http-routes.yaml']);
    try {
      const gateway = fixture('http-routes.yaml', 'Gateway', 'web');
      const gone = await plane.apply({ delete: gateway });
      expect(gone.status('HTTPRoute', 'infra', 'plain').parents ?? []).toEqual([]);
      const back = await plane.apply({ upsert: gateway });
      expect(back.route('HTTPRoute', 'plain').condition('Accepted')).toMatchObject({ status: 'True' });
      expect(attached(back, 'web')).toEqual([
        ['http', 3],
        ['wildcard', 1],
        ['team-apps', 1],
      ]);
    } finally {
      await plane.close();
    }
  });

  it('ListenerSet: deleting the older set lets the newer one in; its routes lose their parent', async () => {
    const plane = await runningPlane(['base.yaml', 'listener-sets.yaml']);
    try {
      const teamA = fixture('listener-sets.yaml', 'ListenerSet', 'team-a');
      const gone = await plane.apply({ delete: teamA });
      expect(
        gone.status('ListenerSet', 'apps', 'team-b').conditions?.find((c) => c.type === 'Accepted'),
      ).toMatchObject({
        status: 'True',
        reason: 'Accepted',
      });
      expect(gone.gateway('shared').status.attachedListenerSets).toBe(1);
      expect(gone.status('HTTPRoute', 'apps', 'on-team-a').parents ?? []).toEqual([]);
      const back = await plane.apply({ upsert: teamA });
      expect(
        back.status('ListenerSet', 'apps', 'team-b').conditions?.find((c) => c.type === 'Accepted'),
      ).toMatchObject({
        status: 'False',
        reason: 'ListenersNotValid',
      });
      expect(back.route('HTTPRoute', 'on-team-a', 'apps').condition('Accepted')).toMatchObject({
        status: 'True',
      });
      expect(back.listener('team-a', 'a', 'apps', 'ListenerSet').attachedRoutes).toBe(1);
    } finally {
      await plane.close();
    }
  });

  // Not a status, but the same pipeline: a slice names its Service only in a label, so its change must be looked
  // up under the Service (it was not, and ready endpoints never reached the IR).
  it('an EndpointSlice change reaches the IR of the Gateways whose routes use its Service', async () => {
    const plane = await runningPlane(['base.yaml', 'http-routes.yaml']);
    try {
      const endpoints = () =>
        JSON.stringify(plane.ir('infra', 'web'))
          .match(/10\.0\.0\.\d+/g)
          ?.sort();
      expect(endpoints()).toContain('10.0.0.1');
      const slice = fixture('base.yaml', 'EndpointSlice', 'web-abc') as AnyResource & {
        endpoints: unknown[];
      };
      await plane.apply({
        upsert: {
          ...slice,
          endpoints: [...slice.endpoints, { addresses: ['10.0.0.9'], conditions: { ready: true } }],
        } as AnyResource,
      });
      expect(endpoints()).toContain('10.0.0.9');
      await plane.apply({ delete: slice });
      expect(endpoints()).toBeUndefined();
    } finally {
      await plane.close();
    }
  });
});
