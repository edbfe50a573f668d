import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Backend, BackendSpec } from '../resources/envoy-gateway.ts';
import type { AnyResource } from '../resources/kinds.ts';
import { ResourceStore } from '../shared/resource-view.ts';
import { backendDependencies, computeBackendStatus, resolveBackend } from './backend.ts';
import type { BackendAddressOptions } from './backend-spec.ts';

const NOW = '2026-01-01T00:00:00Z';
const CA = readFileSync(join(import.meta.dirname, '..', 'testdata', 'tls', 'example.crt'), 'utf8');
const KEY = readFileSync(join(import.meta.dirname, '..', 'testdata', 'tls', 'example.key'), 'utf8');
const CLUSTER: BackendAddressOptions = { hostDataPlane: false, unixSockets: false };
const HOST: BackendAddressOptions = { hostDataPlane: true, unixSockets: true };

function backend(name: string, spec: BackendSpec): Backend {
  return {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'Backend',
    metadata: { name, namespace: 'apps', generation: 2 },
    spec,
  };
}

function storeWith(...objects: AnyResource[]): ResourceStore {
  return new ResourceStore([
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'ca', namespace: 'apps' },
      data: { 'ca.crt': CA },
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'client', namespace: 'apps' },
      type: 'kubernetes.io/tls',
      data: {
        'tls.crt': Buffer.from(CA).toString('base64'),
        'tls.key': Buffer.from(KEY).toString('base64'),
      },
    },
    ...objects,
  ]);
}

function resolve(spec: BackendSpec, options = CLUSTER) {
  return resolveBackend(storeWith(backend('b', spec)), 'apps', 'b', options);
}

