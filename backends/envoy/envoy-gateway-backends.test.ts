import { describe, expect, it } from 'vitest';
import type { UpstreamTLS } from '../../model/ir/envoy-gateway.ts';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import { envoyApi, TYPE_URL } from '../../protos/index.ts';
import {
  envoyGatewayBackend,
  gatewayIR,
  listener,
  port,
  route,
  rule,
  secretKey,
  tlsMaterial,
} from './testdata/gateway-ir.ts';
import { translateGateway } from './translate-gateway.ts';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function translate(
  backend: ReturnType<typeof envoyGatewayBackend>,
  tls = {},
  backendClientCertificate?: GatewayIR['backendClientCertificate'],
) {
  const ir = gatewayIR([port(8080, [listener('web', 'HTTP', [route('r', [rule([backend])])])])]);
  const resources = translateGateway(
    backendClientCertificate === undefined ? ir : { ...ir, backendClientCertificate },
    tls,
  );
  const api = envoyApi();
  for (const json of Object.values(resources.clusters)) api.encode(TYPE_URL.cluster, json);
  for (const json of Object.values(resources.clusterLoadAssignments))
    api.encode(TYPE_URL.clusterLoadAssignment, json);
  for (const json of Object.values(resources.secrets)) api.encode(TYPE_URL.secret, json);
  return resources;
}

function tls(options: Partial<UpstreamTLS> = {}): UpstreamTLS {
  return { verify: { caBundle: CA }, minVersion: '1.2', maxVersion: '1.3', ...options };
}

