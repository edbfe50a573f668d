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
    expect(backendTLSFor(store, 'infra', 'secure-system', undefined)).toMatchObject({
      caCertificates: 'System',
      subjectAltNames: [{ type: 'URI', value: 'spiffe://example.com/ns/infra/sa/secure' }],
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
