import { describe, expect, it } from 'vitest';
import { resourceKey } from '../../model/resources/resource-key.ts';
import { EXT_PROC_CLUSTER, EXT_PROC_FILTER } from './ai-gateway.ts';
import type { Json } from './envoy-types.ts';
import { gatewayIR, listener, port, route, rule, service } from './testdata/gateway-ir.ts';
import { translateGateway } from './translate-gateway.ts';

const modelMatch = {
  path: { type: 'PathPrefix', value: '/' },
  headers: [
    { type: 'Exact', name: 'x-ai-eg-model', value: 'gpt-4o' },
    { type: 'Exact', name: 'x-ai-eg-backend', value: 'default/ai/rule/0/ref/0' },
  ],
};
const aiRoute = {
  ...route('ai', [
    rule([service('openai', [9000])], { matches: [modelMatch], name: 'rule-0-ref-0' }),
    rule([], { name: 'ai-gateway-catch-all' }),
  ]),
  extProc: true,
};

function httpFilters(resources: ReturnType<typeof translateGateway>): Json[] {
  const listener = Object.values(resources.listeners)[0] as { filterChains: { filters: Json[] }[] };
  const hcm = listener.filterChains[0]!.filters[0]!.typedConfig as { httpFilters: Json[] };
  return hcm.httpFilters;
}

function accessLogs(resources: ReturnType<typeof translateGateway>): Json[] {
  const listener = Object.values(resources.listeners)[0] as { filterChains: { filters: Json[] }[] };
  return ((listener.filterChains[0]!.filters[0]!.typedConfig as Json).accessLog as Json[] | undefined) ?? [];
}

function routesOf(resources: ReturnType<typeof translateGateway>): Json[] {
  const config = Object.values(resources.routeConfigurations)[0] as { virtualHosts: { routes: Json[] }[] };
  return config.virtualHosts[0]!.routes;
}

describe('AIGatewayRoutes in the Envoy backend', () => {
  it('adds the ext_proc filter (off by default) and its cluster, and enables it on the AI routes only', () => {
    const ir = gatewayIR([
      port(8080, [
        listener('http', 'HTTP', [
          aiRoute,
          route('web', [
            rule([service('web', [9001])], { matches: [{ path: { type: 'PathPrefix', value: '/web' } }] }),
          ]),
        ]),
      ]),
    ]);
    const resources = translateGateway(ir, {}, { extProcAddress: 'unix:/run/extproc.sock' });
    const filters = httpFilters(resources);
    expect(filters.map((f) => [f.name, f.disabled])).toEqual([
      [EXT_PROC_FILTER, true],
      ['envoy.filters.http.cors', undefined],
      ['envoy.filters.http.router', undefined],
    ]);
    expect(resources.clusters[EXT_PROC_CLUSTER]).toMatchObject({
      type: 'STATIC',
      loadAssignment: {
        endpoints: [{ lbEndpoints: [{ endpoint: { address: { pipe: { path: '/run/extproc.sock' } } } }] }],
      },
    });
    const routes = routesOf(resources);
    expect(
      routes.map((r) => [r.name, Object.keys((r.typedPerFilterConfig as Json | undefined) ?? {})]),
    ).toEqual([
      ['default/web/rule/0/match/0', []],
      ['default/ai/rule/rule-0-ref-0/match/0', [EXT_PROC_FILTER]],
      ['default/ai/rule/ai-gateway-catch-all/match/0', [EXT_PROC_FILTER]],
    ]);
    expect(routes[1]).toMatchObject({
      match: {
        prefix: '/',
        headers: [
          { name: 'x-ai-eg-model', stringMatch: { exact: 'gpt-4o' } },
          { name: 'x-ai-eg-backend', stringMatch: { exact: 'default/ai/rule/0/ref/0' } },
        ],
      },
      route: { cluster: 'service/default/openai/8080' },
    });
    // The first pass reaches the service through the catch-all; a model it does not route ends in a 404.
    expect(routes[2]?.directResponse).toMatchObject({ status: 404 });
    expect(routes[2]?.route).toBeUndefined();
  });

  it('resolves a host name by DNS, and leaves Gateways without AI routes as they were', () => {
    const ai = translateGateway(
      gatewayIR([port(8080, [listener('http', 'HTTP', [aiRoute])])]),
      {},
      {
        extProcAddress: 'switchyard-extproc.ai.svc:1063',
      },
    );
    expect(ai.clusters[EXT_PROC_CLUSTER]).toMatchObject({
      type: 'STRICT_DNS',
      loadAssignment: {
        endpoints: [
          {
            lbEndpoints: [
              {
                endpoint: {
                  address: { socketAddress: { address: 'switchyard-extproc.ai.svc', portValue: 1063 } },
                },
              },
            ],
          },
        ],
      },
    });
    const plain = translateGateway(
      gatewayIR([port(8080, [listener('http', 'HTTP', [route('web', [rule([service('web', [9001])])])])])]),
      {},
    );
    expect(plain.clusters[EXT_PROC_CLUSTER]).toBeUndefined();
    expect(httpFilters(plain).map((f) => f.name)).not.toContain(EXT_PROC_FILTER);
    expect(accessLogs(plain)).toEqual([]);
  });

  it('logs each request of a listener with AI routes as JSON on stdout, with the io.envoy.ai_gateway metadata', () => {
    const ai = translateGateway(gatewayIR([port(8080, [listener('http', 'HTTP', [aiRoute])])]), {});
    expect(accessLogs(ai)).toMatchObject([
      {
        name: 'envoy.access_loggers.stdout',
        typedConfig: {
          '@type': 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog',
          logFormat: {
            jsonFormat: {
              status: '%RESPONSE_CODE%',
              model: '%REQ(x-ai-eg-model)%',
              backend: '%REQ(x-ai-eg-backend)%',
              ai_gateway: '%DYNAMIC_METADATA(io.envoy.ai_gateway)%',
            },
          },
        },
      },
    ]);
  });
});