describe('Backend resolution', () => {
  it('resolves DNS names, IP addresses and Unix sockets to the endpoints the data plane reaches', () => {
    expect(resolve({ endpoints: [{ fqdn: { hostname: 'api.example.com.', port: 443 } }] })).toEqual({
      ok: true,
      backend: {
        kind: 'Backend',
        backend: { group: 'gateway.envoyproxy.io', kind: 'Backend', namespace: 'apps', name: 'b' },
        addressType: 'FQDN',
        endpoints: [{ address: 'api.example.com', port: 443, hostname: 'api.example.com' }],
      },
    });
    const statics = resolve(
      {
        endpoints: [
          { ip: { address: '10.0.0.7', port: 8080 } },
          { unix: { path: '/run/app.sock' }, hostname: 'app' },
        ],
        appProtocols: ['gateway.envoyproxy.io/h2c'],
      },
      HOST,
    );
    expect(statics.ok && statics.backend).toMatchObject({
      addressType: 'Static',
      endpoints: [
        { address: '10.0.0.7', port: 8080 },
        { path: '/run/app.sock', hostname: 'app' },
      ],
      appProtocol: 'kubernetes.io/h2c',
    });
  });

  it('allows loopback and single-label names only when the data plane runs on the host', () => {
    for (const spec of [
      { endpoints: [{ ip: { address: '127.0.0.1', port: 80 } }] },
      { endpoints: [{ ip: { address: '::1', port: 80 } }] },
      { endpoints: [{ ip: { address: '::ffff:127.0.0.2', port: 80 } }] },
      { endpoints: [{ fqdn: { hostname: 'localhost', port: 80 } }] },
    ]) {
      expect(resolve(spec, HOST).ok).toBe(true);
      expect(resolve(spec, CLUSTER)).toMatchObject({ ok: false, reason: 'InvalidAddress' });
    }
    expect(resolve({ endpoints: [{ ip: { address: '::2', port: 80 } }] }).ok).toBe(true);
  });

  it('refuses Unix sockets where the caller may not use them, with Envoy Gateway’s reason', () => {
    expect(resolve({ endpoints: [{ unix: { path: '/run/app.sock' } }] })).toMatchObject({
      ok: false,
      reason: 'UnsupportedAddressType',
      message: expect.stringContaining('spec.endpoints[0].unix'),
    });
  });

  it('names what is wrong with a Backend, field by field', () => {
    const cases: [BackendSpec, string, string][] = [
      [{}, 'InvalidBackendRef', 'spec.endpoints: at least one endpoint is required'],
      [{ type: 'DynamicResolver' }, 'InvalidBackendRef', 'spec.type: DynamicResolver is not supported'],
      [
        { fallback: true, endpoints: [{ ip: { address: '10.0.0.1', port: 1 } }] },
        'InvalidBackendRef',
        'spec.fallback',
      ],
      [
        { endpoints: [{ ip: { address: '10.0.0.1', port: 1 }, fqdn: { hostname: 'a.b', port: 1 } }] },
        'InvalidBackendRef',
        'exactly one of fqdn, ip or unix',
      ],
      [
        { endpoints: [{ ip: { address: '10.0.0.300', port: 1 } }] },
        'InvalidAddress',
        'spec.endpoints[0].ip.address',
      ],
      [
        { endpoints: [{ ip: { address: '10.0.0.1', port: 0 } }] },
        'InvalidAddress',
        'spec.endpoints[0].ip.port',
      ],
      [
        { endpoints: [{ fqdn: { hostname: 'Bad_Name.example', port: 1 } }] },
        'InvalidAddress',
        'not a valid DNS name',
      ],
      [{ endpoints: [{ fqdn: { hostname: '10.1.2.3', port: 1 } }] }, 'InvalidAddress', 'is an IP address'],
      [
        { endpoints: [{ fqdn: { hostname: 'a.b', port: 1 } }, { ip: { address: '10.0.0.1', port: 1 } }] },
        'UnsupportedAddressType',
        'cannot be mixed',
      ],
      [
        { endpoints: [{ ip: { address: '10.0.0.1', port: 1 }, zone: 'z1' }] },
        'InvalidBackendRef',
        'spec.endpoints[0].zone',
      ],
      [
        { endpoints: [{ ip: { address: '10.0.0.1', port: 1 } }], appProtocols: ['h3'] },
        'InvalidBackendRef',
        'spec.appProtocols[0]',
      ],
      [
        { endpoints: [{ ip: { address: '10.0.0.1', port: 1 } }], tls: {} },
        'InvalidBackendRef',
        'must specify either caCertificateRefs or wellKnownCACertificates',
      ],
      [
        {
          endpoints: [{ ip: { address: '10.0.0.1', port: 1 } }],
          tls: { insecureSkipVerify: true, wellKnownCACertificates: 'System' },
        },
        'InvalidBackendRef',
        'insecureSkipVerify cannot be combined',
      ],
      [
        {
          endpoints: [{ ip: { address: '10.0.0.1', port: 1 } }],
          tls: { wellKnownCACertificates: 'System', sni: 'a.b', autoSNIFromEndpointHostname: true },
        },
        'InvalidBackendRef',
        'mutually exclusive',
      ],
      [
        {
          endpoints: [{ ip: { address: '10.0.0.1', port: 1 } }],
          tls: { wellKnownCACertificates: 'System', autoSNIFromEndpointHostname: true },
        },
        'InvalidBackendRef',
        'needs a hostname',
      ],
      [
        {
          endpoints: [{ ip: { address: '10.0.0.1', port: 1 } }],
          tls: { wellKnownCACertificates: 'System', minVersion: '1.3', maxVersion: '1.2' },
        },
        'InvalidBackendRef',
        'minVersion is above maxVersion',
      ],
      [
        {
          endpoints: [{ ip: { address: '10.0.0.1', port: 1 } }],
          tls: { wellKnownCACertificates: 'System', fingerprints: ['JA3'] },
        },
        'InvalidBackendRef',
        'spec.tls.fingerprints',
      ],
      [
        {
          endpoints: [{ ip: { address: '10.0.0.1', port: 1 } }],
          tls: { wellKnownCACertificates: 'System', clientCertificateRef: { name: 'c', namespace: 'other' } },
        },
        'InvalidBackendRef',
        "must be in the Backend's namespace",
      ],
    ];
    for (const [spec, reason, message] of cases) {
      const result = resolve(spec);
      expect(result, JSON.stringify(spec)).toMatchObject({ ok: false, reason });
      expect(!result.ok && result.message, JSON.stringify(spec)).toContain(message);
    }
  });

  it('resolves TLS: a CA bundle from a ConfigMap, the system store, SNI, versions and a client certificate', () => {
    const result = resolve({
      endpoints: [{ ip: { address: '10.0.0.1', port: 443 } }],
      tls: {
        caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'ca' }],
        sni: 'api.example.com',
        clientCertificateRef: { name: 'client' },
        minVersion: '1.3',
        ciphers: ['ECDHE-RSA-AES128-GCM-SHA256'],
        alpnProtocols: [],
      },
    });
    expect(result.ok && result.backend.tls).toEqual({
      sni: 'api.example.com',
      verify: { caBundle: `${CA.trim()}\n` },
      clientCertificate: { group: '', kind: 'Secret', namespace: 'apps', name: 'client' },
      minVersion: '1.3',
      maxVersion: '1.3',
      ciphers: ['ECDHE-RSA-AES128-GCM-SHA256'],
      alpnProtocols: [],
    });
    const system = resolve({
      endpoints: [{ fqdn: { hostname: 'api.example.com', port: 443 } }],
      tls: { wellKnownCACertificates: 'System', autoSNIFromEndpointHostname: true },
    });
    expect(system.ok && system.backend.tls).toEqual({
      autoSNIFromEndpointHostname: true,
      verify: 'System',
      minVersion: '1.2',
      maxVersion: '1.3',
    });
  });

  it('answers InvalidBackendTLS when a CA or client certificate reference does not resolve', () => {
    const endpoints = [{ ip: { address: '10.0.0.1', port: 443 } }];
    expect(
      resolve({ endpoints, tls: { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'missing' }] } }),
    ).toMatchObject({
      ok: false,
      reason: 'InvalidBackendTLS',
      message: expect.stringContaining('apps/missing not found'),
    });
    expect(
      resolve({
        endpoints,
        tls: { wellKnownCACertificates: 'System', clientCertificateRef: { name: 'nothing' } },
      }),
    ).toMatchObject({ ok: false, reason: 'InvalidBackendTLS' });
    const store = storeWith(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'junk', namespace: 'apps' },
        data: { 'ca.crt': 'x' },
      },
      backend('b', {
        endpoints,
        tls: { caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'junk' }] },
      }),
    );
    expect(resolveBackend(store, 'apps', 'b', CLUSTER)).toMatchObject({
      reason: 'InvalidBackendTLS',
      message: expect.stringContaining('no PEM certificate'),
    });
  });

  it('takes the certificate check from a BackendTLSPolicy that targets it, keeping its own TLS settings', () => {
    const tlsPolicy = (name: string, validation: Record<string, unknown>, created: string): AnyResource =>
      ({
        apiVersion: 'gateway.networking.k8s.io/v1',
        kind: 'BackendTLSPolicy',
        metadata: { name, namespace: 'apps', creationTimestamp: created },
        spec: { targetRefs: [{ group: 'gateway.envoyproxy.io', kind: 'Backend', name: 'b' }], validation },
      }) as AnyResource;
    const endpoints = [{ ip: { address: '10.0.0.1', port: 443 } }];
    const store = storeWith(
      backend('b', { endpoints, tls: { insecureSkipVerify: true, minVersion: '1.3' } }),
      tlsPolicy(
        'check',
        {
          hostname: 'api.internal',
          caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'ca' }],
          subjectAltNames: [{ type: 'URI', uri: 'spiffe://cluster/api' }],
        },
        '2026-01-01T00:00:00Z',
      ),
      tlsPolicy(
        'later',
        { hostname: 'other.internal', wellKnownCACertificates: 'System' },
        '2026-01-02T00:00:00Z',
      ),
    );
    const resolved = resolveBackend(store, 'apps', 'b', CLUSTER);
    expect(resolved.ok && resolved.backend.tls).toEqual({
      sni: 'api.internal',
      verify: { caBundle: `${CA.trim()}\n` },
      subjectAltNames: [{ type: 'URI', value: 'spiffe://cluster/api' }],
      policy: {
        group: 'gateway.networking.k8s.io',
        kind: 'BackendTLSPolicy',
        namespace: 'apps',
        name: 'check',
      },
      minVersion: '1.3',
      maxVersion: '1.3',
    });
    // A policy that cannot be used makes the Backend unusable: never plaintext where TLS was asked for.
    const broken = storeWith(
      backend('b', { endpoints }),
      tlsPolicy(
        'check',
        { hostname: 'api.internal', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name: 'gone' }] },
        '2026-01-01T00:00:00Z',
      ),
    );
    expect(resolveBackend(broken, 'apps', 'b', CLUSTER)).toMatchObject({
      ok: false,
      reason: 'InvalidBackendTLS',
      message: expect.stringContaining(
        'Backend apps/b: BackendTLSPolicy check: spec.validation.caCertificateRefs[0]: ConfigMap apps/gone not found',
      ),
    });
  });

  it('names unknown fields and wrong types, as strict field validation would', () => {
    const result = resolve({
      endpoints: [
        { fqdn: { hostname: 'a.example.com', port: '443' as unknown as number }, weight: 2 } as never,
      ],
    });
    expect(result).toMatchObject({ ok: false, reason: 'InvalidBackendRef' });
    expect(!result.ok && result.message).toBe(
      'Backend apps/b: spec.endpoints[0].fqdn.port: must be an integer; spec.endpoints[0].weight: unknown field',
    );
  });

  it('answers BackendNotFound for a Backend that does not exist', () => {
    expect(resolveBackend(storeWith(), 'apps', 'nope', CLUSTER)).toEqual({
      ok: false,
      reason: 'BackendNotFound',
      message: 'Backend apps/nope not found',
    });
  });

  it('depends on the ConfigMaps and Secrets its TLS names', () => {
    expect(
      backendDependencies(
        backend('b', {
          tls: {
            caCertificateRefs: [
              { group: '', kind: 'ConfigMap', name: 'ca' },
              { group: '', kind: 'Secret', name: 'ca2' },
            ],
            clientCertificateRef: { name: 'client' },
          },
        }),
      ),
    ).toEqual([
      { group: '', kind: 'ConfigMap', namespace: 'apps', name: 'ca' },
      { group: '', kind: 'Secret', namespace: 'apps', name: 'ca2' },
      { group: '', kind: 'Secret', namespace: 'apps', name: 'client' },
    ]);
  });
});

describe('Backend status', () => {
  it('is Accepted as Envoy Gateway writes it, or Invalid with the field at fault', () => {
    const good = computeBackendStatus(backend('b', { endpoints: [{ unix: { path: '/run/a.sock' } }] }), {
      now: NOW,
      hostDataPlane: false,
    });
    expect(good.conditions).toEqual([
      {
        type: 'Accepted',
        status: 'True',
        reason: 'Accepted',
        message: 'The Backend was accepted',
        lastTransitionTime: NOW,
        observedGeneration: 2,
      },
    ]);
    const bad = computeBackendStatus(
      backend('b', { endpoints: [{ ip: { address: '127.0.0.1', port: 80 } }] }),
      {
        now: NOW,
        hostDataPlane: false,
      },
    );
    expect(bad.conditions[0]).toMatchObject({
      status: 'False',
      reason: 'Invalid',
      message: expect.stringMatching(
        /^The Backend was not accepted: spec\.endpoints\[0\]\.ip\.address: 127\.0\.0\.1 is a loopback/,
      ),
    });
  });
});
