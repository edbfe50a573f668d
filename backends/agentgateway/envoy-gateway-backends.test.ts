// Envoy Gateway Backends on agentgateway: FQDN, IP and Unix-socket endpoints as static Backends (the proxy's
// decoding of each checked through protos/agentgateway/), the Backend's TLS and HTTP/2, and what fails closed.
import { describe, expect, it } from 'vitest';
import type { UpstreamTLS } from '../../model/ir/envoy-gateway.ts';
import { agentgatewayApi } from '../../protos/agentgateway-api.ts';
import {
  envoyGatewayBackend,
  gatewayIR,
  listener,
  port,
  route,
  rule,
  secretKey,
  service,
  tlsMaterial,
} from '../envoy/testdata/gateway-ir.ts';
import { type AgentgatewayResources, translateGateway } from './translate-gateway.ts';

const TLS: UpstreamTLS = { verify: 'System', minVersion: '1.2', maxVersion: '1.3' };

function translate(backends: Parameters<typeof rule>[0], material = {}): AgentgatewayResources {
  const resources = translateGateway(
    gatewayIR([port(8080, [listener('http', 'HTTP', [route('r', [rule(backends)])])])]),
    material,
  );
  const api = agentgatewayApi();
  for (const backend of Object.values(resources.backends))
    expect(api.decodeResource(api.encodeResource({ backend }))).toHaveProperty('backend.key', backend.key);
  return resources;
}

function routeBackends(resources: AgentgatewayResources): unknown {
  return Object.values(resources.routes)[0]?.backends;
}

describe('Envoy Gateway Backends on agentgateway', () => {
  it('sends each endpoint as a static Backend (DNS name, IP, Unix socket) and splits the ref’s weight over them', () => {
    const resources = translate([
      envoyGatewayBackend('mixed', [{ address: '10.0.0.5', port: 8080 }, { path: '/run/app.sock' }]),
      envoyGatewayBackend('external', [{ address: 'api.example.com', port: 443 }], { fqdn: true, weight: 2 }),
    ]);
    expect(resources.backends).toEqual({
      'egbackend/default/external/api.example.com:443': {
        key: 'egbackend/default/external/api.example.com:443',
        name: { name: 'external', namespace: 'default' },
        static: { host: 'api.example.com', port: 443 },
      },
      'egbackend/default/mixed/10.0.0.5:8080': {
        key: 'egbackend/default/mixed/10.0.0.5:8080',
        name: { name: 'mixed', namespace: 'default' },
        static: { host: '10.0.0.5', port: 8080 },
      },
      'egbackend/default/mixed/unix:/run/app.sock': {
        key: 'egbackend/default/mixed/unix:/run/app.sock',
        name: { name: 'mixed', namespace: 'default' },
        static: { unixPath: '/run/app.sock' },
      },
    });
    // Two endpoints of weight 1 and one of weight 2: 1/2 : 1/2 : 2 (scaled by 2).
    expect(routeBackends(resources)).toEqual([
      { backend: { backend: 'egbackend/default/mixed/10.0.0.5:8080' }, weight: 1 },
      { backend: { backend: 'egbackend/default/mixed/unix:/run/app.sock' }, weight: 1 },
      { backend: { backend: 'egbackend/default/external/api.example.com:443' }, weight: 4 },
    ]);
    expect(resources.problems).toEqual([]);
  });

  it('speaks the Backend’s TLS: CA, SNI, SANs, ALPN and client certificate; h2c as HTTP/2', () => {
    const client = secretKey('client');
    const resources = translate(
      [
        envoyGatewayBackend('secure', [{ address: '10.0.0.6', port: 8443 }], {
          appProtocol: 'kubernetes.io/h2c',
          tls: {
            ...TLS,
            verify: { caBundle: 'CA-PEM' },
            sni: 'secure.example.com',
            subjectAltNames: [{ type: 'Hostname', value: 'secure.example.com' }],
            alpnProtocols: ['h2'],
            clientCertificate: client,
          },
        }),
      ],
      tlsMaterial(client, 'CHAIN', 'KEY'),
    );
    expect(resources.backends['egbackend/default/secure/10.0.0.6:8443']?.inlinePolicies).toEqual([
      {
        backendTls: {
          cert: Buffer.from('CHAIN').toString('base64'),
          key: Buffer.from('KEY').toString('base64'),
          root: Buffer.from('CA-PEM').toString('base64'),
          verifySubjectAltNames: ['secure.example.com'],
          alpn: { protocols: ['h2'] },
          hostname: 'secure.example.com',
        },
      },
      { backendHttp: { version: 'HTTP2' } },
    ]);
  });

  it('sends each endpoint’s own hostname as SNI with autoSNIFromEndpointHostname; skips verification only when told', () => {
    const resources = translate([
      envoyGatewayBackend(
        'auto',
        [
          { address: '10.0.0.7', port: 443, hostname: 'a.example.com' },
          { address: '10.0.0.8', port: 443, hostname: 'b.example.com' },
        ],
        { tls: { ...TLS, verify: 'InsecureSkipVerify', autoSNIFromEndpointHostname: true } },
      ),
    ]);
    expect(
      Object.values(resources.backends).map(
        (b) => (b.inlinePolicies as { backendTls: unknown }[])[0]?.backendTls,
      ),
    ).toEqual([
      { verification: 'INSECURE_ALL', hostname: 'a.example.com' },
      { verification: 'INSECURE_ALL', hostname: 'b.example.com' },
    ]);
  });

  it.each([
    ['a cipher list', { ...TLS, ciphers: ['ECDHE-RSA-AES128-GCM-SHA256'] }, /spec\.tls\.ciphers/],
    ['TLS 1.3 only', { ...TLS, minVersion: '1.3' as const }, /minVersion 1\.3/],
    [
      'a client certificate without material',
      { ...TLS, clientCertificate: secretKey('gone') },
      /clientCertificateRef: no TLS material/,
    ],
  ])('with %s its share is not forwarded and the route’s status names the field', (_what, tls, text) => {
    const resources = translate([
      envoyGatewayBackend('strict', [{ address: '10.0.0.9', port: 443 }], { tls }),
      service('web', [9000]),
    ]);
    expect(Object.keys(resources.backends)).toEqual(['service/default/web/8080/127.0.0.1:9000']);
    expect((routeBackends(resources) as { backend: { backend: string } }[])[0]?.backend.backend).toMatch(
      /^unavailable\//,
    );
    expect(resources.problems.join('\n')).toMatch(text);
    expect(resources.problems.join('\n')).toMatch(/Envoy Gateway Backend .*strict/);
    // The rule is served, less that share: a warning on the rule (PartiallyInvalid), naming the field.
    expect(resources.unsupported).toEqual([
      {
        route: expect.objectContaining({ kind: 'HTTPRoute', name: 'r' }),
        rule: 0,
        severity: 'warning',
        message: expect.stringMatching(
          /^the agentgateway data plane answers this backendRef's share 500: Envoy Gateway Backend .*strict/,
        ),
      },
    ]);
    expect(resources.unsupported[0]?.message).toMatch(text);
  });
});