describe('the request body limit of AI routes', () => {
  const limitOf = (resources: ReturnType<typeof translateGateway>) => {
    const envoyListener = Object.values(resources.listeners)[0] as Json;
    return [envoyListener.perConnectionBufferLimitBytes, envoyListener.metadata];
  };
  const metadata = (limit: string) => ({
    filterMetadata: { 'switchyard.dev/ai-gateway': { max_request_body_bytes: limit } },
  });

  it("is 4 MiB on a port with AI routes, for Envoy's buffer and (in the listener's metadata) for the service", () => {
    const resources = translateGateway(
      gatewayIR([port(8080, [listener('http', 'HTTP', [aiRoute])])]),
      {},
      {},
    );
    expect(limitOf(resources)).toEqual([4194304, metadata('4194304')]);
    const mode = (httpFilters(resources)[0]!.typedConfig as Json).processingMode as Json;
    expect(mode.requestBodyMode).toBe('BUFFERED');
    const web = translateGateway(
      gatewayIR([port(8080, [listener('http', 'HTTP', [route('web', [rule([service('web', [9001])])])])])]),
      {},
      {},
    );
    expect(limitOf(web)).toEqual([undefined, undefined]);
  });

  it("is the ClientTrafficPolicy's bufferLimit when one sets it", () => {
    const withPolicy = {
      ...listener('http', 'HTTP', [aiRoute]),
      clientTraffic: {
        policy: resourceKey('gateway.envoyproxy.io', 'ClientTrafficPolicy', 'default', 'buffers'),
        connection: { bufferLimitBytes: 65536 },
      },
    };
    const resources = translateGateway(gatewayIR([port(8080, [withPolicy])]), {}, {});
    expect(limitOf(resources)).toEqual([65536, metadata('65536')]);
  });
});

