import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GatewayResolution } from '../actors/reference-validator/resolution.ts';
import { createLogger } from '../runtime/logger.ts';
import { runUntilQuiescent } from '../runtime/quiescence.ts';
import { VirtualClock } from '../runtime/VirtualClock.ts';
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

describe('control plane in standalone mode', () => {
  it('recomputes only the Gateway a changed route is attached to, and deletes what leaves the files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'switchyard-watch-'));
    writeFileSync(join(dir, 'gateways.yaml'), gatewayFile());
    for (let i = 0; i < GATEWAYS; i++) writeFileSync(join(dir, `route-${i}.yaml`), routeFile(i, '/a'));
    const clock = new VirtualClock();
    const plane = createControlPlane({
      clock,
      files: { paths: [dir], watch: true },
      logger: createLogger({ level: 'silent' }),
    });
    try {
      plane.system.start();
      await runUntilQuiescent(plane.system, clock);
      const resolution = (
        plane.system.actor(REFERENCE_VALIDATOR)!.context as { resolution: GatewayResolution }
      ).resolution;
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
      expect(plane.store.get('Gateway', 'apps', 'edge')?.status).toEqual({ conditions: [] });
    } finally {
      plane.close();
      await plane.system.stop(2_000);
    }
  });
});
