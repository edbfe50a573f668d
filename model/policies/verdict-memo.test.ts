// A policy's verdict (evaluatePolicy, for every kind) is reused while the policy object and everything its
// evaluation read are the same: the resources read from the view, the discovery documents read from the context,
// the context's hostDataPlane. A replaced input means a new evaluation; a reuse reads again on its own view (so a
// view recording dependencies sees the reads).
import { describe, expect, it } from 'vitest';
import type { ClientTrafficPolicy } from '../resources/client-traffic-policy.ts';
import type { EnvoyGatewayPolicy, SecurityPolicy } from '../resources/envoy-gateway-policies.ts';
import type { ConfigMap, Secret } from '../resources/kubernetes.ts';
import { ResourceStore, type ResourceView } from '../shared/resource-view.ts';
import { evaluatePolicy, type PolicyKindRules, policyProblemsAsWritten } from './attachment.ts';
import { backendTrafficPolicyRules } from './backend-traffic-policy.ts';
import { OidcDiscoveryStore } from './oidc-discovery.ts';
import { securityPolicyRules } from './security-policy.ts';

const configMap = (body: string) =>
  ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'body', namespace: 'apps' },
    data: { body },
  }) as ConfigMap;

const htpasswd = (line: string) =>
  ({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'users', namespace: 'apps' },
    data: { '.htpasswd': Buffer.from(line).toString('base64') },
  }) as Secret;

const ISSUER = 'https://idp.example.com';

describe('evaluatePolicy keeps a verdict per policy object', () => {
  let evaluations = 0;
  // A kind's rules that read a ConfigMap from the view and a discovery document from the context.
  const rules: PolicyKindRules<{ body?: string; endpoint?: string; host: boolean }> = {
    kind: 'ClientTrafficPolicy',
    targetKinds: ['Gateway'],
    scope: 'listener',
    evaluate: (_policy, view, context) => {
      evaluations++;
      const discovered = context.oidcDiscovery?.get(ISSUER);
      return {
        ok: true,
        ir: {
          body: view.get('ConfigMap', 'apps', 'body')?.data?.body,
          ...(discovered?.ok === true ? { endpoint: discovered.document.tokenEndpoint } : {}),
          host: context.hostDataPlane,
        },
      };
    },
  };
  const policy = {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'ClientTrafficPolicy',
    metadata: { name: 'clients', namespace: 'apps' },
    spec: {},
  } as ClientTrafficPolicy;

  it('reuses the verdict while what it read is unchanged, and reads it again on the view of the reuse', () => {
    const store = new ResourceStore();
    store.upsert(configMap('one'));
    const first = evaluatePolicy(policy, rules, store);
    const reads: string[] = [];
    const recording: ResourceView = {
      get: (kind, namespace, name) => {
        reads.push(`${kind}/${namespace}/${name}`);
        return store.get(kind, namespace, name);
      },
      list: (kind, namespace) => store.list(kind, namespace),
      endpointSlicesOf: (namespace, service) => store.endpointSlicesOf(namespace, service),
    };
    expect(evaluatePolicy(policy, rules, recording)).toBe(first);
    expect([evaluations, reads]).toEqual([1, ['ConfigMap/apps/body']]);
    // Another object read: evaluated again.
    store.upsert(configMap('two'));
    expect(evaluatePolicy(policy, rules, store)).toEqual({ ok: true, ir: { body: 'two', host: false } });
    expect(evaluations).toBe(2);
  });

  it('evaluates again when the context differs: hostDataPlane, a discovery document read, documents or none', () => {
    const store = new ResourceStore([configMap('one')]);
    const discovery = new OidcDiscoveryStore();
    const context = { hostDataPlane: false, oidcDiscovery: discovery };
    evaluations = 0;
    const first = evaluatePolicy(policy, rules, store, context);
    expect(evaluatePolicy(policy, rules, store, context)).toBe(first);
    expect(evaluations).toBe(1);
    expect(evaluatePolicy(policy, rules, store, { ...context, hostDataPlane: true })).toEqual({
      ok: true,
      ir: { body: 'one', host: true },
    });
    expect(evaluations).toBe(2);
    discovery.set(ISSUER, {
      ok: true,
      document: { authorizationEndpoint: `${ISSUER}/authorize`, tokenEndpoint: `${ISSUER}/token` },
    });
    expect(evaluatePolicy(policy, rules, store, { ...context, hostDataPlane: true })).toEqual({
      ok: true,
      ir: { body: 'one', endpoint: `${ISSUER}/token`, host: true },
    });
    expect(evaluations).toBe(3);
    expect(evaluatePolicy(policy, rules, store, { hostDataPlane: true })).toEqual({
      ok: true,
      ir: { body: 'one', host: true },
    });
    expect(evaluations).toBe(4);
  });

  it('holds for every kind: a SecurityPolicy keeps its verdict (and IR object) until the Secret it read is replaced', () => {
    const secured = {
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'SecurityPolicy',
      metadata: { name: 'basic', namespace: 'apps' },
      spec: {
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'app' }],
        basicAuth: { users: { name: 'users' } },
      },
    } as SecurityPolicy;
    const store = new ResourceStore([htpasswd('alice:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=')]);
    const first = evaluatePolicy(secured, securityPolicyRules, store);
    expect(first.ok).toBe(true);
    expect(evaluatePolicy(secured, securityPolicyRules, store)).toBe(first);
    store.upsert(htpasswd('bob:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M='));
    const second = evaluatePolicy(secured, securityPolicyRules, store);
    expect(second).not.toBe(first);
    expect(second.ok && second.ir.basicAuth).not.toEqual(first.ok && first.ir.basicAuth);
  });
});

describe('policyProblemsAsWritten keeps the strict field check per policy object', () => {
  const withField = (field: Record<string, unknown>) =>
    ({
      apiVersion: 'gateway.envoyproxy.io/v1alpha1',
      kind: 'BackendTrafficPolicy',
      metadata: { name: 'traffic', namespace: 'apps' },
      spec: {
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'HTTPRoute', name: 'app' }],
        ...field,
      },
    }) as unknown as EnvoyGatewayPolicy;

  it('answers the same object with the same problems, and checks a changed policy (a new object) again', () => {
    const clean = withField({ retry: { numRetries: 1 } });
    const problems = policyProblemsAsWritten(clean, backendTrafficPolicyRules);
    expect(problems).toEqual([]);
    expect(policyProblemsAsWritten(clean, backendTrafficPolicyRules)).toBe(problems);
    const changed = withField({ retry: { numRetries: 1, tries: 3 } });
    expect(policyProblemsAsWritten(changed, backendTrafficPolicyRules)).toEqual([
      'spec.retry.tries: unknown field',
    ]);
    // Other rules (their own explanation of a problem) check the object again.
    const explaining = { ...backendTrafficPolicyRules, explainProblem: (p: string) => `${p} (explained)` };
    expect(policyProblemsAsWritten(changed, explaining)).toEqual([
      'spec.retry.tries: unknown field (explained)',
    ]);
    expect(evaluatePolicy(changed, backendTrafficPolicyRules, new ResourceStore())).toMatchObject({
      ok: false,
      message: 'spec.retry.tries: unknown field',
    });
  });
});
