// The seeds' Envoy Gateway policies (SecurityPolicy, ClientTrafficPolicy, EnvoyExtensionPolicy,
// BackendTrafficPolicy), each applied with the Gateway and routes it names: every one is either accepted — and
// then its IR is on the targeted routes or listeners — or refused with a condition naming the field; a refused
// SecurityPolicy, EnvoyExtensionPolicy or BackendTrafficPolicy denies (500) the routes it targets. The seeds'
// invented BackendTrafficPolicy fields (tokenBudget, modelCosts, userIdentification) are refused with the
// supported equivalent. None is silently ignored.
import { describe, expect, it } from 'vitest';
import { evaluateAll } from '../../model/evaluation/full-evaluation.ts';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import type { AnyResource } from '../../model/resources/kinds.ts';
import { ResourceStore } from '../../model/shared/resource-view.ts';
import { type SeedObject, seedObjects } from './seed-manifests.ts';

const KINDS = ['SecurityPolicy', 'ClientTrafficPolicy', 'EnvoyExtensionPolicy', 'BackendTrafficPolicy'];
const CONTROLLER = 'switchyard.dev/gateway-controller';
const NAMESPACE = 'seeds';

const policies: SeedObject[] = ['envoy-gateway-ai-platform.md', 'envoy-gateway-traffic-engineering.md']
  .flatMap(seedObjects)
  .filter(
    ({ object }) =>
      object.apiVersion === 'gateway.envoyproxy.io/v1alpha1' && KINDS.includes(String(object.kind)),
  );

interface TargetRef {
  group?: string;
  kind?: string;
  name?: string;
}

/** The policy and the Gateway, routes (and Service) its targets name, in one namespace. */
function worldFor(policy: Record<string, unknown>): AnyResource[] {
  const spec = (policy.spec ?? {}) as { targetRefs?: TargetRef[]; targetRef?: TargetRef };
  const targets = [...(spec.targetRefs ?? []), ...(spec.targetRef === undefined ? [] : [spec.targetRef])];
  const gatewayName = targets.find((t) => t.kind === 'Gateway')?.name ?? 'seed-gateway';
  const objects: unknown[] = [
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GatewayClass',
      metadata: { name: 'switchyard' },
      spec: { controllerName: CONTROLLER },
    },
    {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name: gatewayName, namespace: NAMESPACE },
      spec: { gatewayClassName: 'switchyard', listeners: [{ name: 'http', protocol: 'HTTP', port: 80 }] },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'app', namespace: NAMESPACE },
      spec: { ports: [{ port: 8080 }] },
    },
  ];
  for (const target of targets) {
    if (target.kind !== 'HTTPRoute' && target.kind !== 'GRPCRoute') continue;
    objects.push({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: target.kind,
      metadata: { name: target.name, namespace: NAMESPACE },
      spec: { parentRefs: [{ name: gatewayName }], rules: [{ backendRefs: [{ name: 'app', port: 8080 }] }] },
    });
  }
  const metadata = (policy.metadata ?? {}) as Record<string, unknown>;
  objects.push({ ...policy, metadata: { ...metadata, namespace: NAMESPACE } });
  return objects as AnyResource[];
}

describe("the seeds' Envoy Gateway policies", () => {
  it('finds the policies of the seed documents', () => {
    expect(policies.length).toBeGreaterThanOrEqual(5);
  });

  for (const { file, object } of policies) {
    const name = String((object.metadata as { name?: string } | undefined)?.name);
    it(`${file}: ${String(object.kind)} ${name} is accepted and applied, or refused naming a field`, () => {
      const store = new ResourceStore();
      for (const item of worldFor(object)) store.upsert(item);
      const result = evaluateAll(store, { controllerName: CONTROLLER, now: '2026-01-01T00:00:00Z' });
      const status = result.statuses.get(
        `gateway.envoyproxy.io/${String(object.kind)}/${NAMESPACE}/${name}`,
      ) as
        | { ancestors: { conditions: { type: string; status: string; reason: string; message: string }[] }[] }
        | undefined;
      const accepted = status?.ancestors[0]?.conditions.find((c) => c.type === 'Accepted');
      expect(accepted, 'a status with an Accepted condition').toBeDefined();
      const ir = [...result.irs.values()][0] as GatewayIR;
      const rules = ir.ports.flatMap((p) => p.listeners.flatMap((l) => l.routes.flatMap((r) => r.rules)));
      const listeners = ir.ports.flatMap((p) => p.listeners);
      if (accepted?.status === 'True') {
        if (object.kind === 'ClientTrafficPolicy')
          expect(listeners.every((l) => l.clientTraffic !== undefined)).toBe(true);
        else if (object.kind === 'BackendTrafficPolicy')
          expect(rules.every((r) => r.policies?.traffic !== undefined)).toBe(true);
        else
          expect(
            rules.every((r) => r.policies?.security !== undefined || r.policies?.extension !== undefined),
          ).toBe(true);
      } else {
        // Refused: the message names the field (or the target), and security/extension policies deny their routes.
        expect(accepted?.message).toMatch(/spec\.[A-Za-z]/);
        if (/spec\.(?:rateLimit\.)?(tokenBudget|modelCosts|userIdentification)/.test(accepted?.message ?? ''))
          expect(accepted?.message).toMatch(/Envoy Gateway has no such field; .*docs\/policies\.md/);
        if (object.kind !== 'ClientTrafficPolicy' && accepted?.reason === 'Invalid')
          expect(rules.every((r) => r.policies?.denied?.status === 500)).toBe(true);
      }
    });
  }
});
