import { describe, expect, it } from 'vitest';
import { envoyApi } from '../../protos/index.ts';
import { envoyBootstrap } from './bootstrap.ts';
import { gatewayOfNode } from './node-identity.ts';
import { gatewayKey } from './testdata/gateway-ir.ts';

const BOOTSTRAP = 'type.googleapis.com/envoy.config.bootstrap.v3.Bootstrap';

describe('envoyBootstrap', () => {
  it('names the Gateway in node.cluster, the way the ADS server matches proxies', () => {
    const bootstrap = envoyBootstrap({
      gateway: gatewayKey('web', 'shop'),
      xdsAddress: 'switchyard.system:18000',
    });
    const node = bootstrap.node as { id: string; cluster: string };
    expect(node).toEqual({ id: 'shop-web', cluster: 'shop/web' });
    expect(gatewayOfNode(node)).toEqual({ ok: true, gateway: gatewayKey('web', 'shop') });
  });

  it('is a valid Envoy Bootstrap for delta and state-of-the-world ADS', () => {
    for (const delta of [true, false]) {
      const json = envoyBootstrap({
        gateway: gatewayKey(),
        xdsAddress: '[::1]:18000',
        delta,
        nodeId: 'pod-1',
      });
      const decoded = envoyApi().toJson(
        BOOTSTRAP,
        envoyApi().decode(BOOTSTRAP, envoyApi().encode(BOOTSTRAP, json)),
      ) as {
        dynamicResources: { adsConfig: { apiType: string } };
        staticResources: { clusters: { loadAssignment: unknown }[] };
      };
      expect(decoded.dynamicResources.adsConfig.apiType).toBe(delta ? 'DELTA_GRPC' : 'GRPC');
      expect(JSON.stringify(decoded.staticResources.clusters[0]!.loadAssignment)).toContain(
        '"address":"::1"',
      );
    }
  });

  it('says how to write the xDS address when it is not host:port', () => {
    expect(() => envoyBootstrap({ gateway: gatewayKey(), xdsAddress: 'no-port' })).toThrow(
      "--xds must be host:port, got 'no-port'",
    );
  });

  it('reaches the ADS server over TLS: CA, expected name (IP SAN without SNI), client certificate', () => {
    const json = envoyBootstrap({
      gateway: gatewayKey(),
      xdsAddress: '10.0.0.7:18000',
      tls: {
        ca: { file: '/etc/switchyard/ca.crt' },
        client: { certificateFile: '/etc/switchyard/tls.crt', keyFile: '/etc/switchyard/tls.key' },
      },
    });
    const decoded = envoyApi().toJson(
      BOOTSTRAP,
      envoyApi().decode(BOOTSTRAP, envoyApi().encode(BOOTSTRAP, json)),
    ) as { staticResources: { clusters: { transportSocket: { typedConfig: Record<string, unknown> } }[] } };
    const tls = decoded.staticResources.clusters[0]!.transportSocket.typedConfig as {
      sni?: string;
      commonTlsContext: {
        validationContext: { trustedCa: unknown; matchTypedSubjectAltNames: unknown[] };
        tlsCertificates: unknown[];
      };
    };
    expect(tls.sni).toBeUndefined();
    expect(tls.commonTlsContext.validationContext).toEqual({
      trustedCa: { filename: '/etc/switchyard/ca.crt' },
      matchTypedSubjectAltNames: [{ sanType: 'IP_ADDRESS', matcher: { exact: '10.0.0.7' } }],
    });
    expect(tls.commonTlsContext.tlsCertificates).toEqual([
      {
        certificateChain: { filename: '/etc/switchyard/tls.crt' },
        privateKey: { filename: '/etc/switchyard/tls.key' },
      },
    ]);
  });
});
