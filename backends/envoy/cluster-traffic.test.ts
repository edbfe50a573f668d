// Clusters speaking HTTP/2 to their backends (appProtocol h2c, GRPCRoute backends, a BackendTrafficPolicy's http2
// settings) take Envoy Gateway's windows — 64 KiB per stream, 1 MiB per connection — unless a policy sets them;
// HTTP/1 clusters are left alone.
import { describe, expect, it } from 'vitest';
import type { ClusterTrafficIR } from '../../model/ir/traffic-policies.ts';
import { withClusterTraffic } from './cluster-traffic.ts';
import type { ClusterUse } from './cluster-use.ts';
import { encodeAll } from './testdata/encode-all.ts';
import { gatewayIR, listener, port, route, rule, service } from './testdata/gateway-ir.ts';
import { translateGateway } from './translate-gateway.ts';

const OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const DEFAULTS = { initialStreamWindowSize: 65536, initialConnectionWindowSize: 1048576 };
type Cluster = { name: string; typedExtensionProtocolOptions?: Record<string, Record<string, unknown>> };

describe('HTTP/2 to backends', () => {
  const resources = translateGateway(
    gatewayIR([
      port(8080, [
        listener('web', 'HTTP', [
          route('r', [
            rule([service('h2c-app', [9001], { appProtocol: 'kubernetes.io/h2c' })]),
            rule([service('plain-app', [9002])]),
          ]),
          route('g', [rule([service('grpc-app', [9003])])], { kind: 'GRPCRoute' }),
        ]),
      ]),
    ]),
    {},
  );
  const clusters = Object.values(resources.clusters) as Cluster[];
  const optionsOf = (name: string) =>
    clusters.find((c) => c.name.includes(name))?.typedExtensionProtocolOptions?.[OPTIONS];

  it("gives h2c and gRPC backends Envoy Gateway's stream and connection windows", () => {
    expect(optionsOf('h2c-app')?.explicitHttpConfig).toEqual({ http2ProtocolOptions: DEFAULTS });
    expect(optionsOf('grpc-app')?.explicitHttpConfig).toEqual({ http2ProtocolOptions: DEFAULTS });
    expect(optionsOf('plain-app')).toBeUndefined();
    expect(() => encodeAll(resources)).not.toThrow();
  });

  const use = (http2: boolean, traffic: Partial<ClusterTrafficIR>): ClusterUse =>
    ({ name: 'c', backend: service('app', [9001]), http2, traffic }) as unknown as ClusterUse;
  const withPolicy = (http2: boolean, traffic: Partial<ClusterTrafficIR>) =>
    (withClusterTraffic({ name: 'c' }, use(http2, traffic), []) as Cluster).typedExtensionProtocolOptions?.[
      OPTIONS
    ];

  it("keeps a BackendTrafficPolicy's HTTP/2 settings, the windows it leaves out taking the defaults", () => {
    expect(withPolicy(true, { http2: { maxConcurrentStreams: 50 } })?.explicitHttpConfig).toEqual({
      http2ProtocolOptions: { ...DEFAULTS, maxConcurrentStreams: 50 },
    });
    expect(
      withPolicy(true, { http2: { initialStreamWindowSize: 1 << 20, terminateStreamOnInvalidMessage: true } })
        ?.explicitHttpConfig,
    ).toEqual({
      http2ProtocolOptions: {
        initialStreamWindowSize: 1 << 20,
        initialConnectionWindowSize: 1048576,
        overrideStreamErrorOnInvalidHttpMessage: true,
      },
    });
    // Speaking the client's protocol: its HTTP/2 takes them too.
    expect(withPolicy(false, { useClientProtocol: true })?.useDownstreamProtocolConfig).toEqual({
      httpProtocolOptions: {},
      http2ProtocolOptions: DEFAULTS,
    });
    // A policy without HTTP settings adds no protocol options.
    expect(withPolicy(true, {})).toBeUndefined();
  });

  it("keeps the cluster's own options a policy does not set: a TLS Backend's SNI and certificate check by Host", () => {
    const tlsByHost = {
      name: 'c',
      typedExtensionProtocolOptions: {
        [OPTIONS]: {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          upstreamHttpProtocolOptions: { autoSni: true, autoSanValidation: true },
          commonHttpProtocolOptions: { maxHeadersCount: 50 },
          explicitHttpConfig: { httpProtocolOptions: {} },
        },
      },
    };
    const options = (
      withClusterTraffic(
        tlsByHost,
        use(false, { connectionIdleTimeoutMs: 30_000, useClientProtocol: true }),
        [],
      ) as Cluster
    ).typedExtensionProtocolOptions?.[OPTIONS];
    expect(options).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      upstreamHttpProtocolOptions: { autoSni: true, autoSanValidation: true },
      commonHttpProtocolOptions: { maxHeadersCount: 50, idleTimeout: '30s' },
      // One protocol choice (Envoy refuses two): the policy's.
      useDownstreamProtocolConfig: { httpProtocolOptions: {}, http2ProtocolOptions: DEFAULTS },
    });
  });
});
