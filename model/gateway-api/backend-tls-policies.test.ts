import { describe, expect, it } from 'vitest';
import type { BackendTLSPolicy, PolicyAncestorStatus } from '../resources/gateway-api.ts';
import { findCondition } from '../shared/conditions.ts';
import { CONTROLLER, NOW, storeOf } from '../testdata/fixtures.ts';
import { backendTLSFor } from './backend-tls.ts';
import { backendTLSPolicyAncestors, computeBackendTLSPolicyStatus } from './backend-tls-policies.ts';
import { evaluateRoute } from './route-status.ts';

const store = storeOf('base.yaml', 'http-routes.yaml', 'backend-tls.yaml');
const evaluations = store
  .list('HTTPRoute')
  .map((r) => evaluateRoute(r, store, { controllerName: CONTROLLER, now: NOW }));
const WEB = { group: 'gateway.networking.k8s.io', kind: 'Gateway', namespace: 'infra', name: 'web' };

function statusOf(name: string, previous?: PolicyAncestorStatus[]) {
  const policy = store.get('BackendTLSPolicy', 'infra', name) as BackendTLSPolicy;
  const withStatus = previous === undefined ? policy : { ...policy, status: { ancestors: previous } };
  const status = computeBackendTLSPolicyStatus(withStatus, store, {
    controllerName: CONTROLLER,
    now: NOW,
    ancestors: [WEB],
  });
  const ours = status.ancestors.find((a) => a.controllerName === CONTROLLER);
  return { status, condition: (type: string) => findCondition(ours?.conditions, type) };
}

describe('BackendTLSPolicy', () => {
  it('reports on the Gateways whose accepted routes use a target Service', () => {
    const policy = store.get('BackendTLSPolicy', 'infra', 'secure-tls') as BackendTLSPolicy;
    expect(backendTLSPolicyAncestors(policy, evaluations)).toEqual([WEB]);
  });

  it('accepts the oldest policy for a Service and puts its TLS settings on the resolved backend', () => {
    expect(statusOf('secure-tls').condition('Accepted')).toMatchObject({
      status: 'True',
      reason: 'Accepted',
    });
    expect(statusOf('secure-tls').condition('ResolvedRefs')).toMatchObject({ status: 'True' });
    const backend = evaluations.find((e) => e.route.name === 'to-secure')?.rules[0]?.backends[0]?.result;
    expect(backend?.ok && backend.backend.kind === 'Service' && backend.backend.tls).toEqual({
      policy: {
        group: 'gateway.networking.k8s.io',
        kind: 'BackendTLSPolicy',
        namespace: 'infra',
        name: 'secure-tls',
      },
      hostname: 'secure.example.com',
      subjectAltNames: [],
      caCertificates: [{ group: '', kind: 'ConfigMap', namespace: 'infra', name: 'ca' }],
      caBundle: `${(store.get('ConfigMap', 'infra', 'ca')?.data?.['ca.crt'] ?? '').trim()}\n`,
    });
    expect(backend?.ok && backend.backend.kind === 'Service' && backend.backend.tls?.caBundle).toMatch(
      /^-----BEGIN CERTIFICATE-----\n[\s\S]*-----END CERTIFICATE-----\n$/,
    );
  });

  it('marks a newer policy for the same Service Conflicted', () => {
    expect(statusOf('secure-tls-again').condition('Accepted')).toMatchObject({
      status: 'False',
      reason: 'Conflicted',
    });
  });

  it.each([
    ['missing-ca', 'InvalidCACertificateRef', /no-such-ca not found/],
    ['ca-in-a-secret', 'InvalidKind', /core\/Secret is not supported/],
  ])('%s: Accepted False NoValidCACertificate, ResolvedRefs False %s', (name, reason, message) => {
    const { condition } = statusOf(name);
    expect(condition('Accepted')).toMatchObject({ status: 'False', reason: 'NoValidCACertificate' });
    expect(condition('ResolvedRefs')).toMatchObject({ status: 'False', reason });
    expect(condition('ResolvedRefs')?.message).toMatch(message);
  });

  it('uses the valid CA refs when only some are broken, reporting the broken one', () => {
    const { condition } = statusOf('one-good-one-bad-ca');
    expect(condition('ResolvedRefs')).toMatchObject({ status: 'False', reason: 'InvalidCACertificateRef' });
  });

  it('accepts the system trust store with subjectAltNames', () => {
    expect(statusOf('system-trust').condition('Accepted')).toMatchObject({ status: 'True' });
    expect(backendTLSFor(store, 'infra', 'secure-system', '')).toMatchObject({
      kind: 'tls',
      tls: {
        caCertificates: 'System',
        subjectAltNames: [{ type: 'URI', value: 'spiffe://example.com/ns/infra/sa/secure' }],
      },
    });
  });

  it('reports TargetNotFound when no target Service exists', () => {
    expect(statusOf('no-target').condition('Accepted')).toMatchObject({
      status: 'False',
      reason: 'TargetNotFound',
    });
  });

  it('keeps ancestor entries of other controllers', () => {
    const theirs: PolicyAncestorStatus = {
      ancestorRef: { name: 'x' },
      controllerName: 'example.com/other',
      conditions: [],
    };
    expect(statusOf('secure-tls', [theirs]).status.ancestors[0]).toBe(theirs);
  });
});

