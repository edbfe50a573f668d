import { describe, expect, it } from 'vitest';
import { evaluateAll } from '../evaluation/full-evaluation.ts';
import type { GatewayIR } from '../ir/gateway-ir.ts';
import type { Gateway, GatewayStatus } from '../resources/gateway-api.ts';
import { findCondition } from '../shared/conditions.ts';
import { CONTROLLER, NOW, readManifests, storeOf } from '../testdata/fixtures.ts';

const WEB = 'gateway.networking.k8s.io/Gateway/infra/web';

/** Gateway infra/web with `spec.tls.backend.clientCertificateRef: ref`, and `extra` objects. */
function evaluate(ref: { name: string }, ...extra: object[]) {
  const store = storeOf('base.yaml', 'http-routes.yaml', 'backend-tls.yaml');
  const gateway = store.get('Gateway', 'infra', 'web') as Gateway;
  store.upsert({ ...gateway, spec: { ...gateway.spec, tls: { backend: { clientCertificateRef: ref } } } });
  for (const object of extra) store.upsert(object as never);
  const result = evaluateAll(store, { controllerName: CONTROLLER, now: NOW });
  const status = result.statuses.get(WEB) as GatewayStatus;
  return {
    resolvedRefs: findCondition(status.conditions, 'ResolvedRefs'),
    ir: result.irs.get(WEB) as GatewayIR,
  };
}

const opaque = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'opaque', namespace: 'infra' },
  type: 'Opaque',
  data: { password: 'c2VjcmV0' },
};

describe('Gateway spec.tls.backend.clientCertificateRef', () => {
  it.each([
    [
      'a Secret that does not exist',
      { name: 'nowhere' },
      [],
      'InvalidClientCertificateRef',
      /^spec\.tls\.backend\.clientCertificateRef: Secret infra\/nowhere not found$/,
    ],
    [
      'a Secret that is not a TLS Secret',
      { name: 'opaque' },
      [opaque],
      'InvalidClientCertificateRef',
      /Secret infra\/opaque has type Opaque, want kubernetes\.io\/tls/,
    ],
    [
      'a kind other than Secret',
      { group: 'example.com', kind: 'Vault', name: 'x' },
      [],
      'InvalidClientCertificateRef',
      /example\.com\/Vault is not supported; reference a core Secret/,
    ],
    [
      'a Secret in another namespace without a ReferenceGrant',
      { name: 'shared-tls', namespace: 'backends' },
      [],
      'RefNotPermitted',
      /Secret backends\/shared-tls is in another namespace and no ReferenceGrant allows it/,
    ],
  ])('%s: ResolvedRefs False, and TLS backends refused in the IR', (_, ref, extra, reason, message) => {
    const { resolvedRefs, ir } = evaluate(ref, ...extra);
    expect(resolvedRefs).toMatchObject({ status: 'False', reason });
    expect(resolvedRefs?.message).toMatch(message);
    expect(ir.backendClientCertificate).toEqual({ problem: expect.stringMatching(message) });
  });

  it.each([
    ['a TLS Secret of its namespace', { name: 'example-tls' }, [], 'infra/example-tls'],
    [
      'a TLS Secret of another namespace, granted',
      { name: 'shared-tls', namespace: 'backends' },
      readManifests('grant-secrets-to-infra-gateways.yaml'),
      'backends/shared-tls',
    ],
  ])('%s: ResolvedRefs True and the Secret in the IR', (_, ref, extra, secret) => {
    const { resolvedRefs, ir } = evaluate(ref, ...extra);
    expect(resolvedRefs).toMatchObject({ status: 'True', reason: 'ResolvedRefs' });
    const [namespace, name] = secret.split('/');
    expect(ir.backendClientCertificate).toEqual({ secret: { group: '', kind: 'Secret', namespace, name } });
  });
});
