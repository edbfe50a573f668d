import { describe, expect, it } from 'vitest';
import type { AnyResource } from '../resources/kinds.ts';
import { formatResourceKey } from '../resources/resource-key.ts';
import { CONTROLLER, NOW, storeOf } from '../testdata/fixtures.ts';
import { aiGatewayDependencies } from './dependencies.ts';
import { evaluateAIGateway } from './evaluate-ai-gateway.ts';

const POLICY = {
  apiVersion: 'aigateway.envoyproxy.io/v1beta1',
  kind: 'BackendSecurityPolicy',
  metadata: { name: 'openai-key', namespace: 'ai', generation: 1 },
  spec: { type: 'APIKey', apiKey: { secretRef: { name: 'shared-openai', namespace: 'keys' } } },
} as unknown as AnyResource;
const SECRET = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'shared-openai', namespace: 'keys' },
  stringData: { apiKey: 'sk-from-keys' },
} as unknown as AnyResource;

function grant(fromKind: string, toName?: string): AnyResource {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    kind: 'ReferenceGrant',
    metadata: { name: 'policies-read-keys', namespace: 'keys' },
    spec: {
      from: [{ group: 'aigateway.envoyproxy.io', kind: fromKind, namespace: 'ai' }],
      to: [{ group: '', kind: 'Secret', ...(toName === undefined ? {} : { name: toName }) }],
    },
  } as unknown as AnyResource;
}

function evaluate(...objects: AnyResource[]) {
  const store = storeOf('ai-gateway.yaml');
  for (const object of [POLICY, SECRET, ...objects]) store.upsert(object);
  const result = evaluateAIGateway(store, { controllerName: CONTROLLER, now: NOW });
  return {
    condition: result.statuses.find(
      (s) => s.key.kind === 'BackendSecurityPolicy' && s.key.name === 'openai-key',
    )?.status.conditions?.[0],
    auth: result.config.backends.find((b) => b.name === 'ai/chat/rule/0/ref/0')?.auth,
  };
}

describe("a policy's Secret in another namespace", () => {
  it('is read when a ReferenceGrant there allows BackendSecurityPolicies of the namespace; refused by name otherwise', () => {
    const refused = evaluate();
    expect(refused.condition).toMatchObject({
      type: 'NotAccepted',
      reason: 'RefNotPermitted',
      message:
        'spec.apiKey.secretRef: Secret keys/shared-openai is in another namespace and no ReferenceGrant there allows BackendSecurityPolicies of ai to reference it',
    });
    expect(refused.auth).toEqual({
      unavailable: `BackendSecurityPolicy openai-key: ${refused.condition?.message}`,
    });
    // A grant for another kind, or for another Secret, does not allow it.
    expect(evaluate(grant('AIServiceBackend')).condition?.reason).toBe('RefNotPermitted');
    expect(evaluate(grant('BackendSecurityPolicy', 'other')).condition?.reason).toBe('RefNotPermitted');
    for (const allowing of [
      grant('BackendSecurityPolicy'),
      grant('BackendSecurityPolicy', 'shared-openai'),
    ]) {
      const allowed = evaluate(allowing);
      expect(allowed.condition?.type).toBe('Accepted');
      expect(allowed.auth).toEqual({ apiKey: { key: 'sk-from-keys' } });
    }
  });

  it('the policy depends on the Secret and on the ReferenceGrants of its namespace', () => {
    expect(aiGatewayDependencies(POLICY).map(formatResourceKey)).toEqual([
      formatResourceKey({ group: '', kind: 'Secret', namespace: 'keys', name: 'shared-openai' }),
      formatResourceKey({
        group: 'gateway.networking.k8s.io',
        kind: 'ReferenceGrant',
        namespace: 'keys',
        name: '*',
      }),
    ]);
  });
});
