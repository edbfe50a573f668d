import { describe, expect, it } from 'vitest';
import type { SecurityPolicy } from '../resources/envoy-gateway-policies.ts';
import type { AnyResource } from '../resources/kinds.ts';
import { ResourceStore } from '../shared/resource-view.ts';
import { policyDependencies } from './dependencies.ts';
import { resolvePolicyBackend } from './policy-backends.ts';

const CLUSTER = { hostDataPlane: false };
const HOST = { hostDataPlane: true };

const policy: SecurityPolicy = {
  apiVersion: 'gateway.envoyproxy.io/v1alpha1',
  kind: 'SecurityPolicy',
  metadata: { name: 'auth', namespace: 'apps' },
  spec: {},
};

function backend(namespace: string, name: string, endpoint: Record<string, unknown>): AnyResource {
  return {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'Backend',
    metadata: { name, namespace },
    spec: { endpoints: [endpoint] },
  } as AnyResource;
}

const store = new ResourceStore([
  backend('apps', 'authz', { fqdn: { hostname: 'authz.example.com', port: 9000 } }),
  backend('apps', 'on-host', { ip: { address: '127.0.0.1', port: 9000 } }),
  backend('apps', 'socket', { unix: { path: '/var/run/authz.sock' } }),
  backend('idp', 'jwks', { fqdn: { hostname: 'idp.example.com', port: 443 } }),
  backend('shared', 'jwks', { fqdn: { hostname: 'shared.example.com', port: 443 } }),
  {
    apiVersion: 'gateway.networking.k8s.io/v1beta1',
    kind: 'ReferenceGrant',
    metadata: { name: 'policies', namespace: 'shared' },
    spec: {
      from: [{ group: 'gateway.envoyproxy.io', kind: 'SecurityPolicy', namespace: 'apps' }],
      to: [{ group: 'gateway.envoyproxy.io', kind: 'Backend' }],
    },
  } as AnyResource,
]);

function resolve(ref: Record<string, unknown>, context = CLUSTER) {
  return resolvePolicyBackend(
    policy,
    { backendRefs: [{ group: 'gateway.envoyproxy.io', kind: 'Backend', ...ref }] } as never,
    store,
    'spec.extAuth.http',
    context,
  );
}

describe("a policy's Backend", () => {
  it('resolves to the Backend, as a route would reach it', () => {
    const resolved = resolve({ name: 'authz' });
    expect(resolved).toMatchObject({
      ok: true,
      value: {
        kind: 'backends',
        backends: [
          {
            kind: 'Backend',
            backend: { group: 'gateway.envoyproxy.io', kind: 'Backend', namespace: 'apps', name: 'authz' },
            addressType: 'FQDN',
            endpoints: [{ address: 'authz.example.com', port: 9000 }],
            weight: 1,
          },
        ],
      },
    });
  });

  it('may be a Unix socket (the services policies call may use them, as in Envoy Gateway)', () => {
    expect(resolve({ name: 'socket' })).toMatchObject({
      ok: true,
      value: { backends: [{ endpoints: [{ path: '/var/run/authz.sock' }] }] },
    });
  });

  it('refuses a loopback address unless the data plane runs on this host', () => {
    const refused = resolve({ name: 'on-host' });
    expect(refused).toMatchObject({ ok: false });
    expect(refused.ok ? '' : refused.message).toContain(
      'spec.extAuth.http.backendRefs[0]: Backend apps/on-host: spec.endpoints[0].ip.address: 127.0.0.1 is a loopback address',
    );
    expect(resolve({ name: 'on-host' }, HOST)).toMatchObject({ ok: true });
  });

  it('needs a ReferenceGrant to the policy kind in another namespace', () => {
    const refused = resolve({ name: 'jwks', namespace: 'idp' });
    expect(refused.ok ? '' : refused.message).toBe(
      'spec.extAuth.http.backendRefs[0]: Backend idp/jwks is in another namespace and no ReferenceGrant allows it',
    );
    expect(resolve({ name: 'jwks', namespace: 'shared' })).toMatchObject({
      ok: true,
      value: { backends: [{ endpoints: [{ address: 'shared.example.com' }] }] },
    });
  });

  it('says when the Backend does not exist', () => {
    const missing = resolve({ name: 'nowhere' });
    expect(missing.ok ? '' : missing.message).toBe(
      'spec.extAuth.http.backendRefs[0]: Backend apps/nowhere not found',
    );
  });

  it("is among what the policy reads, with the other namespace's ReferenceGrants", () => {
    const reads = policyDependencies({
      ...policy,
      spec: {
        extAuth: {
          http: {
            backendRefs: [
              { group: 'gateway.envoyproxy.io', kind: 'Backend', name: 'jwks', namespace: 'shared' },
            ],
          },
        },
      },
    } as SecurityPolicy).map((key) => `${key.group}/${key.kind}/${key.namespace}/${key.name}`);
    expect(reads).toContain('gateway.envoyproxy.io/Backend/shared/jwks');
    expect(reads).toContain('gateway.networking.k8s.io/ReferenceGrant/shared/*');
  });
});
