import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GatewayResolution } from '../actors/reference-validator/resolution.ts';
import { createLogger } from '../runtime/logger.ts';
import { runUntilQuiescent } from '../runtime/quiescence.ts';
import { VirtualClock } from '../runtime/VirtualClock.ts';
import { freshState, planeState, startAnnounced } from '../test/harness/plane-state.ts';
import { createControlPlane, REFERENCE_VALIDATOR } from './control-plane.ts';

const GATEWAYS = 5;

function gatewayFile(): string {
  const docs = [
    'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: sy}\nspec: {controllerName: switchyard.dev/gateway-controller}',
  ];
  for (let i = 0; i < GATEWAYS; i++) {
    docs.push(
      `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: gw-${i}, namespace: apps}\nspec:\n  gatewayClassName: sy\n  listeners: [{name: http, protocol: HTTP, port: 80}]`,
    );
  }
  return docs.join('\n---\n');
}

function routeFile(gateway: number, path: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: route-${gateway}, namespace: apps}\nspec:\n  parentRefs: [{name: gw-${gateway}}]\n  rules: [{matches: [{path: {type: PathPrefix, value: ${path}}}]}]`;
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

/** A plane started on a directory of `files` it watches, on a virtual clock. */
async function startWatched(prefix: string, files: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const clock = new VirtualClock();
  const plane = createControlPlane({
    clock,
    files: { paths: [dir], watch: true },
    logger: createLogger({ level: 'silent' }),
  });
  plane.system.start();
  await runUntilQuiescent(plane.system, clock);
  return { dir, clock, plane };
}

/**
 * Issue 16: a policy whose selectors can select nothing (a kind it cannot target) has no ancestor, so no status
 * says what is wrong with it (GEP-713: an empty list means the policy is relevant to nothing; Envoy Gateway says
 * nothing). The controller logs it, naming the policy and the field, each time the policy changes, and lists it
 * with the problems the inspector shows until it is fixed.
 */
describe('a policy that selects nothing', () => {
  it('is named in the log with what is wrong with it; fixed, it is not', async () => {
    const lines: string[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-selects-nothing-'));
    const policy = (kind: string) =>
      `apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: by-label, namespace: apps}\nspec:\n  targetSelectors: [{kind: ${kind}, matchLabels: {app: web}}]\n  cors: {allowOrigins: ["https://a.example"]}`;
    writeFileSync(join(dir, 'gateways.yaml'), gatewayFile());
    writeFileSync(join(dir, 'policy.yaml'), policy('Service'));
    const clock = new VirtualClock();
    const plane = createControlPlane({
      clock,
      files: { paths: [dir], watch: true },
      logger: createLogger({ level: 'warn', destination: { write: (line: string) => lines.push(line) } }),
    });
    const warnings = () =>
      lines.map((line) => JSON.parse(line) as { policy?: string; msg: string }).filter((l) => l.policy);
    try {
      plane.system.start();
      await runUntilQuiescent(plane.system, clock);
      const status = plane.store.get('SecurityPolicy', 'apps', 'by-label')?.status as
        | { ancestors?: unknown[] }
        | undefined;
      expect(status?.ancestors ?? []).toEqual([]);
      expect(warnings()).toEqual([
        {
          ...warnings()[0],
          policy: 'SecurityPolicy apps/by-label',
          msg: expect.stringMatching(
            /^SecurityPolicy apps\/by-label: spec\.targetSelectors\[0\]\.kind: a SecurityPolicy cannot select Service/,
          ),
        },
      ]);
      // Listed too (the inspector's problems), on the policy, once; the fix withdraws it.
      const listed = () => plane.problems.filter((problem) => problem.category === 'policy');
      expect(listed()).toEqual([
        {
          origin: 'SecurityPolicy apps/by-label',
          message: warnings()[0]?.msg,
          category: 'policy',
          object: { kind: 'SecurityPolicy', namespace: 'apps', name: 'by-label' },
        },
      ]);
      writeFileSync(join(dir, 'policy.yaml'), policy('HTTPRoute'));
      await until(
        () =>
          JSON.stringify(plane.store.get('SecurityPolicy', 'apps', 'by-label')?.spec).includes('HTTPRoute'),
        'the fix',
      );
      await runUntilQuiescent(plane.system, clock);
      expect(warnings()).toHaveLength(1);
      expect(listed()).toEqual([]);
    } finally {
      plane.close();
      await plane.system.stop(2_000);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The Gateways and their routes (plus `extra` files), watched; with the validator's resolution. */
async function watchedGateways(prefix: string, extra: Record<string, string> = {}) {
  const files: Record<string, string> = { 'gateways.yaml': gatewayFile(), ...extra };
  for (let i = 0; i < GATEWAYS; i++) files[`route-${i}.yaml`] = routeFile(i, '/a');
  const started = await startWatched(prefix, files);
  const resolution = (
    started.plane.system.actor(REFERENCE_VALIDATOR)!.context as { resolution: GatewayResolution }
  ).resolution;
  return { ...started, resolution };
}

describe('control plane in standalone mode', () => {
  it('recomputes only the Gateway a changed route is attached to, and deletes what leaves the files', async () => {
    const { dir, clock, plane, resolution } = await watchedGateways('switchyard-watch-');
    try {
      expect(resolution.counters.gatewaysResolved).toBe(GATEWAYS);
      const before = { ...resolution.counters };

      writeFileSync(join(dir, 'route-3.yaml'), routeFile(3, '/b'));
      // The controller stores the new spec without any timer; recomputation then runs on the virtual clock.
      await until(
        () => JSON.stringify(plane.store.get('HTTPRoute', 'apps', 'route-3')?.spec).includes('/b'),
        'the change',
      );
      await runUntilQuiescent(plane.system, clock);
      expect(resolution.counters.gatewaysResolved - before.gatewaysResolved).toBe(1);
      expect(resolution.counters.routesEvaluated - before.routesEvaluated).toBe(1);
      const route = plane.store.get('HTTPRoute', 'apps', 'route-3');
      expect(route?.metadata.generation).toBe(2);
      expect(JSON.stringify(route?.spec)).toContain('/b');
      expect(JSON.stringify(route?.status)).toContain('"observedGeneration":2');

      rmSync(join(dir, 'route-3.yaml'));
      await until(() => plane.store.get('HTTPRoute', 'apps', 'route-3') === undefined, 'the deletion');
      await runUntilQuiescent(plane.system, clock);
      const gateway = plane.store.get('Gateway', 'apps', 'gw-3');
      expect(gateway?.status?.listeners?.[0]?.attachedRoutes).toBe(0);
      expect(plane.store.get('Gateway', 'apps', 'gw-2')?.status?.listeners?.[0]?.attachedRoutes).toBe(1);
    } finally {
      plane.close();
      await plane.system.stop(2_000);
    }
  });

  // Issue 16: a policy change is resolved through the validator's reverse index — only the Gateways its targets
  // are on are resolved again, and no route is evaluated again (route evaluations do not read policies).
  it('recomputes only the Gateway a changed policy applies to, evaluating no route', async () => {
    const policy = (name: string, kind: string, target: string, origin: string) =>
      `apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: SecurityPolicy\nmetadata: {name: ${name}, namespace: apps}\nspec:\n  targetRefs: [{group: gateway.networking.k8s.io, kind: ${kind}, name: ${target}}]\n  cors: {allowOrigins: ["${origin}"]}`;
    const { dir, clock, plane, resolution } = await watchedGateways('switchyard-policy-change-', {
      'gateway-policy.yaml': policy('on-gateway', 'Gateway', 'gw-1', 'https://a.example'),
      'route-policy.yaml': policy('on-route', 'HTTPRoute', 'route-3', 'https://a.example'),
    });
    try {
      for (const [file, name, kind, target, gateway] of [
        ['gateway-policy.yaml', 'on-gateway', 'Gateway', 'gw-1', 'gw-1'],
        ['route-policy.yaml', 'on-route', 'HTTPRoute', 'route-3', 'gw-3'],
      ] as const) {
        const before = { ...resolution.counters };
        writeFileSync(join(dir, file), policy(name, kind, target, 'https://b.example'));
        await until(
          () => JSON.stringify(plane.store.get('SecurityPolicy', 'apps', name)?.spec).includes('b.example'),
          `the change of ${name}`,
        );
        await runUntilQuiescent(plane.system, clock);
        expect(resolution.counters.gatewaysResolved - before.gatewaysResolved, name).toBe(1);
        expect(resolution.counters.routesEvaluated - before.routesEvaluated, name).toBe(0);
        const status = plane.store.get('SecurityPolicy', 'apps', name)?.status as
          | { ancestors?: { ancestorRef: { name: string } }[] }
          | undefined;
        expect(status?.ancestors?.map((a) => a.ancestorRef.name)).toEqual([gateway]);
      }
    } finally {
      plane.close();
      await plane.system.stop(2_000);
    }
  });

  it('takes back what it wrote on a Gateway that moves to another controller’s class', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-withdraw-'));
    const gateway = (className: string) =>
      `apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: apps}\nspec:\n  gatewayClassName: ${className}\n  listeners: [{name: http, protocol: HTTP, port: 80}]`;
    writeFileSync(
      join(dir, 'classes.yaml'),
      [
        'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: ours}\nspec: {controllerName: switchyard.dev/gateway-controller}',
        'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: theirs}\nspec: {controllerName: example.com/another-controller}',
      ].join('\n---\n'),
    );
    writeFileSync(join(dir, 'gateway.yaml'), gateway('ours'));
    const clock = new VirtualClock();
    const plane = createControlPlane({
      clock,
      files: { paths: [dir], watch: true },
      logger: createLogger({ level: 'silent' }),
    });
    try {
      plane.system.start();
      await runUntilQuiescent(plane.system, clock);
      const written = plane.store.get('Gateway', 'apps', 'edge')?.status;
      expect(written?.conditions?.map((c) => c.type)).toEqual(
        expect.arrayContaining(['Accepted', 'Programmed']),
      );
      expect(written?.listeners).toHaveLength(1);

      writeFileSync(join(dir, 'gateway.yaml'), gateway('theirs'));
      await until(
        () => plane.store.get('Gateway', 'apps', 'edge')?.spec?.gatewayClassName === 'theirs',
        'the class change',
      );
      await runUntilQuiescent(plane.system, clock);
      // Nothing of ours is left, and no one else writes here: no status, as a fresh start on the files has it.
      expect(plane.store.get('Gateway', 'apps', 'edge')?.status).toBeUndefined();
    } finally {
      plane.close();
      await plane.system.stop(2_000);
    }
  });
});

describe('standalone mode: files that change under it', () => {
  const route = (path: string) =>
    `apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: web, namespace: apps}\nspec:\n  rules: [{matches: [{path: {type: PathPrefix, value: ${path}}}]}]\n`;
  const pathOf = (plane: ReturnType<typeof createControlPlane>) =>
    (plane.store.get('HTTPRoute', 'apps', 'web')?.spec?.rules?.[0]?.matches?.[0]?.path as { value?: string })
      ?.value;

  async function watched(files: Record<string, string>) {
    const { dir, clock, plane } = await startWatched('switchyard-files-', files);
    return {
      dir,
      plane,
      settle: async (condition: () => boolean, what: string) => {
        await until(condition, what);
        await runUntilQuiescent(plane.system, clock);
      },
      close: async () => {
        plane.close();
        await plane.system.stop(2_000);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  it('keeps an object defined in two files when one of them is deleted, whichever it is', async () => {
    for (const deleted of ['a.yaml', 'b.yaml']) {
      const t = await watched({ 'a.yaml': route('/from-a'), 'b.yaml': route('/from-b') });
      try {
        expect(pathOf(t.plane)).toBe('/from-b');
        const warning = t.plane.problems.find((p) => p.category === 'duplicate');
        expect(warning?.message).toContain(`${join(t.dir, 'a.yaml')}, ${join(t.dir, 'b.yaml')}`);
        rmSync(join(t.dir, deleted));
        const left = deleted === 'a.yaml' ? '/from-b' : '/from-a';
        await t.settle(() => pathOf(t.plane) === left && t.plane.problems.length === 0, `${deleted} deleted`);
        expect(t.plane.problems).toEqual([]);
      } finally {
        await t.close();
      }
    }
  });

  it('forgets the problems of a file once it is fixed or removed', async () => {
    const t = await watched({
      'broken.yaml': 'kind: [unclosed\n',
      'ignored.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: apps}\n',
      'rejected.yaml':
        'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata: {name: bad, namespace: apps}\nspec: {hostnames: 7}\n',
    });
    try {
      expect(t.plane.problems.map((p) => p.origin.replace(`${t.dir}/`, ''))).toEqual([
        'broken.yaml:2',
        'ignored.yaml:1',
        'rejected.yaml:1',
      ]);
      writeFileSync(join(t.dir, 'broken.yaml'), route('/fixed'));
      rmSync(join(t.dir, 'ignored.yaml'));
      writeFileSync(join(t.dir, 'rejected.yaml'), route('/fixed').replace('name: web', 'name: bad'));
      await t.settle(
        () => pathOf(t.plane) === '/fixed' && t.plane.store.get('HTTPRoute', 'apps', 'bad') !== undefined,
        'the fixes',
      );
      expect(t.plane.problems).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

// The shrunk counterexamples of test/fuzz/files-convergence.test.ts: after the edits, the plane holds what a
// fresh start on the files holds. The changes are announced here as the watcher would (no watcher, no waiting).
describe('standalone mode: after edits, what a fresh start on the same files holds', () => {
  const CLASS = (controller: string) =>
    `apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: switchyard}\nspec: {controllerName: ${controller}}\n`;
  const OURS = CLASS('switchyard.dev/gateway-controller');
  const GATEWAY =
    'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: apps}\nspec:\n  gatewayClassName: switchyard\n  listeners: [{name: http, protocol: HTTP, port: 8080}]\n';

  async function edited(before: Record<string, string>, after: Record<string, string | undefined>) {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-edits-'));
    for (const [name, text] of Object.entries(before)) writeFileSync(join(dir, name), text);
    const running = await startAnnounced(dir);
    try {
      for (const [name, text] of Object.entries(after)) {
        if (text === undefined) rmSync(join(dir, name));
        else writeFileSync(join(dir, name), text);
      }
      await running.announce(Object.keys(after).map((name) => join(dir, name)));
      const state = planeState(running.plane);
      expect(state).toEqual(await freshState(dir));
      return state;
    } finally {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  // The files source keyed objects by the group their apiVersion names, the store by kind: the refused definition
  // without an apiVersion was another object to the source, and withdrawing it deleted the fixed one.
  it('serves a GatewayClass refused in one file and defined in another once both files are fixed at once', async () => {
    const state = await edited(
      {
        'extra.yaml': `${OURS}---\n${GATEWAY}`,
        'gateway.yaml': `${OURS.replace(/^apiVersion.*\n/, '')}---\n${GATEWAY}`,
      },
      { 'extra.yaml': undefined, 'gateway.yaml': `${OURS}---\n${GATEWAY}` },
    );
    expect(JSON.stringify(state.objects['gateway.networking.k8s.io/GatewayClass//switchyard'])).toContain(
      '"reason":"Accepted"',
    );
    expect(Object.keys(state.irs)).toEqual(['gateway.networking.k8s.io/Gateway/apps/edge']);
  });

  // The withdrawal left `{conditions: []}` where a fresh start leaves no status at all.
  it('leaves no status on a Gateway whose GatewayClass is deleted', async () => {
    const state = await edited({ 'class.yaml': OURS, 'gateway.yaml': GATEWAY }, { 'class.yaml': undefined });
    expect(state.objects['gateway.networking.k8s.io/Gateway/apps/edge']).not.toHaveProperty('status');
  });

  // Our status stayed on a GatewayClass moved to another controller (files can say so; an API server keeps
  // controllerName immutable).
  it('takes back its status from a GatewayClass that moves to another controller', async () => {
    const state = await edited({ 'class.yaml': OURS }, { 'class.yaml': CLASS('example.com/another') });
    expect(state.objects['gateway.networking.k8s.io/GatewayClass//switchyard']).not.toHaveProperty('status');
  });
});
