// The seeds' EnvoyProxy and Backend objects: each applied with a GatewayClass (the EnvoyProxy as its
// parameters) or a route that sends to it (the Backend) is either accepted — and then in the IR — or refused
// with a condition naming the field. None is silently ignored.
import { describe, expect, it } from 'vitest';
import { evaluateAll } from '../../model/evaluation/full-evaluation.ts';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import type { AnyResource } from '../../model/resources/kinds.ts';
import { ResourceStore } from '../../model/shared/resource-view.ts';
import { type SeedObject, seedObjects } from './seed-manifests.ts';

const CONTROLLER = 'switchyard.dev/gateway-controller';
const NAMESPACE = 'seeds';

const seeds: SeedObject[] = ['envoy-gateway-ai-platform.md', 'envoy-gateway-traffic-engineering.md']
  .flatMap(seedObjects)
  .filter(
    ({ object }) =>
      object.apiVersion === 'gateway.envoyproxy.io/v1alpha1' &&
      (object.kind === 'EnvoyProxy' || object.kind === 'Backend'),
  );

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}

/** The object in our namespace, with a GatewayClass naming it (EnvoyProxy) or a route sending to it (Backend). */
function worldFor(object: Record<string, unknown>): AnyResource[] {
  const name = String((object.metadata as { name?: string }).name);
  const own = { ...object, metadata: { ...(object.metadata as object), namespace: NAMESPACE } };
  const objects: unknown[] = [
    own,
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'switchyard' },
      spec: {
        controllerName: CONTROLLER,
        ...(object.kind === 'EnvoyProxy'
          ? {
              parametersRef: {
                group: 'gateway.envoyproxy.io',
                kind: 'EnvoyProxy',
                name,
                namespace: NAMESPACE,
              },
            }
          : {}),
      },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: 'seed-gateway', namespace: NAMESPACE },
      spec: { gatewayClassName: 'switchyard', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
    },
  ];
  if (object.kind === 'Backend') {
    objects.push({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name: 'to-backend', namespace: NAMESPACE },
      spec: {
        parentRefs: [{ name: 'seed-gateway' }],
        rules: [{ backendRefs: [{ group: 'gateway.envoyproxy.io', kind: 'Backend', name }] }],
      },
    });
  }
  return objects as AnyResource[];
}

describe("the seeds' EnvoyProxy and Backend", () => {
  it('finds them in the seed documents', () => {
    expect(seeds.map(({ object }) => object.kind).sort()).toEqual(['Backend', 'EnvoyProxy']);
  });

  for (const { file, object } of seeds) {
    const name = String((object.metadata as { name?: string }).name);
    it(`${file}: ${String(object.kind)} ${name} is accepted and applied, or refused naming a field`, () => {
      const store = new ResourceStore();
      for (const item of worldFor(object)) store.upsert(item);
      const result = evaluateAll(store, { controllerName: CONTROLLER, now: '2026-01-01T00:00:00Z' });
      const key = `gateway.envoyproxy.io/${String(object.kind)}/${NAMESPACE}/${name}`;
      const ir = [...result.irs.values()][0] as GatewayIR | undefined;
      if (object.kind === 'EnvoyProxy') {
        const status = result.statuses.get(key) as { ancestors: { conditions: Condition[] }[] };
        const accepted = status.ancestors[0]?.conditions.find((c) => c.type === 'Accepted');
        expect(accepted, 'an ancestor with an Accepted condition').toBeDefined();
        if (accepted?.status === 'True') {
          expect(ir?.envoyProxy?.sources.map((s) => s.name)).toEqual([name]);
        } else {
          expect(accepted?.reason).toBe('InvalidParameters');
          expect(accepted?.message).toMatch(/spec\.[A-Za-z]/);
          // Nothing is half-applied: the class is not accepted, so its Gateway gets no data plane.
          expect(ir).toBeUndefined();
        }
      } else {
        const status = result.statuses.get(key) as { conditions: Condition[] };
        const accepted = status.conditions.find((c) => c.type === 'Accepted');
        const routeStatus = result.statuses.get(
          `gateway.networking.k8s.io/HTTPRoute/${NAMESPACE}/to-backend`,
        ) as {
          parents: { conditions: Condition[] }[];
        };
        const resolved = routeStatus.parents[0]?.conditions.find((c) => c.type === 'ResolvedRefs');
        const backend = ir?.ports[0]?.listeners[0]?.routes[0]?.rules[0]?.backends[0];
        if (accepted?.status === 'True') {
          expect(resolved?.status).toBe('True');
          expect(backend?.kind).toBe('Backend');
        } else {
          expect(accepted?.reason).toBe('Invalid');
          expect(accepted?.message).toMatch(/spec\.[A-Za-z]/);
          // The route says why, and the backend's share answers 500 (an Invalid backend in the IR).
          expect(resolved?.status).toBe('False');
          expect(backend?.kind).toBe('Invalid');
        }
      }
    });
  }
});
