// targetSelectors (Envoy Gateway's, on every policy kind): labels select the targets in the policy's namespace,
// or — with namespaces.from All or Selector — in others, where a ReferenceGrant to the policy's kind allows it.
// A selector that cannot be read, or selects a kind the policy cannot target, refuses the policy by field name.
import { describe, expect, it } from 'vitest';
import { evaluateAll } from '../evaluation/full-evaluation.ts';
import type { GatewayIR, RuleIR } from '../ir/gateway-ir.ts';
import type { EnvoyGatewayPolicy, PolicyAncestorStatusShape } from '../resources/envoy-gateway-policies.ts';
import { findCondition } from '../shared/conditions.ts';
import { CONTROLLER, NOW, storeOf } from '../testdata/fixtures.ts';
import { evaluatePolicy } from './attachment.ts';
import { policyKindRules } from './index.ts';
import { targetSelectorProblems } from './policy-targets.ts';

const store = storeOf('base.yaml', 'target-selectors.yaml');
const result = evaluateAll(store, { controllerName: CONTROLLER, now: NOW });
const ir = result.irs.get('gateway.networking.k8s.io/Gateway/infra/shared') as GatewayIR;

function ruleOf(namespace: string, route: string): RuleIR {
  const found = ir.ports
    .flatMap((p) => p.listeners.flatMap((l) => l.routes))
    .find((r) => r.route.name === route && r.route.namespace === namespace);
  if (found?.rules[0] === undefined) throw new Error(`route ${namespace}/${route} not in the IR`);
  return found.rules[0];
}

function ancestors(kind: string, name: string): PolicyAncestorStatusShape[] {
  const status = result.statuses.get(`gateway.envoyproxy.io/${kind}/infra/${name}`) as
    | { ancestors: PolicyAncestorStatusShape[] }
    | undefined;
  return status?.ancestors ?? [];
}

function verdictOf(kind: string, name: string) {
  const policy = store.get(kind as 'SecurityPolicy', 'infra', name) as EnvoyGatewayPolicy;
  const rules = policyKindRules(policy.kind);
  if (rules === undefined) throw new Error(`no rules for ${kind}`);
  return evaluatePolicy(policy, rules, store);
}

describe('targetSelectors', () => {
  it("select the labelled routes of the policy's namespace, and only those", () => {
    expect(ruleOf('infra', 'payments').policies?.security?.policy.name).toBe('by-label');
    expect(ruleOf('infra', 'docs').policies?.security).toBeUndefined();
    const [entry] = ancestors('SecurityPolicy', 'by-label');
    expect(entry?.ancestorRef).toMatchObject({ kind: 'Gateway', namespace: 'infra', name: 'shared' });
    expect(findCondition(entry?.conditions as never, 'Accepted')).toMatchObject({ status: 'True' });
  });

  it('namespaces.from Selector and All reach other namespaces, where a ReferenceGrant allows the policy kind', () => {
    // apps (team: apps) grants infra's BackendTrafficPolicies its HTTPRoutes.
    expect(ruleOf('apps', 'shop').policies?.traffic?.policy.name).toBe('team-namespaces');
    expect(ruleOf('apps', 'shop').policies?.traffic?.timeout?.requestMs).toBe(3000);
    expect(ruleOf('apps', 'cart').policies?.traffic?.policy.name).toBe('everywhere');
    expect(ruleOf('apps', 'cart').policies?.traffic?.retry?.numRetries).toBe(4);
    // backends grants nothing: its labelled route is not taken, by either.
    expect(ruleOf('backends', 'ungranted').policies?.traffic).toBeUndefined();
    for (const name of ['team-namespaces', 'everywhere']) {
      const [entry] = ancestors('BackendTrafficPolicy', name);
      expect(entry?.ancestorRef).toMatchObject({ kind: 'Gateway', name: 'shared' });
      expect(findCondition(entry?.conditions as never, 'Accepted')).toMatchObject({ status: 'True' });
    }
  });

  it('a selector the policy cannot use refuses it, naming the field; its other targets answer 500', () => {
    expect(verdictOf('SecurityPolicy', 'wrong-kind')).toMatchObject({
      ok: false,
      reason: 'Invalid',
      message: expect.stringContaining(
        'spec.targetSelectors[0].kind: a SecurityPolicy cannot select Service; use Gateway',
      ),
    });
    expect(ruleOf('infra', 'docs').policies?.denied).toMatchObject({ status: 500 });
    const [entry] = ancestors('SecurityPolicy', 'wrong-kind');
    expect(findCondition(entry?.conditions as never, 'Accepted')?.message).toContain(
      'spec.targetSelectors[0].kind',
    );
    expect(verdictOf('SecurityPolicy', 'wrong-group')).toMatchObject({
      ok: false,
      message: expect.stringContaining(
        'spec.targetSelectors[0].group: HTTPRoute is in gateway.networking.k8s.io, not example.com',
      ),
    });
    // Another group's HTTPRoute is not Gateway API's: the labelled route keeps only by-label.
    expect(ancestors('SecurityPolicy', 'wrong-group')).toEqual([]);
    expect(verdictOf('ClientTrafficPolicy', 'wrong-operator')).toMatchObject({
      ok: false,
      message: expect.stringContaining('spec.targetSelectors[0].matchExpressions[0].operator'),
    });
    // Every kind a policy may target may be selected (BackendTrafficPolicy: TLS and UDP routes too).
    const btp = store.get('BackendTrafficPolicy', 'infra', 'everywhere') as EnvoyGatewayPolicy;
    for (const kind of ['TLSRoute', 'UDPRoute'])
      expect(
        targetSelectorProblems({ ...btp, spec: { targetSelectors: [{ kind }] } }, ['TLSRoute', 'UDPRoute']),
      ).toEqual([]);
    expect(verdictOf('ClientTrafficPolicy', 'no-namespace-selector')).toMatchObject({
      ok: false,
      message: 'spec.targetSelectors[0].namespaces.selector: required with from: Selector',
    });
  });
});