describe('AI Gateway fallback rules (backends at several priorities)', () => {
  const fallbackRule = rule(
    [
      service('anthropic', [9100], {
        tls: {
          policy: { group: '', kind: 'BackendTLSPolicy', namespace: 'default', name: 't' },
          hostname: 'api.anthropic.com',
          subjectAltNames: [],
          caCertificates: 'System',
        },
      }),
      service('openai-a', [9200]),
      service('openai-b', [9300], { weight: 3 }),
    ],
    {
      name: 'ai-gateway-fallback-0',
      matches: [
        {
          path: { type: 'PathPrefix', value: '/' },
          headers: [{ type: 'Exact', name: 'x-ai-eg-model', value: 'smart' }],
        },
      ],
      timeouts: { requestMs: 60_000 },
    },
  );
  const fallbackRoute = {
    ...route('ai', [
      {
        ...fallbackRule,
        priorityFallback: [
          { name: 'default/ai/rule/0/ref/0', priority: 0 },
          { name: 'default/ai/rule/0/ref/1', priority: 5 },
          { name: 'default/ai/rule/0/ref/2', priority: 5 },
        ],
      },
      rule([], { name: 'ai-gateway-catch-all' }),
    ]),
    extProc: true,
  };

  it('routes the model to one cluster, retrying the next priority, naming the answering backend in a header', () => {
    const resources = translateGateway(
      gatewayIR([port(8080, [listener('http', 'HTTP', [fallbackRoute])])]),
      {},
    );
    const [fallback] = routesOf(resources);
    expect(fallback).toMatchObject({
      name: 'default/ai/rule/ai-gateway-fallback-0/match/0',
      route: {
        cluster: 'ai-fallback/default/ai/rule/ai-gateway-fallback-0',
        timeout: '60s',
        retryPolicy: {
          retryOn: '5xx,reset,connect-failure,retriable-status-codes',
          retriableStatusCodes: [429],
          numRetries: 1,
          retryPriority: { name: 'envoy.retry_priorities.previous_priorities' },
        },
      },
      responseHeadersToAdd: [
        {
          header: {
            key: 'x-ai-eg-backend',
            value: '%UPSTREAM_METADATA(["aigateway.envoy.io","per_route_rule_backend_name"])%',
          },
        },
      ],
      typedPerFilterConfig: { [EXT_PROC_FILTER]: expect.anything() },
    });
  });

  it('makes the cluster a locality per backend at its priority rank, named in metadata, with the upstream ext_proc filter', () => {
    const resources = translateGateway(
      gatewayIR([port(8080, [listener('http', 'HTTP', [fallbackRoute])])]),
      {},
    );
    const name = 'ai-fallback/default/ai/rule/ai-gateway-fallback-0';
    const cluster = resources.clusters[name] as Json;
    expect(cluster).toMatchObject({
      type: 'EDS',
      commonLbConfig: { localityWeightedLbConfig: {} },
      transportSocketMatches: [
        {
          name: 'default/ai/rule/0/ref/0',
          match: { 'ai-backend': 'default/ai/rule/0/ref/0' },
          transportSocket: { name: 'envoy.transport_sockets.tls' },
        },
      ],
    });
    const protocol = (cluster.typedExtensionProtocolOptions as Json)[
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions'
    ] as Json;
    expect((protocol.httpFilters as Json[]).map((f) => f.name)).toEqual([
      EXT_PROC_FILTER,
      'envoy.filters.http.upstream_codec',
    ]);
    expect((protocol.httpFilters as Json[])[0]).toMatchObject({
      typedConfig: {
        processingMode: { requestBodyMode: 'BUFFERED', responseHeaderMode: 'SKIP', responseBodyMode: 'NONE' },
        requestAttributes: [
          "xds.upstream_host_metadata.filter_metadata['aigateway.envoy.io']['per_route_rule_backend_name']",
        ],
      },
    });
    const endpoints = (resources.clusterLoadAssignments[name] as { endpoints: Json[] }).endpoints;
    expect(endpoints.map((e) => [(e.locality as Json).subZone, e.priority, e.loadBalancingWeight])).toEqual([
      ['default/ai/rule/0/ref/0', 0, 1],
      ['default/ai/rule/0/ref/1', 1, 1],
      ['default/ai/rule/0/ref/2', 1, 3],
    ]);
    expect((endpoints[1]!.lbEndpoints as Json[])[0]).toMatchObject({
      endpoint: { address: { socketAddress: { portValue: 9200 } } },
      metadata: {
        filterMetadata: { 'aigateway.envoy.io': { per_route_rule_backend_name: 'default/ai/rule/0/ref/1' } },
      },
    });
  });

  it("presents the Gateway's backend client certificate to a TLS backend; without a usable one, sends it nothing", () => {
    const client = resourceKey('', 'Secret', 'default', 'gateway-client');
    const name = 'ai-fallback/default/ai/rule/ai-gateway-fallback-0';
    const ir = gatewayIR([port(8080, [listener('http', 'HTTP', [fallbackRoute])])]);
    const presented = translateGateway(
      { ...ir, backendClientCertificate: { secret: client } },
      { 'core/Secret/default/gateway-client': { certificateChain: 'CERT', privateKey: 'KEY' } },
    );
    const [match] = (presented.clusters[name] as { transportSocketMatches: Json[] }).transportSocketMatches;
    expect(match).toMatchObject({
      transportSocket: {
        typedConfig: {
          commonTlsContext: { tlsCertificateSdsSecretConfigs: [{ name: 'secret/default/gateway-client' }] },
        },
      },
    });
    expect(Object.keys(presented.secrets)).toEqual(['secret/default/gateway-client']);
    const refused = translateGateway({ ...ir, backendClientCertificate: { problem: 'Secret gone' } }, {});
    expect((refused.clusters[name] as Json).transportSocketMatches).toBeUndefined();
    const endpoints = (refused.clusterLoadAssignments[name] as { endpoints: Json[] }).endpoints;
    expect(endpoints.map((e) => [(e.locality as Json).subZone, (e.lbEndpoints as Json[]).length])).toEqual([
      ['default/ai/rule/0/ref/0', 0],
      ['default/ai/rule/0/ref/1', 1],
      ['default/ai/rule/0/ref/2', 1],
    ]);
  });

  it('resolves by DNS when a backend is an ExternalName Service; logs each attempt', () => {
    const external = {
      ...fallbackRoute,
      rules: [
        {
          ...fallbackRoute.rules[0]!,
          backends: [
            { ...service('provider', []), externalName: 'api.provider.example', port: 443 } as never,
            service('local', [9400]),
          ],
          priorityFallback: [
            { name: 'a', priority: 0 },
            { name: 'b', priority: 1 },
          ],
        },
      ],
    };
    const resources = translateGateway(gatewayIR([port(8080, [listener('http', 'HTTP', [external])])]), {});
    const cluster = resources.clusters['ai-fallback/default/ai/rule/ai-gateway-fallback-0'] as Json;
    expect(cluster).toMatchObject({
      type: 'STRICT_DNS',
      loadAssignment: {
        endpoints: [
          {
            priority: 0,
            lbEndpoints: [
              {
                endpoint: { address: { socketAddress: { address: 'api.provider.example', portValue: 443 } } },
              },
            ],
          },
          { priority: 1, lbEndpoints: [{ endpoint: { address: { socketAddress: { portValue: 9400 } } } }] },
        ],
      },
    });
    expect(
      resources.clusterLoadAssignments['ai-fallback/default/ai/rule/ai-gateway-fallback-0'],
    ).toBeUndefined();
    const router = httpFilters(resources).find((f) => f.name === 'envoy.filters.http.router')!;
    expect((router.typedConfig as Json).upstreamLog).toMatchObject([
      {
        typedConfig: {
          logFormat: {
            jsonFormat: {
              answered_by: '%UPSTREAM_METADATA(aigateway.envoy.io:per_route_rule_backend_name)%',
            },
          },
        },
      },
    ]);
  });
});
