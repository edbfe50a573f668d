import { describe, expect, it } from 'vitest';
import { buildGatewayIR } from '../evaluation/build-gateway-ir.ts';
import type { Gateway, HTTPRoute } from '../resources/gateway-api.ts';
import { parseGatewayDuration } from '../shared/durations.ts';
import { CONTROLLER, NOW, storeOf } from '../testdata/fixtures.ts';
import { evaluateRoute } from './route-status.ts';
import { ruleTiming, ruleTimingProblem } from './rule-timing.ts';

describe('Gateway API durations', () => {
  it('reads one to four parts of h, m, s and ms', () => {
    expect(parseGatewayDuration('1h2m3s')).toBe(3_723_000);
    expect(parseGatewayDuration('500ms')).toBe(500);
    expect(parseGatewayDuration('0s')).toBe(0);
    expect(parseGatewayDuration('1h1m1s1ms')).toBe(3_661_001);
  });

  it('refuses what GEP-2257 does not allow', () => {
    for (const text of ['', '1', '1.5s', '-1s', '1d', '123456s', '1h1m1s1ms1ms', ' 1s', 10]) {
      expect(parseGatewayDuration(text), String(text)).toBeUndefined();
    }
  });
});

describe('rule timeouts and retry', () => {
  it('normalises them to milliseconds, codes sorted and unique', () => {
    expect(
      ruleTiming({
        timeouts: { request: '10s', backendRequest: '2s' },
        retry: { codes: [503, 500, 503], attempts: 3, backoff: '100ms' },
      }),
    ).toEqual({
      timeouts: { requestMs: 10_000, backendRequestMs: 2_000 },
      retry: { codes: [500, 503], attempts: 3, backoffMs: 100 },
    });
    expect(ruleTiming({})).toEqual({});
    expect(ruleTiming({ retry: {} })).toEqual({ retry: { codes: [] } });
  });

  it('lets a backend timeout be anything when the request timeout is disabled', () => {
    expect(ruleTimingProblem({ timeouts: { request: '0s', backendRequest: '1m' } }, 'rule')).toBeUndefined();
    expect(ruleTimingProblem({ timeouts: { request: '10s', backendRequest: '0s' } }, 'rule')).toBeUndefined();
  });

  it('names the field and the fix for bad values', () => {
    const cases: [unknown, string][] = [
      [
        { timeouts: { request: '10 seconds' } },
        'r.timeouts.request: "10 seconds" is not a Gateway API duration',
      ],
      [
        { timeouts: { request: '1s', backendRequest: '2s' } },
        'r.timeouts.backendRequest: 2s must not be longer',
      ],
      [{ timeouts: 'fast' }, 'r.timeouts: must be an object'],
      [{ retry: { codes: [200] } }, 'r.retry.codes[0]: 200 is not a status code from 400 to 599'],
      [{ retry: { codes: 503 } }, 'r.retry.codes: must be a list'],
      [{ retry: { attempts: -1 } }, 'r.retry.attempts: -1 must be a whole number'],
      [{ retry: { backoff: 'soon' } }, 'r.retry.backoff: "soon" is not a Gateway API duration'],
    ];
    for (const [rule, message] of cases) {
      expect(ruleTimingProblem(rule as never, 'r')).toContain(message);
      expect(ruleTiming(rule as never)).toEqual({});
    }
  });
});

describe('timeouts and retry through evaluation and the IR', () => {
  const store = storeOf('base.yaml', 'http-routes.yaml');
  const route = (rules: unknown[]): HTTPRoute => ({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'timed', namespace: 'infra', generation: 4 },
    spec: { parentRefs: [{ name: 'web', sectionName: 'http' }], rules: rules as never },
  });

  it('carries valid timing into the rule IR and drops a rule with a bad one, saying why', () => {
    const evaluation = evaluateRoute(
      route([
        { timeouts: { request: '5s' }, retry: { codes: [502], attempts: 2 } },
        { timeouts: { request: 'soon' } },
      ]),
      store,
      { controllerName: CONTROLLER, now: NOW },
    );
    const conditions = evaluation.parents[0]?.status.conditions ?? [];
    expect(conditions.find((c) => c.type === 'PartiallyInvalid')).toMatchObject({
      status: 'True',
      reason: 'UnsupportedValue',
    });
    expect(conditions.find((c) => c.type === 'PartiallyInvalid')?.message).toContain(
      'spec.rules[1].timeouts.request: "soon" is not a Gateway API duration',
    );
    const ir = buildGatewayIR(store.get('Gateway', 'infra', 'web') as Gateway, store, [evaluation], {
      controllerName: CONTROLLER,
    });
    const rules = ir?.ports[0]?.listeners[0]?.routes.find((r) => r.route.name === 'timed')?.rules;
    expect(rules?.map((r) => [r.index, r.timeouts, r.retry])).toEqual([
      [0, { requestMs: 5_000 }, { codes: [502], attempts: 2 }],
    ]);
  });
});
