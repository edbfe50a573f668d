import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { HTTPRouteFilterIR } from '../../model/ir/envoy-gateway.ts';
import type { ClientTrafficIR } from '../../model/ir/policies.ts';
import { formatResourceKey } from '../../model/resources/resource-key.ts';
import { agentgatewayApi } from '../../protos/agentgateway-api.ts';
import {
  gatewayIR,
  invalidBackend,
  listener,
  port,
  route,
  rule,
  secretKey,
  service,
  tlsMaterial,
} from '../envoy/testdata/gateway-ir.ts';
import { API_MATCH, tlsAndTcpPorts } from '../shared/testdata/kitchen-sink.ts';
import { type AgentgatewayResources, translateGateway } from './translate-gateway.ts';

const GOLDEN = new URL('./testdata/kitchen-sink.golden.json', import.meta.url);
const BIND = '8080/default/gw';
const HTTP_LISTENER = `${BIND}/Gateway/default/gw/http`;
const web = service('web', [9001]);
const cert = secretKey('web-cert');
const tls = tlsMaterial(cert, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', 'KEY');

/** Every resource through the wire format and back: what the proxy would decode. */
function roundTrip(resources: AgentgatewayResources): number {
  const api = agentgatewayApi();
  const families: [string, Readonly<Record<string, unknown>>][] = [
    ['bind', resources.binds],
    ['listener', resources.listeners],
    ['route', resources.routes],
    ['tcpRoute', resources.tcpRoutes],
    ['backend', resources.backends],
    ['service', resources.services],
    ['workload', resources.workloads],
  ];
  let count = 0;
  for (const [field, byKey] of families) {
    for (const json of Object.values(byKey)) {
      const decoded = api.decodeResource(api.encodeResource({ [field]: json })) as Record<string, unknown>;
      expect(Object.keys(decoded)).toEqual([field]);
      count++;
    }
  }
  return count;
}

/** One HTTP listener on 8080 with the given rules on route `r`. */
function httpGateway(rules: Parameters<typeof route>[1], hostnames: readonly string[] = []) {
  return gatewayIR([port(8080, [listener('http', 'HTTP', [route('r', rules, { hostnames })])])]);
}

function onlyRoute(resources: AgentgatewayResources): Record<string, unknown> {
  const routes = Object.values(resources.routes);
  expect(routes).toHaveLength(1);
  return routes[0] as Record<string, unknown>;
}

function kitchenSink() {
  return gatewayIR([
    port(8080, [
      listener('foo', 'HTTP', [route('foo', [rule([web])], { hostnames: ['foo.example.com'] })], {
        hostname: 'foo.example.com',
      }),
      listener('http', 'HTTP', [
        route('everything', [
          rule([service('v1', [9002, 9003], { weight: 3 }), service('v2', [9004], { weight: 1 })], {
            matches: [API_MATCH],
            filters: [
              {
                type: 'RequestHeaderModifier',
                requestHeaderModifier: { set: [{ name: 'x-set', value: '1' }], remove: ['x-drop'] },
              },
              {
                type: 'URLRewrite',
                urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' } },
              },
              {
                type: 'RequestMirror',
                requestMirror: { backendRef: { name: 'mirror', port: 8080 }, percent: 50 },
              },
              { type: 'CORS', cors: { allowOrigins: ['https://app.test'], maxAge: 600 } },
            ],
            mirrors: [service('mirror', [9005])],
            timeouts: { requestMs: 10_000, backendRequestMs: 2_500 },
            retry: { codes: [503], attempts: 2, backoffMs: 100 },
          }),
          rule([web, invalidBackend(1)], { matches: [{ path: { type: 'PathPrefix', value: '/half' } }] }),
        ]),
        route(
          'grpc',
          [
            rule([service('grpc', [9006])], {
              matches: [{ method: { type: 'Exact', service: 'echo.Echo', method: 'Say' } }],
            }),
          ],
          { kind: 'GRPCRoute', hostnames: ['grpc.example.com'] },
        ),
      ]),
    ]),
    ...tlsAndTcpPorts(web, cert),
  ]);
}

const TLS_POLICY = {
  group: 'gateway.networking.k8s.io',
  kind: 'BackendTLSPolicy',
  namespace: 'default',
  name: 'p',
};

describe('agentgateway translateGateway', () => {
  it('translates every feature into resources that encode with our agentgateway protos', () => {
    const resources = translateGateway(kitchenSink(), tls);
    expect(resources.problems).toEqual([]);
    expect(Object.keys(resources.binds)).toEqual(['8080/default/gw', '8443/default/gw', '9000/default/gw']);
    expect(roundTrip(resources)).toBe(3 + 5 + 5 + 2 + 8);
  });

  it('matches the golden output', () => {
    const resources = translateGateway(kitchenSink(), tls);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, `${JSON.stringify(resources, null, 2)}\n`);
    expect(JSON.parse(JSON.stringify(resources))).toEqual(JSON.parse(readFileSync(GOLDEN, 'utf8')));
  });

  it('is deterministic', () => {
    expect(translateGateway(kitchenSink(), tls)).toEqual(translateGateway(kitchenSink(), tls));
  });

  it('binds per port with the protocol its listeners need, listeners pointing to their bind', () => {
    const resources = translateGateway(kitchenSink(), tls);
    expect(Object.values(resources.binds).map((b) => [b.port, b.protocol])).toEqual([
      [8080, 'HTTP'],
      [8443, 'TLS'],
      [9000, 'TCP'],
    ]);
    expect(resources.listeners[HTTP_LISTENER]).toEqual({
      key: HTTP_LISTENER,
      bindKey: BIND,
      name: { gatewayName: 'gw', gatewayNamespace: 'default', listenerName: 'http' },
      protocol: 'HTTP',
    });
    expect(resources.listeners[`${BIND}/Gateway/default/gw/foo`]?.hostname).toBe('foo.example.com');
  });

  it('terminates TLS with the certificate and key of the change, inline', () => {
    const listenerJson = translateGateway(kitchenSink(), tls).listeners[
      '8443/default/gw/Gateway/default/gw/secure'
    ];
    expect(listenerJson?.protocol).toBe('HTTPS');
    const material = listenerJson?.tls as { cert: string; privateKey: string };
    expect(Buffer.from(material.cert, 'base64').toString()).toContain('BEGIN CERTIFICATE');
    expect(Buffer.from(material.privateKey, 'base64').toString()).toBe('KEY');
  });

  it('leaves out a TLS listener whose certificate material is missing, and says so on it', () => {
    const resources = translateGateway(kitchenSink(), {});
    expect(resources.listeners['8443/default/gw/Gateway/default/gw/secure']).toBeUndefined();
    expect(resources.problems).toEqual([
      `8443/default/gw/Gateway/default/gw/secure: no TLS material for core/Secret/default/web-cert; listener not programmed`,
    ]);
    expect(resources.unsupported).toEqual([
      {
        listener: { owner: expect.objectContaining({ name: 'gw' }), name: 'secure' },
        severity: 'dropped',
        message:
          'the agentgateway data plane: no TLS material for core/Secret/default/web-cert; listener not programmed',
      },
    ]);
  });

  it('serves one certificate per listener and warns on the listener about the others', () => {
    const other = secretKey('other-cert');
    const resources = translateGateway(
      gatewayIR([
        port(8443, [
          listener('https', 'HTTPS', [route('r', [rule([web])])], {
            tls: { mode: 'Terminate', certificates: [cert, other] },
          }),
        ]),
      ]),
      { ...tls, ...tlsMaterial(other, 'OTHER', 'OTHER-KEY') },
    );
    expect(Object.values(resources.listeners)[0]?.tls).toMatchObject({
      privateKey: Buffer.from('KEY').toString('base64'),
    });
    expect(resources.unsupported).toEqual([
      {
        listener: { owner: expect.objectContaining({ name: 'gw' }), name: 'https' },
        severity: 'warning',
        message:
          'agentgateway takes one certificate per listener; serving core/Secret/default/web-cert and ignoring tls.certificateRefs[1] core/Secret/default/other-cert',
      },
    ]);
  });

  it('translates path, header, query and method matches', () => {
    const translated = onlyRoute(
      translateGateway(
        httpGateway([
          rule([web], {
            matches: [
              { path: { type: 'Exact', value: '/exact' }, method: 'GET' },
              { path: { type: 'RegularExpression', value: '/re/.*' } },
              {
                path: { type: 'PathPrefix', value: '/pre/' },
                headers: [
                  { type: 'Exact', name: 'x-a', value: '1' },
                  { type: 'Exact', name: 'X-A', value: 'ignored: same name' },
                ],
                queryParams: [{ type: 'RegularExpression', name: 'q', value: 'a+' }],
              },
            ],
          }),
        ]),
        {},
      ),
    );
    expect(translated.matches).toEqual([
      { path: { exact: '/exact' }, method: { exact: 'GET' } },
      { path: { regex: '/re/.*' } },
      {
        path: { pathPrefix: '/pre' },
        headers: [{ name: 'x-a', exact: '1' }],
        queryParams: [{ name: 'q', regex: 'a+' }],
      },
    ]);
  });

  it('translates gRPC method matches into paths', () => {
    const grpc = (method: Record<string, string>) =>
      onlyRoute(
        translateGateway(
          gatewayIR([
            port(8080, [
              listener('http', 'HTTP', [
                route('g', [rule([web], { matches: [{ method }] })], { kind: 'GRPCRoute' }),
              ]),
            ]),
          ]),
          {},
        ),
      ).matches;
    expect(grpc({ type: 'Exact', service: 's.S', method: 'M' })).toEqual([{ path: { exact: '/s.S/M' } }]);
    expect(grpc({ type: 'Exact', service: 's.S' })).toEqual([{ path: { pathPrefix: '/s.S' } }]);
    expect(grpc({ type: 'Exact', method: 'M.x' })).toEqual([{ path: { regex: '/[^/]+/M\\.x' } }]);
    expect(grpc({ type: 'RegularExpression', service: 's\\..*', method: 'M.*' })).toEqual([
      { path: { regex: '/s\\..*/M.*' } },
    ]);
  });

  it('spreads a weight over the endpoints and keeps the proportions between backendRefs', () => {
    const resources = translateGateway(
      httpGateway([rule([service('a', [1, 2], { weight: 3 }), service('b', [3, 4, 5], { weight: 1 })])]),
      {},
    );
    const weights = (onlyRoute(resources).backends as { backend: { backend: string }; weight: number }[]).map(
      (b) => [b.backend.backend, b.weight],
    );
    // lcm(2, 3) = 6: a's 3 → 9 per endpoint (18 in all), b's 1 → 2 per endpoint (6 in all): 3:1.
    expect(weights).toEqual([
      ['service/default/a/8080/127.0.0.1:1', 9],
      ['service/default/a/8080/127.0.0.1:2', 9],
      ['service/default/b/8080/127.0.0.1:3', 2],
      ['service/default/b/8080/127.0.0.1:4', 2],
      ['service/default/b/8080/127.0.0.1:5', 2],
    ]);
    expect(resources.backends['service/default/a/8080/127.0.0.1:1']).toEqual({
      key: 'service/default/a/8080/127.0.0.1:1',
      name: { name: 'a', namespace: 'default' },
      static: { host: '127.0.0.1', port: 1 },
    });
  });

  it('gives an invalid backend its share on an unpublished backend key (agentgateway answers 500)', () => {
    const resources = translateGateway(httpGateway([rule([web, invalidBackend(3)])]), {});
    const backends = onlyRoute(resources).backends as { backend: { backend: string }; weight: number }[];
    expect(backends.map((b) => b.weight)).toEqual([1, 3]);
    expect(backends[1]!.backend.backend).toMatch(/^unavailable\//);
    expect(resources.backends[backends[1]!.backend.backend]).toBeUndefined();
  });

  it('serves a rule with sessionPersistence without it, and says so on the rule (a warning)', () => {
    const sticky = { ...rule([web]), sessionPersistence: { type: 'Header' as const, name: 'x-session' } };
    const resources = translateGateway(httpGateway([sticky]), {});
    expect(onlyRoute(resources).backends).toBeDefined();
    expect(resources.unsupported).toMatchObject([
      { rule: 0, severity: 'warning', message: expect.stringContaining('without its sessionPersistence') },
    ]);
  });

  it('answers 500 directly when no backend is usable', () => {
    for (const backends of [[invalidBackend()], [], [service('zero', [1], { weight: 0 })]]) {
      const translated = onlyRoute(translateGateway(httpGateway([rule(backends)]), {}));
      expect(translated.backends).toBeUndefined();
      expect(translated.trafficPolicies).toEqual([{ directResponse: { status: 500 } }]);
    }
  });

  it('never makes an AIGatewayRoute a Route: its requests go only through the model table (ai.test.ts)', () => {
    const aiRoute = {
      ...route('models', [
        rule([web], { matches: [{ headers: [{ type: 'Exact', name: 'x-ai-eg-model', value: 'gpt-4o' }] }] }),
        rule([], { name: 'ai-gateway-catch-all' }),
      ]),
      extProc: true,
    };
    const resources = translateGateway(gatewayIR([port(8080, [listener('http', 'HTTP', [aiRoute])])]), {});
    // Without its `ai` part (models and providers) nothing of it is sent: never a request to the provider's
    // Service untranslated and without the backend's credentials, as a plain route would forward it.
    expect(resources.routes).toEqual({});
    expect(resources.modelRoutes).toEqual({});
    expect(resources.backends).toEqual({});
  });

  it('answers redirects without backends, with the spec port rules', () => {
    const redirect = (requestRedirect: Record<string, unknown>) =>
      onlyRoute(
        translateGateway(
          httpGateway([rule([], { filters: [{ type: 'RequestRedirect', requestRedirect }] })]),
          {},
        ),
      ).trafficPolicies;
    expect(redirect({ scheme: 'https', hostname: 'x.test', statusCode: 301 })).toEqual([
      { requestRedirect: { scheme: 'https', host: 'x.test', status: 301 } },
    ]);
    // No scheme: the listener's port (8080) stays in Location.
    expect(redirect({ path: { type: 'ReplaceFullPath', replaceFullPath: '/new' } })).toEqual([
      { requestRedirect: { full: '/new', port: 8080, status: 302 } },
    ]);
    expect(redirect({ port: 8443, path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/p' } })).toEqual([
      { requestRedirect: { prefix: '/p', port: 8443, status: 302 } },
    ]);
  });

  it('translates header modifiers, rewrites, mirrors, CORS, timeouts and retries as traffic policies', () => {
    const translated = translateGateway(kitchenSink(), tls).routes[
      `${HTTP_LISTENER}/HTTPRoute/default/everything/0`
    ];
    expect(translated?.trafficPolicies).toEqual([
      { requestHeaderModifier: { set: [{ name: 'x-set', value: '1' }], remove: ['x-drop'] } },
      { urlRewrite: { prefix: '/v2' } },
      { cors: { allowOrigins: ['https://app.test'], maxAge: '600s' } },
      {
        requestMirror: {
          mirrors: [{ backend: { backend: 'service/default/mirror/8080/127.0.0.1:9005' }, percentage: 50 }],
        },
      },
      { timeout: { request: '10s', backendRequest: '2.500s' } },
      { retry: { retryStatusCodes: [503], attempts: 2, backoff: '0.100s' } },
    ]);
  });

  it('turns per-backend header filters into backend policies', () => {
    const backend = {
      ...web,
      filters: [
        { type: 'RequestHeaderModifier', requestHeaderModifier: { add: [{ name: 'x-b', value: '1' }] } },
      ],
    };
    const translated = onlyRoute(translateGateway(httpGateway([rule([backend])]), {}));
    expect(translated.backends).toEqual([
      {
        backend: { backend: 'service/default/web/8080/127.0.0.1:9001' },
        weight: 1,
        backendPolicies: [{ requestHeaderModifier: { add: [{ name: 'x-b', value: '1' }] } }],
      },
    ]);
  });

  it('verifies TLS to a backend under a BackendTLSPolicy with its CA bundle, hostname and SANs', () => {
    const policy = TLS_POLICY;
    const secure = service('secure', [9443], {
      tls: {
        policy,
        hostname: 'secure.internal',
        subjectAltNames: [{ type: 'URI', value: 'spiffe://cluster/ns/default/sa/secure' }],
        caCertificates: [],
        caBundle: 'PEM',
      },
    });
    const system = service('system', [9444], {
      tls: { policy, hostname: 'system.internal', subjectAltNames: [], caCertificates: 'System' },
    });
    const resources = translateGateway(httpGateway([rule([secure, system])]), {});
    expect(resources.backends['service/default/secure/8080/127.0.0.1:9443']?.inlinePolicies).toEqual([
      {
        backendTls: {
          root: Buffer.from('PEM').toString('base64'),
          hostname: 'secure.internal',
          verifySubjectAltNames: ['spiffe://cluster/ns/default/sa/secure'],
        },
      },
    ]);
    expect(resources.backends['service/default/system/8080/127.0.0.1:9444']?.inlinePolicies).toEqual([
      { backendTls: { hostname: 'system.internal' } },
    ]);
    expect(roundTrip(resources)).toBe(5);
  });

  it('presents the Gateway’s backend client certificate to TLS backends; without its material they get nothing', () => {
    const policy = TLS_POLICY;
    const secure = service('secure', [9443], {
      tls: { policy, hostname: 'secure.internal', subjectAltNames: [], caCertificates: 'System' },
    });
    const plain = service('plain', [9000]);
    const client = secretKey('client');
    const ir = { ...httpGateway([rule([secure, plain])]), backendClientCertificate: { secret: client } };
    const presented = translateGateway(ir, tlsMaterial(client, 'CLIENT-CHAIN', 'CLIENT-KEY'));
    expect(presented.backends['service/default/secure/8080/127.0.0.1:9443']?.inlinePolicies).toEqual([
      {
        backendTls: {
          cert: Buffer.from('CLIENT-CHAIN').toString('base64'),
          key: Buffer.from('CLIENT-KEY').toString('base64'),
          hostname: 'secure.internal',
        },
      },
    ]);
    expect(roundTrip(presented)).toBeGreaterThan(0);
    // The Secret's material did not arrive: the TLS backend gets no traffic rather than a connection without it.
    const resources = translateGateway(ir, {});
    expect(Object.keys(resources.backends).filter((key) => key.includes('/secure/'))).toEqual([]);
    expect(Object.keys(resources.backends).filter((key) => key.includes('/plain/'))).toHaveLength(1);
    expect(resources.problems).toContainEqual(
      expect.stringMatching(/spec\.tls\.backend\.clientCertificateRef: no TLS material for .*client/),
    );
    const refused = translateGateway(
      { ...ir, backendClientCertificate: { problem: 'Secret default/client not found' } },
      {},
    );
    expect(Object.keys(refused.backends).filter((key) => key.includes('/secure/'))).toEqual([]);
  });

  it('speaks HTTP/2 to the backends of a GRPCRoute and to h2c or gRPC Services, as Envoy does; leaves others to agentgateway', () => {
    const resources = translateGateway(
      gatewayIR([
        port(8080, [
          listener('http', 'HTTP', [
            route('g', [rule([service('grpc', [9006])])], {
              kind: 'GRPCRoute',
              hostnames: ['g.example.com'],
            }),
            route('h', [
              rule([service('h2c', [9007], { appProtocol: 'kubernetes.io/h2c' }), service('plain', [9008])]),
            ]),
          ]),
        ]),
      ]),
      {},
    );
    const policiesOf = (name: string) =>
      Object.values(resources.routes)
        .flatMap((r) => r.backends as { backend: { backend: string }; backendPolicies?: unknown }[])
        .filter((b) => b.backend.backend.includes(`/${name}/`))
        .map((b) => b.backendPolicies);
    const http2 = [{ backendHttp: { version: 'HTTP2' } }];
    expect(policiesOf('grpc')).toEqual([http2]);
    expect(policiesOf('h2c')).toEqual([http2]);
    expect(policiesOf('plain')).toEqual([undefined]);
    expect(roundTrip(resources)).toBeGreaterThan(0);
  });

  it('routes TCP and TLS listeners with TCPRoutes, TLS ones by SNI hostname', () => {
    const resources = translateGateway(kitchenSink(), tls);
    expect(Object.values(resources.tcpRoutes).map((r) => [r.listenerKey, r.hostnames])).toEqual([
      ['8443/default/gw/Gateway/default/gw/pass', ['pass.example.com']],
      ['9000/default/gw/Gateway/default/gw/tcp', undefined],
    ]);
  });

  describe('Envoy Gateway HTTPRouteFilters', () => {
    const filterRef = (name: string, httpRouteFilter?: HTTPRouteFilterIR) => ({
      type: 'ExtensionRef',
      extensionRef: { group: 'gateway.envoyproxy.io', kind: 'HTTPRouteFilter', name },
      ...(httpRouteFilter === undefined ? { problem: 'not found' } : { httpRouteFilter }),
    });
    const key = { group: 'gateway.envoyproxy.io', kind: 'HTTPRouteFilter', namespace: 'default', name: 'f' };

    it('answers a direct response with its body, after the rule’s policies, its headers merged into the rule’s', () => {
      const translated = onlyRoute(
        translateGateway(
          httpGateway([
            rule([web], {
              filters: [
                {
                  type: 'ResponseHeaderModifier',
                  responseHeaderModifier: { set: [{ name: 'x-own', value: '1' }] },
                },
                filterRef('gone', {
                  filter: key,
                  directResponse: {
                    status: 410,
                    body: '{"gone":true}',
                    headers: {
                      set: [{ name: 'Content-Type', value: 'application/json' }],
                      add: [{ name: 'x-why', value: 'retired' }],
                    },
                  },
                }),
              ],
            }),
          ]),
          {},
        ),
      );
      expect(translated.backends).toBeUndefined();
      // agentgateway keeps one policy of a kind per route: one response header modifier, the filter's after the rule's.
      expect(translated.trafficPolicies).toEqual([
        {
          responseHeaderModifier: {
            add: [{ name: 'x-why', value: 'retired' }],
            set: [
              { name: 'x-own', value: '1' },
              { name: 'Content-Type', value: 'application/json' },
            ],
          },
        },
        { directResponse: { status: 410, body: Buffer.from('{"gone":true}').toString('base64') } },
      ]);
      const api = agentgatewayApi();
      const wire = api.decodeResource(api.encodeResource({ route: translated })) as {
        route: { trafficPolicies: { directResponse?: { status: number; body: string } }[] };
      };
      expect(Buffer.from(wire.route.trafficPolicies[1]!.directResponse!.body, 'base64').toString()).toBe(
        '{"gone":true}',
      );
    });

    it('injects a credential that replaces the request’s own before the rule’s own header edits, and forwards', () => {
      const translated = onlyRoute(
        translateGateway(
          httpGateway([
            rule([web], {
              filters: [
                {
                  type: 'RequestHeaderModifier',
                  requestHeaderModifier: { set: [{ name: 'x-own', value: '1' }] },
                },
                filterRef('token', {
                  filter: key,
                  credentialInjection: {
                    secret: secretKey('token'),
                    credential: 'Bearer upstream',
                    header: 'Authorization',
                    overwrite: true,
                  },
                }),
              ],
            }),
          ]),
          {},
        ),
      );
      expect(translated.trafficPolicies).toEqual([
        {
          requestHeaderModifier: {
            set: [
              { name: 'Authorization', value: 'Bearer upstream' },
              { name: 'x-own', value: '1' },
            ],
          },
        },
      ]);
      expect(translated.backends).toHaveLength(1);
    });

    it.each([
      [
        'a regex path rewrite',
        { filter: key, pathRegexRewrite: { pattern: '^/a/(.*)$', substitution: '/\\1' } },
        'spec.urlRewrite.path (ReplaceRegexMatch)',
      ],
      ['a Host rewrite', { filter: key, hostRewrite: { header: 'x-host' } }, 'spec.urlRewrite.hostname'],
      [
        'a credential the request’s own wins over',
        {
          filter: key,
          credentialInjection: {
            secret: secretKey('t'),
            credential: 'c',
            header: 'Authorization',
            overwrite: false,
          },
        },
        'spec.credentialInjection.overwrite false',
      ],
    ] as const)('answers 500 for %s and names the field on the route', (_what, filter, field) => {
      const resources = translateGateway(
        httpGateway([rule([web], { filters: [filterRef('f', filter as HTTPRouteFilterIR)] })]),
        {},
      );
      const translated = onlyRoute(resources);
      expect(translated.backends).toBeUndefined();
      expect(translated.trafficPolicies).toEqual([{ directResponse: { status: 500 } }]);
      expect(resources.unsupported).toEqual([
        {
          route: expect.objectContaining({ kind: 'HTTPRoute', name: 'r' }),
          rule: 0,
          severity: 'dropped',
          message: expect.stringContaining(
            `the agentgateway data plane answers this rule 500: spec.rules[0].filters[0].extensionRef: HTTPRouteFilter default/f ${field}`,
          ),
        },
      ]);
    });

    it('answers 500 for an HTTPRouteFilter on a backendRef (no per-backend injection there) and names it', () => {
      const injecting = {
        ...web,
        filters: [
          filterRef('f', {
            filter: key,
            credentialInjection: {
              secret: secretKey('t'),
              credential: 'c',
              header: 'x-key',
              overwrite: true,
            },
          }),
        ],
      } as typeof web;
      const resources = translateGateway(httpGateway([rule([injecting])]), {});
      expect(onlyRoute(resources).trafficPolicies).toEqual([{ directResponse: { status: 500 } }]);
      expect(resources.unsupported).toEqual([
        expect.objectContaining({
          rule: 0,
          message: expect.stringContaining(
            'spec.rules[0].backendRefs[0].filters[0].extensionRef: HTTPRouteFilter default/f on a backendRef: agentgateway has no per-backend credential injection',
          ),
        }),
      ]);
    });

    it('answers 500 for a filter the model could not resolve, as on Envoy (the model’s status says why)', () => {
      const resources = translateGateway(httpGateway([rule([web], { filters: [filterRef('missing')] })]), {});
      expect(onlyRoute(resources).trafficPolicies).toEqual([{ directResponse: { status: 500 } }]);
      expect(resources.unsupported).toEqual([]);
    });
  });

  it('answers a rule the model denied (a policy it could not enforce) with its status, never forwarding it', () => {
    const policy = {
      group: 'gateway.envoyproxy.io',
      kind: 'SecurityPolicy',
      namespace: 'default',
      name: 'jwt',
    };
    const protectedRule = { ...rule([web]), policies: { denied: { status: 503, policy, reason: 'x' } } };
    const resources = translateGateway(httpGateway([protectedRule]), {});
    const translated = onlyRoute(resources);
    expect(translated.backends).toBeUndefined();
    expect(translated.trafficPolicies).toEqual([{ directResponse: { status: 503 } }]);
  });

  describe('ClientTrafficPolicy', () => {
    const policy = {
      group: 'gateway.envoyproxy.io',
      kind: 'ClientTrafficPolicy',
      namespace: 'default',
      name: 'ctp',
    };
    const https = (clientTraffic: Record<string, unknown>) => ({
      ...listener('https', 'HTTPS', [route('r', [rule([web])])], {
        tls: { mode: 'Terminate', certificates: [cert] },
      }),
      clientTraffic: { policy, ...clientTraffic },
    });
    const TLS = { ciphers: [], ecdhCurves: [], signatureAlgorithms: [] };

    it('requires client certificates (mTLS) with the CA bundle, and narrows versions, ciphers and curves', () => {
      const resources = translateGateway(
        gatewayIR([
          port(8443, [
            https({
              tls: {
                ...TLS,
                minVersion: 'TLSv1_2',
                maxVersion: 'TLSv1_3',
                ciphers: ['ECDHE-RSA-AES128-GCM-SHA256'],
                ecdhCurves: ['X25519', 'P-256'],
                clientValidation: { required: true, caBundle: 'CA-PEM' },
              },
            }),
          ]),
        ]),
        tls,
      );
      const [only] = Object.values(resources.listeners);
      expect(only?.tls).toMatchObject({
        root: Buffer.from('CA-PEM').toString('base64'),
        mtlsMode: 'STRICT',
        minVersion: 'TLS_V1_2',
        maxVersion: 'TLS_V1_3',
        // Envoy's list governs TLS 1.2; TLS 1.3's suites stay on.
        cipherSuites: [
          'TLS_AES_256_GCM_SHA384',
          'TLS_AES_128_GCM_SHA256',
          'TLS_CHACHA20_POLY1305_SHA256',
          'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
        ],
        keyExchangeGroups: ['X25519', 'P256'],
      });
      expect(roundTrip(resources)).toBeGreaterThan(0);
      expect(resources.unsupported).toEqual([]);
    });

    it.each([
      [
        'optional client certificates',
        { tls: { ...TLS, clientValidation: { required: false, caBundle: 'CA' } } },
        /spec\.tls\.clientValidation\.optional/,
      ],
      ['TLS 1.1', { tls: { ...TLS, minVersion: 'TLSv1_1' } }, /spec\.tls\.minVersion: TLSv1_1/],
      [
        'a cipher agentgateway lacks',
        { tls: { ...TLS, ciphers: ['AES128-SHA'] } },
        /spec\.tls\.ciphers: AES128-SHA/,
      ],
      [
        'client IP detection',
        { clientIPDetection: { kind: 'xff', numTrustedHops: 1 } },
        /spec\.clientIPDetection/,
      ],
      ['timeouts', { timeout: { idleMs: 1000 } }, /spec\.timeout/],
    ])('does not program a listener with %s, and names the field on it', (_what, clientTraffic, text) => {
      const resources = translateGateway(gatewayIR([port(8443, [https(clientTraffic)])]), tls);
      expect(Object.keys(resources.listeners)).toEqual([]);
      expect(Object.keys(resources.routes)).toEqual([]);
      expect(resources.unsupported).toEqual([
        {
          listener: { owner: expect.objectContaining({ kind: 'Gateway', name: 'gw' }), name: 'https' },
          severity: 'dropped',
          message: expect.stringMatching(text),
        },
      ]);
      expect(resources.unsupported[0]?.message).toMatch(
        /^the agentgateway data plane does not program this listener: ClientTrafficPolicy default\/ctp /,
      );
      expect(resources.problems.join('\n')).toMatch(text);
    });
  });

  describe("the Gateway's client-certificate validation (spec.tls.frontend)", () => {
    const guarded = (mode: 'AllowValidOnly' | 'AllowInsecureFallback', clientTraffic?: ClientTrafficIR) => ({
      ...listener('https', 'HTTPS', [route('r', [rule([web])])], {
        tls: { mode: 'Terminate', certificates: [cert] },
      }),
      clientValidation: { mode, caBundle: 'GATEWAY-CA' },
      ...(clientTraffic === undefined ? {} : { clientTraffic }),
    });
    const root = Buffer.from('GATEWAY-CA').toString('base64');

    it.each([
      ['AllowValidOnly', 'STRICT'],
      ['AllowInsecureFallback', 'ALLOW_INSECURE_FALLBACK'],
    ] as const)('%s: the CA bundle as the listener’s root, mtls_mode %s', (mode, mtlsMode) => {
      const resources = translateGateway(gatewayIR([port(8443, [guarded(mode)])]), tls);
      const [only] = Object.values(resources.listeners);
      expect(only?.tls).toEqual({
        cert: Buffer.from(tls[formatResourceKey(cert)]!.certificateChain).toString('base64'),
        privateKey: Buffer.from('KEY').toString('base64'),
        root,
        mtlsMode,
      });
      expect(Object.keys(resources.routes)).toHaveLength(1);
      expect(resources.problems).toEqual([]);
      expect(roundTrip(resources)).toBeGreaterThan(0);
      const api = agentgatewayApi();
      const wire = api.decodeResource(api.encodeResource({ listener: only })) as {
        listener: { tls: Record<string, unknown> };
      };
      // STRICT is the enum's zero: proto3 JSON leaves it out, and agentgateway reads it as STRICT.
      expect(wire.listener.tls.mtlsMode ?? 'STRICT').toBe(mtlsMode);
    });

    it('replaces a ClientTrafficPolicy’s client validation, as on Envoy, and keeps its other TLS settings', () => {
      const policy = {
        group: 'gateway.envoyproxy.io',
        kind: 'ClientTrafficPolicy',
        namespace: 'default',
        name: 'ctp',
      };
      const resources = translateGateway(
        gatewayIR([
          port(8443, [
            guarded('AllowValidOnly', {
              policy,
              tls: {
                ciphers: [],
                ecdhCurves: [],
                signatureAlgorithms: [],
                minVersion: 'TLSv1_3',
                // Optional client certificates alone would leave the listener unprogrammed (see above).
                clientValidation: { required: false, caBundle: 'POLICY-CA' },
              },
            }),
          ]),
        ]),
        tls,
      );
      expect(resources.unsupported).toEqual([]);
      expect(Object.values(resources.listeners)[0]?.tls).toMatchObject({
        root,
        mtlsMode: 'STRICT',
        minVersion: 'TLS_V1_3',
      });
    });
  });

  it('reports UDP ports it cannot program, on the Gateway, the listener and its routes, instead of dropping them silently', () => {
    const resources = translateGateway(
      gatewayIR([
        port(8080, [listener('http', 'HTTP', [route('r', [rule([web])])])]),
        port(53, [listener('udp', 'UDP', [route('dns', [rule([web])], { kind: 'UDPRoute' })])], 'UDP'),
      ]),
      {},
    );
    expect(resources.problems).toEqual([
      'port 53/UDP: agentgateway does not proxy UDP; its listeners are not programmed',
    ]);
    const message =
      'the agentgateway data plane does not proxy UDP (its Bind protocols are HTTP, TLS and TCP)';
    expect(resources.unsupported).toEqual([
      {
        listener: { owner: expect.objectContaining({ name: 'gw' }), name: 'udp' },
        severity: 'dropped',
        message,
      },
      { route: expect.objectContaining({ kind: 'UDPRoute', name: 'dns' }), severity: 'dropped', message },
    ]);
  });
});