describe('BackendTLSPolicy per Service port (sectionName) and for the whole Service', () => {
  const sections = storeOf('base.yaml', 'http-routes.yaml', 'backend-tls-sections.yaml');
  const routes = sections
    .list('HTTPRoute')
    .map((r) => evaluateRoute(r, sections, { controllerName: CONTROLLER, now: NOW }));
  const accepted = (name: string) => {
    const policy = sections.get('BackendTLSPolicy', 'infra', name) as BackendTLSPolicy;
    const status = computeBackendTLSPolicyStatus(policy, sections, {
      controllerName: CONTROLLER,
      now: NOW,
      ancestors: [WEB],
    });
    return findCondition(status.ancestors[0]?.conditions, 'Accepted');
  };
  const backendOf = (route: string, rule: number) =>
    routes.find((e) => e.route.name === route)?.rules[rule]?.backends[0]?.result;

  it('accepts a policy naming a port and one for the whole Service side by side', () => {
    expect(accepted('port-a')).toMatchObject({ status: 'True', reason: 'Accepted' });
    expect(accepted('whole-service')).toMatchObject({ status: 'True', reason: 'Accepted' });
  });

  it('conflicts only among policies for the same section: the later, or the later by name, is Conflicted', () => {
    expect(accepted('port-b')).toMatchObject({
      status: 'False',
      reason: 'Conflicted',
      message: expect.stringContaining(
        'BackendTLSPolicy port-a takes precedence for Service two-ports port https-1',
      ),
    });
    expect(accepted('whole-service-later')).toMatchObject({ status: 'False', reason: 'Conflicted' });
  });

  it("gives a port the policy naming it, and the Service's other ports the whole-Service one", () => {
    const one = backendOf('to-ports', 0);
    const two = backendOf('to-ports', 1);
    expect(one?.ok && one.backend.kind === 'Service' && one.backend.tls?.hostname).toBe('port-a.example.com');
    expect(two?.ok && two.backend.kind === 'Service' && two.backend.tls?.hostname).toBe('whole.example.com');
  });
});

describe('a BackendTLSPolicy that cannot be enforced fails its backend (never plain text)', () => {
  const store = storeOf('base.yaml', 'http-routes.yaml', 'backend-tls-sections.yaml');
  const evaluation = evaluateRoute(store.get('HTTPRoute', 'infra', 'to-unenforceable') as never, store, {
    controllerName: CONTROLLER,
    now: NOW,
  });

  it.each([
    [0, 'missing-configmap', /caCertificateRefs\[0\]: ConfigMap infra\/no-such-ca not found/],
    [1, 'custom-trust-store', /wellKnownCACertificates: "example.com\/custom" is not supported/],
    [2, 'wildcard-hostname', /hostname: "\*.example.com" is not a lower-case DNS name without wildcard/],
  ])('rule %i (policy %s): the backend is invalid, naming the policy and why', (rule, policy, why) => {
    const result = evaluation.rules[rule]?.backends[0]?.result;
    expect(result).toMatchObject({
      ok: false,
      reason: 'InvalidBackendTLS',
      tlsTarget: { kind: 'Service', namespace: 'infra', name: 'unenforceable' },
    });
    expect(!result?.ok && result?.message).toContain(`BackendTLSPolicy ${policy} cannot be enforced`);
    expect(!result?.ok && result?.message).toMatch(why);
  });

  it('leaves the route Accepted with ResolvedRefs False, and other backends resolved', () => {
    const conditions = evaluation.parents[0]?.status.conditions;
    expect(findCondition(conditions, 'Accepted')).toMatchObject({ status: 'True' });
    expect(findCondition(conditions, 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'InvalidBackendTLS',
    });
    expect(evaluation.rules[3]?.backends[0]?.result.ok).toBe(true);
  });

  it("reports the policy's status on the Gateway of the route it fails", () => {
    const policy = store.get('BackendTLSPolicy', 'infra', 'missing-configmap') as BackendTLSPolicy;
    expect(backendTLSPolicyAncestors(policy, [evaluation])).toEqual([WEB]);
  });
});
