// IR fragments many policies write alike are one object: two BackendTrafficPolicies with the same retries,
// timeout and circuit breaker share those (their own keys and rate limit owners stay their own); different
// settings stay different; the table is bounded.
import { describe, expect, it } from 'vitest';
import type { BackendTrafficPolicy } from '../resources/backend-traffic-policy.ts';
import { ResourceStore } from '../shared/resource-view.ts';
import { evaluateBackendTrafficPolicy } from './backend-traffic-policy.ts';
import { FragmentTable } from './shared-fragments.ts';

const policy = (name: string, retries: number) =>
  ({
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'BackendTrafficPolicy',
    metadata: { name, namespace: 'apps' },
    spec: {
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name }],
      retry: { numRetries: retries, retryOn: { triggers: ['connect-failure'], httpStatusCodes: [503] } },
      timeout: { http: { requestTimeout: '5s' } },
      circuitBreaker: { maxConnections: 512 },
      rateLimit: { local: { rules: [{ limit: { requests: 10, unit: 'Second' } }] } },
    },
  }) as BackendTrafficPolicy;

const irOf = (p: BackendTrafficPolicy) => {
  const verdict = evaluateBackendTrafficPolicy(p, new ResourceStore());
  if (!verdict.ok) throw new Error(verdict.message);
  return verdict.ir;
};

describe('shared IR fragments', () => {
  it('gives policies with the same settings one retry, timeout and cluster object, and each its own key', () => {
    const [a, b, other] = [irOf(policy('a', 2)), irOf(policy('b', 2)), irOf(policy('c', 3))];
    expect(b.retry).toBe(a.retry);
    expect(b.timeout).toBe(a.timeout);
    expect(b.cluster).toBe(a.cluster);
    expect(other.retry).not.toBe(a.retry);
    expect(other.retry).toMatchObject({ numRetries: 3, retryOn: ['connect-failure'] });
    expect([a.policy.name, b.policy.name]).toEqual(['a', 'b']);
    // One key per policy, for its IR and its rate limits' owner.
    expect(a.rateLimit?.local[0]?.owner).toBe(a.policy);
    expect(b.rateLimit?.local[0]?.owner).toMatchObject({ name: 'b' });
  });

  it('holds a bounded number of fragments', () => {
    const table = new FragmentTable();
    const first = table.share({ n: 0 });
    expect(table.share({ n: 0 })).toBe(first);
    for (let n = 1; n <= 5_000; n++) table.share({ n });
    expect(table.size).toBeLessThanOrEqual(1_024);
    expect(table.share({ n: 0 })).toEqual({ n: 0 });
  });
});
