import { describe, expect, test } from 'vitest';
import { envoyApi, typeUrlOf } from './envoy-api.ts';
import { envoyApiFiles, protoIncludeDirs } from './envoy-api-sources.ts';
import { TYPE_URL } from './type-urls.ts';

const HCM =
  'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

// Proto3 JSON as a translator writes it: lowerCamelCase names, Any with "@type", durations as strings.
const listener = {
  name: 'gateway/http',
  address: { socketAddress: { address: '0.0.0.0', portValue: 8080 } },
  filterChains: [
    {
      filters: [
        {
          name: 'envoy.filters.network.http_connection_manager',
          typedConfig: {
            '@type': HCM,
            statPrefix: 'http',
            rds: { routeConfigName: 'gateway/http', configSource: { ads: {}, resourceApiVersion: 'V3' } },
            streamIdleTimeout: '1.500s',
            httpFilters: [
              {
                name: 'envoy.filters.http.router',
                typedConfig: {
                  '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
                },
              },
            ],
          },
        },
      ],
    },
  ],
};

describe('envoyApi', () => {
  test('is loaded once and shared', () => {
    const api = envoyApi();
    expect(envoyApi()).toBe(api);
    expect(api.loadMillis).toBeGreaterThan(0);
  });

  test('packs proto3 JSON into an Any and unpacks it back unchanged', () => {
    const any = envoyApi().pack(TYPE_URL.listener, listener);
    expect(any.type_url).toBe(TYPE_URL.listener);
    expect(envoyApi().unpack(any)).toEqual(listener);
  });

  test('encodes nested Any fields as real messages, readable with the field names of the .proto', () => {
    const api = envoyApi();
    const decoded = api.decode(TYPE_URL.listener, api.encode(TYPE_URL.listener, listener)) as unknown as {
      filter_chains: Array<{ filters: Array<{ typed_config: { type_url: string; value: Uint8Array } }> }>;
    };
    const typedConfig = decoded.filter_chains[0]!.filters[0]!.typed_config;
    expect(typedConfig.type_url).toBe(HCM);
    const hcm = api.decode(HCM, typedConfig.value) as unknown as {
      stat_prefix: string;
      stream_idle_timeout: { seconds: unknown; nanos: number };
    };
    expect(hcm.stat_prefix).toBe('http');
    expect(hcm.stream_idle_timeout.nanos).toBe(500_000_000);
  });

  test('accepts the .proto field names in JSON as well as lowerCamelCase', () => {
    const api = envoyApi();
    const json = { cluster_name: 'echo', endpoints: [{ lb_endpoints: [{ endpoint: { address: {} } }] }] };
    expect(
      api.toJson(TYPE_URL.clusterLoadAssignment, api.fromJson(TYPE_URL.clusterLoadAssignment, json)),
    ).toEqual({
      clusterName: 'echo',
      endpoints: [{ lbEndpoints: [{ endpoint: { address: {} } }] }],
    });
  });

  test.each([
    'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
    'envoy.extensions.filters.udp.udp_proxy.v3.UdpProxyConfig',
    'envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor',
    'envoy.extensions.filters.http.cors.v3.CorsPolicy',
    'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
    'envoy.extensions.transport_sockets.tls.v3.Secret',
    'envoy.service.discovery.v3.DeltaDiscoveryRequest',
    'envoy.config.bootstrap.v3.Bootstrap',
    'envoy.admin.v3.ConfigDump',
    'xds.type.v3.TypedStruct',
  ])('knows %s', (name) => {
    expect(envoyApi().messageType(typeUrlOf(name)).fullName).toBe(`.${name}`);
  });

  test("encodes a rate limit filter's per-route rate limits as Envoy's API defines them now, costs included", () => {
    // The shipped protos give RateLimitPerRoute.rate_limits an older message with other field numbers: Envoy
    // would read none of these fields.
    const url = typeUrlOf('envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute');
    const perRoute = {
      rateLimits: [
        {
          actions: [{ genericKey: { descriptorKey: 'rule', descriptorValue: 'budget' } }],
          hitsAddend: { format: '%DYNAMIC_METADATA(io.envoy.ai_gateway:llm_total_token)%' },
          applyOnStreamDone: true,
        },
      ],
    };
    const api = envoyApi();
    expect(api.toJson(url, api.decode(url, api.encode(url, perRoute)))).toEqual(perRoute);
    const routeRateLimit = typeUrlOf('envoy.config.route.v3.RateLimit');
    const decoded = api.decode(routeRateLimit, api.encode(url, perRoute).subarray(2));
    expect(api.toJson(routeRateLimit, decoded)).toEqual(perRoute.rateLimits[0]);
  });

  test('names the type when no shipped proto defines it', () => {
    expect(() => envoyApi().encode('type.googleapis.com/envoy.api.v2.Listener', {})).toThrow(
      /unknown Envoy API message type 'envoy.api.v2.Listener'/,
    );
  });

  test('rejects JSON that does not fit the message, naming the field', () => {
    expect(() => envoyApi().encode(TYPE_URL.cluster, { connectTimeout: 'soon' })).toThrow(
      /connectTimeout|Duration/,
    );
  });
});

describe('envoyApiFiles', () => {
  test('keeps files whose imports are shipped and leaves out those that need missing protos', () => {
    const files = envoyApiFiles(protoIncludeDirs());
    expect(files).toContain('envoy/service/discovery/v3/ads.proto');
    expect(files).toContain('envoy/extensions/filters/http/ext_proc/v3/ext_proc.proto');
    // Needs opencensus protos, which @grpc/grpc-js-xds does not ship.
    expect(files).not.toContain('envoy/config/trace/v3/opencensus.proto');
    // The v2 API itself is not shipped, so nothing that imports it can load.
    expect(files).not.toContain('envoy/service/discovery/v2/ads.proto');
  });
});