describe('Envoy Gateway Backend clusters', () => {
  it('resolves DNS names with a STRICT_DNS cluster carrying the endpoints', () => {
    const resources = translate(
      envoyGatewayBackend('api', [{ address: 'api.example.com', port: 443, hostname: 'api.example.com' }], {
        fqdn: true,
      }),
    );
    expect(resources.clusters['backend/default/api']).toMatchObject({
      type: 'STRICT_DNS',
      dnsLookupFamily: 'V4_PREFERRED',
      loadAssignment: {
        clusterName: 'backend/default/api',
        endpoints: [
          {
            lbEndpoints: [
              {
                endpoint: {
                  address: { socketAddress: { address: 'api.example.com', portValue: 443 } },
                  hostname: 'api.example.com',
                },
              },
            ],
          },
        ],
      },
    });
    expect(resources.clusterLoadAssignments).toEqual({});
  });

  it('serves IP and Unix-socket endpoints over EDS', () => {
    const resources = translate(
      envoyGatewayBackend('local', [{ address: '10.0.0.1', port: 80 }, { path: '/run/app.sock' }]),
    );
    expect(resources.clusters['backend/default/local']).toMatchObject({ type: 'EDS' });
    expect(resources.clusterLoadAssignments['backend/default/local']).toMatchObject({
      endpoints: [
        {
          lbEndpoints: [
            { endpoint: { address: { socketAddress: { address: '10.0.0.1', portValue: 80 } } } },
            { endpoint: { address: { pipe: { path: '/run/app.sock' } } } },
          ],
        },
      ],
    });
  });

  it('speaks TLS with a fixed SNI, checking the certificate for that name against the CA bundle', () => {
    const resources = translate(
      envoyGatewayBackend('s', [{ address: '10.0.0.1', port: 443 }], { tls: tls({ sni: 'api.internal' }) }),
    );
    expect(resources.clusters['backend/default/s']).toMatchObject({
      transportSocket: {
        typedConfig: {
          sni: 'api.internal',
          commonTlsContext: {
            tlsParams: { tlsMinimumProtocolVersion: 'TLSv1_2', tlsMaximumProtocolVersion: 'TLSv1_3' },
            alpnProtocols: ['http/1.1'],
            validationContext: {
              trustedCa: { inlineString: CA },
              matchTypedSubjectAltNames: [{ sanType: 'DNS', matcher: { exact: 'api.internal' } }],
            },
          },
        },
      },
    });
  });

  it("takes SNI from each endpoint's hostname through transport socket matches", () => {
    const resources = translate(
      envoyGatewayBackend(
        's',
        [
          { address: '10.0.0.1', port: 443, hostname: 'a.internal' },
          { address: '10.0.0.2', port: 443, hostname: 'b.internal' },
        ],
        { tls: tls({ autoSNIFromEndpointHostname: true }) },
      ),
    );
    const cluster = resources.clusters['backend/default/s'] as { transportSocketMatches: { name: string }[] };
    expect(cluster.transportSocketMatches.map((m) => m.name)).toEqual(['sni/a.internal', 'sni/b.internal']);
    expect(resources.clusterLoadAssignments['backend/default/s']).toMatchObject({
      endpoints: [
        {
          lbEndpoints: [
            { metadata: { filterMetadata: { 'envoy.transport_socket_match': { sni: 'a.internal' } } } },
            { metadata: { filterMetadata: { 'envoy.transport_socket_match': { sni: 'b.internal' } } } },
          ],
        },
      ],
    });
  });

  it("without SNI settings sends the request's Host as SNI and checks the certificate for it", () => {
    const resources = translate(
      envoyGatewayBackend('s', [{ address: '10.0.0.1', port: 443 }], { tls: tls() }),
    );
    expect(resources.clusters['backend/default/s']).toMatchObject({
      typedExtensionProtocolOptions: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          upstreamHttpProtocolOptions: { autoSni: true, autoSanValidation: true },
          explicitHttpConfig: { httpProtocolOptions: {} },
        },
      },
    });
  });

  it('presents a client certificate over SDS, trusts the system store, skips verification when told', () => {
    const client = secretKey('client');
    const resources = translate(
      envoyGatewayBackend('s', [{ address: '10.0.0.1', port: 443 }], {
        tls: tls({ sni: 'a.b', verify: 'System', clientCertificate: client, alpnProtocols: [] }),
      }),
      tlsMaterial(client, CA, 'KEY'),
    );
    const context = (
      resources.clusters['backend/default/s'] as {
        transportSocket: { typedConfig: { commonTlsContext: Record<string, unknown> } };
      }
    ).transportSocket.typedConfig.commonTlsContext;
    expect(context.tlsCertificateSdsSecretConfigs).toEqual([
      { name: 'secret/default/client', sdsConfig: { ads: {}, resourceApiVersion: 'V3' } },
    ]);
    expect(context.validationContext).toMatchObject({
      trustedCa: { filename: '/etc/ssl/certs/ca-certificates.crt' },
    });
    expect(context.alpnProtocols).toBeUndefined();
    expect(Object.keys(resources.secrets)).toEqual(['secret/default/client']);
    const insecure = translate(
      envoyGatewayBackend('s', [{ address: '10.0.0.1', port: 443 }], {
        tls: tls({ sni: 'a.b', verify: 'InsecureSkipVerify' }),
      }),
    );
    expect(
      (
        insecure.clusters['backend/default/s'] as {
          transportSocket: { typedConfig: { commonTlsContext: Record<string, unknown> } };
        }
      ).transportSocket.typedConfig.commonTlsContext.validationContext,
    ).toBeUndefined();
  });

  it('names a client certificate without TLS material as a problem, and sends the Backend nothing', () => {
    const resources = translate(
      envoyGatewayBackend('s', [{ address: '10.0.0.1', port: 443 }], {
        tls: tls({ sni: 'a.b', clientCertificate: secretKey('gone') }),
      }),
    );
    expect(resources.problems).toEqual([
      'gateway.envoyproxy.io/Backend/default/s: no TLS material for client certificate core/Secret/default/gone; its TLS endpoints get no traffic',
    ]);
    expect(resources.clusters['backend/default/s']).toMatchObject({
      type: 'STATIC',
      loadAssignment: { endpoints: [] },
    });
    expect(resources.clusterLoadAssignments['backend/default/s']).toBeUndefined();
  });

  it("presents the Gateway's backend client certificate unless the Backend names its own", () => {
    const gateway = secretKey('gateway-client');
    const own = secretKey('own');
    const presented = (backendTls: UpstreamTLS) => {
      const resources = translate(
        envoyGatewayBackend('s', [{ address: '10.0.0.1', port: 443 }], { tls: backendTls }),
        { ...tlsMaterial(gateway, CA, 'KEY'), ...tlsMaterial(own, CA, 'KEY') },
        { secret: gateway },
      );
      return (
        resources.clusters['backend/default/s'] as {
          transportSocket: {
            typedConfig: { commonTlsContext: { tlsCertificateSdsSecretConfigs?: { name: string }[] } };
          };
        }
      ).transportSocket.typedConfig.commonTlsContext.tlsCertificateSdsSecretConfigs?.map((c) => c.name);
    };
    expect(presented(tls({ sni: 'a.b' }))).toEqual(['secret/default/gateway-client']);
    expect(presented(tls({ sni: 'a.b', clientCertificate: own }))).toEqual(['secret/default/own']);
  });

  it("sends a TLS Backend nothing when the Gateway's client certificate cannot be used (fail closed)", () => {
    const resources = translate(
      envoyGatewayBackend('s', [{ address: '10.0.0.1', port: 443 }], { tls: tls({ sni: 'a.b' }) }),
      {},
      { problem: 'Secret default/gone not found' },
    );
    expect(resources.clusters['backend/default/s']).toMatchObject({
      type: 'STATIC',
      loadAssignment: { endpoints: [] },
    });
    expect(resources.clusterLoadAssignments['backend/default/s']).toBeUndefined();
    const plain = translate(
      envoyGatewayBackend('s', [{ address: '10.0.0.1', port: 80 }]),
      {},
      { problem: 'x' },
    );
    expect(plain.clusterLoadAssignments['backend/default/s']).toBeDefined();
  });
});
