import { describe, expect, it } from 'vitest';
import type { BackendTrafficPolicy } from '../resources/envoy-gateway-policies.ts';
import { rateLimitsOf } from './traffic-rate-limits.ts';

function policy(selector: Record<string, unknown>): BackendTrafficPolicy {
  return {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'BackendTrafficPolicy',
    metadata: { name: 'p', namespace: 'apps' },
    spec: {
      rateLimit: {
        local: { rules: [{ clientSelectors: [selector], limit: { requests: 10, unit: 'Minute' } }] },
      },
    },
  } as unknown as BackendTrafficPolicy;
}

describe('rate limit client selectors', () => {
  it("checks header and path regexes with Envoy's RE2, not JavaScript's RegExp", () => {
    const at = 'spec.rateLimit.local.rules[0].clientSelectors[0]';
    for (const [selector, message] of [
      // JavaScript's RegExp takes both; RE2 refuses them, and Envoy would refuse the route configuration.
      [
        { headers: [{ name: 'x-user', type: 'RegularExpression', value: '(?<=a)b' }] },
        `${at}.headers[0].value: invalid regular expression: invalid perl operator: (?<`,
      ],
      [
        { path: { type: 'RegularExpression', value: '/a{1001}' } },
        `${at}.path.value: invalid regular expression: invalid repetition size: {1001}`,
      ],
    ] as const) {
      expect(rateLimitsOf(policy(selector))).toEqual({ ok: false, message: message });
    }
    // RE2's named group, which JavaScript's RegExp refuses.
    const named = rateLimitsOf(
      policy({ headers: [{ name: 'x-user', type: 'RegularExpression', value: '(?P<team>[a-z]+)-.*' }] }),
    );
    expect(named.ok).toBe(true);
  });
});
