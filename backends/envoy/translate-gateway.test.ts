import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envoyApi, TYPE_URL } from '../../protos/index.ts';
import { API_MATCH, tlsAndTcpPorts } from '../shared/testdata/kitchen-sink.ts';
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
} from './testdata/gateway-ir.ts';
import { type EnvoyResources, translateGateway } from './translate-gateway.ts';

const GOLDEN = new URL('./testdata/kitchen-sink.golden.json', import.meta.url);

function encodeAll(resources: EnvoyResources): number {
  const api = envoyApi();
  const families: [string, Readonly<Record<string, unknown>>][] = [
    [TYPE_URL.listener, resources.listeners],
    [TYPE_URL.listener, resources.grpcListeners],
    [TYPE_URL.routeConfiguration, resources.routeConfigurations],
    [TYPE_URL.cluster, resources.clusters],
    [TYPE_URL.clusterLoadAssignment, resources.clusterLoadAssignments],
    [TYPE_URL.secret, resources.secrets],
  ];
  let count = 0;
  for (const [typeUrl, byName] of families) {
    for (const json of Object.values(byName)) {
      const bytes = api.encode(typeUrl, json);
      expect(api.toJson(typeUrl, api.decode(typeUrl, bytes))).toBeTruthy();
      count++;
    }
  }
  return count;
}

const web = service('web', [9001]);
const cert = secretKey('web-cert');

function kitchenSink() {
  return gatewayIR([
    port(8080, [
      listener(
        'foo',
        'HTTP',
        [
          route('foo', [rule([web], { matches: [{ path: { type: 'Exact', value: '/exact' } }] })], {
            hostnames: ['foo.example.com'],
          }),
        ],
        { hostname: 'foo.example.com' },
      ),
      listener('any', 'HTTP', [
        route('everything', [
          rule([service('v1', [9002], { weight: 3 }), service('v2', [9003], { weight: 1 })], {
            matches: [API_MATCH],
            filters: [
              {
                type: 'RequestHeaderModifier',
                requestHeaderModifier: {
                  set: [{ name: 'x-set', value: '1' }],
                  add: [{ name: 'x-add', value: '2' }],
                  remove: ['x-drop'],
                },
              },
              {
                type: 'ResponseHeaderModifier',
                responseHeaderModifier: { set: [{ name: 'x-out', value: '3' }] },
              },
              {
                type: 'URLRewrite',
                urlRewrite: {
                  hostname: 'rewritten.example.com',
                  path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' },
                },
              },
              {
                type: 'RequestMirror',
                requestMirror: { backendRef: { name: 'mirror', port: 8080 }, percent: 50 },
              },
              {
                type: 'CORS',
                cors: {
                  allowOrigins: ['https://*.example.com', 'https://app.test'],
                  allowMethods: ['GET', 'POST'],
                  allowHeaders: ['x-a'],
                  exposeHeaders: ['x-b'],
                  maxAge: 600,
                  allowCredentials: true,
                },
              },
            ],
            mirrors: [service('mirror', [9004])],
            timeouts: { requestMs: 10_000, backendRequestMs: 2_000 },
            retry: { codes: [503], attempts: 2, backoffMs: 100 },
          }),
          rule([], {
            matches: [{ path: { type: 'RegularExpression', value: '/old/.*' } }],
            filters: [
              {
                type: 'RequestRedirect',
                requestRedirect: {
                  scheme: 'https',
                  hostname: 'new.example.com',
                  statusCode: 301,
                  path: { type: 'ReplaceFullPath', replaceFullPath: '/new' },
                },
              },
            ],
          }),
          rule([web, invalidBackend(1)], { matches: [{ path: { type: 'PathPrefix', value: '/half' } }] }),
          rule([invalidBackend()], { matches: [{ path: { type: 'PathPrefix', value: '/broken' } }] }),
          rule([service('h2c', [9005], { appProtocol: 'kubernetes.io/h2c' })], {
            matches: [{ path: { type: 'PathPrefix', value: '/h2c' } }],
          }),
        ]),
        route(
          'grpc',
          [
            rule([service('grpc', [9006])], {
              matches: [{ method: { type: 'Exact', service: 'echo.Echo', method: 'Say' } }],
            }),
            rule([service('grpc', [9006])], {
              matches: [{ method: { type: 'Exact', service: 'echo.Echo' } }],
            }),
            rule([service('grpc', [9006])], {
              matches: [{ method: { type: 'RegularExpression', service: 'echo\\..*', method: 'S.*' } }],
            }),
          ],
          { kind: 'GRPCRoute', hostnames: ['grpc.example.com'] },
        ),
      ]),
    ]),
    ...tlsAndTcpPorts(web, cert),
    port(
      9053,
      [
        listener('udp', 'UDP', [
          route('udp', [rule([service('udp', [9009], { protocol: 'UDP' })])], { kind: 'UDPRoute' }),
        ]),
      ],
      'UDP',
    ),
  ]);
}

const tls = tlsMaterial(cert, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n', 'KEY');

describe('translateGateway', () => {
  it('translates every feature into resources that encode as Envoy protobuf', () => {
    const resources = translateGateway(kitchenSink(), tls, { bindAddress: '127.0.0.1' });
    expect(resources.problems).toEqual([]);
    expect(Object.keys(resources.listeners)).toEqual(['tcp/8080', 'tcp/8443', 'tcp/9000', 'udp/9053']);
    expect(Object.keys(resources.secrets)).toEqual(['secret/default/web-cert']);
    expect(Object.keys(resources.grpcListeners)).toEqual(['grpc.example.com:8080']);
    expect(encodeAll(resources)).toBeGreaterThan(15);
  });

  it('matches the golden output', () => {
    const resources = translateGateway(kitchenSink(), tls, { bindAddress: '127.0.0.1' });
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN, `${JSON.stringify(resources, null, 2)}\n`);
    // Compared as data: the formatter may lay the file out its own way.
    expect(JSON.parse(JSON.stringify(resources))).toEqual(JSON.parse(readFileSync(GOLDEN, 'utf8')));
  });

  it('is deterministic', () => {
    expect(translateGateway(kitchenSink(), tls)).toEqual(translateGateway(kitchenSink(), tls));
  });

  it('orders routes exact > longest prefix > regex, then method, headers and query matches, then age', () => {
    const ir = gatewayIR([
      port(80, [
        listener('http', 'HTTP', [
          route('old', [
            rule([web], { matches: [{ path: { type: 'RegularExpression', value: '/r.*' } }] }),
            rule([web], { matches: [{ path: { type: 'PathPrefix', value: '/a' } }] }),
            rule([web], { matches: [{ path: { type: 'PathPrefix', value: '/a/b' } }] }),
          ]),
          route('new', [
            rule([web], {
              matches: [{ path: { type: 'PathPrefix', value: '/a' }, headers: [{ name: 'h', value: '1' }] }],
            }),
            rule([web], { matches: [{ path: { type: 'PathPrefix', value: '/a' }, method: 'GET' }] }),
            rule([web], { matches: [{ path: { type: 'Exact', value: '/z' } }] }),
            rule([web], {
              matches: [
                {
                  path: { type: 'PathPrefix', value: '/a' },
                  headers: [{ name: 'h', value: '1' }],
                  queryParams: [{ name: 'q', value: '1' }],
                },
              ],
            }),
            rule([web], { matches: [{ path: { type: 'PathPrefix', value: '/a' } }] }),
          ]),
        ]),
      ]),
    ]);
    const config = translateGateway(ir, {}).routeConfigurations['http/80'] as {
      virtualHosts: { routes: { name: string }[] }[];
    };
    const names = config.virtualHosts[0]!.routes.map((r) =>
      r.name.replace('default/', '').replace('/match/0', ''),
    );
    expect(names).toEqual([
      'new/rule/2', // exact
      'old/rule/2', // longest prefix
      'new/rule/1', // method
      'new/rule/3', // header + query
      'new/rule/0', // header
      'old/rule/1', // older of two equal prefixes
      'new/rule/4',
      'old/rule/0', // regex last
    ]);
  });

  it('answers 500 for the weight share of invalid backends, and for all of it when none is valid', () => {
    const resources = translateGateway(
      gatewayIR([
        port(80, [
          listener('http', 'HTTP', [
            route('r', [
              rule([web, invalidBackend(3)], { index: 0 }),
              rule([invalidBackend()], { index: 1, matches: [{ path: { type: 'Exact', value: '/x' } }] }),
            ]),
          ]),
        ]),
      ]),
      {},
    );
    const routes = (
      resources.routeConfigurations['http/80'] as { virtualHosts: { routes: Record<string, unknown>[] }[] }
    ).virtualHosts[0]!.routes;
    expect(routes[0]).toMatchObject({ match: { path: '/x' }, directResponse: { status: 500 } });
    expect(routes[1]).toMatchObject({
      match: {
        prefix: '/',
        runtimeFraction: { defaultValue: { numerator: 750_000, denominator: 'MILLION' } },
      },
      directResponse: { status: 500 },
    });
    expect(routes[2]).toMatchObject({
      match: { prefix: '/' },
      route: { cluster: 'service/default/web/8080' },
    });
  });

  it('isolates listeners: a hostname belongs to the most specific listener covering it', () => {
    const ir = gatewayIR([
      port(80, [
        listener('exact', 'HTTP', [route('on-exact', [rule([web])])], { hostname: 'a.example.com' }),
        listener(
          'wild',
          'HTTP',
          [route('on-wild', [rule([web])], { hostnames: ['a.example.com', 'b.example.com'] })],
          { hostname: '*.example.com' },
        ),
        listener('any', 'HTTP', [route('on-any', [rule([web])])]),
      ]),
    ]);
    const config = translateGateway(ir, {}).routeConfigurations['http/80'] as {
      virtualHosts: { name: string; routes: { name: string }[] }[];
    };
    const hosts = Object.fromEntries(config.virtualHosts.map((h) => [h.name, h.routes.map((r) => r.name)]));
    expect(hosts).toEqual({
      '*': ['default/on-any/rule/0/match/0'],
      'a.example.com': ['default/on-exact/rule/0/match/0'],
      'b.example.com': ['default/on-wild/rule/0/match/0'],
    });
  });

  it('reports an HTTPS listener whose certificate material is missing instead of referencing a secret that never comes', () => {
    const ir = gatewayIR([
      port(443, [
        listener('s', 'HTTPS', [route('r', [rule([web])])], {
          tls: { mode: 'Terminate', certificates: [cert] },
        }),
      ]),
    ]);
    const resources = translateGateway(ir, {});
    expect(resources.listeners).toEqual({});
    expect(resources.problems).toEqual([
      expect.stringContaining('no TLS material for core/Secret/default/web-cert'),
    ]);
  });

  it('leaves the well-known port of the redirect scheme out of Location, and keeps any other', () => {
    const redirect = (requestRedirect: Record<string, unknown>) => ({
      type: 'RequestRedirect',
      requestRedirect,
    });
    const ir = gatewayIR([
      port(443, [
        listener('s', 'HTTPS', [route('r', [rule([], { filters: [redirect({ hostname: 'x.test' })] })])], {
          tls: { mode: 'Terminate', certificates: [cert] },
        }),
      ]),
      port(8080, [
        listener('h', 'HTTP', [
          route('r', [
            rule([], { filters: [redirect({ scheme: 'https' })] }),
            rule([], {
              matches: [{ path: { type: 'Exact', value: '/p' } }],
              filters: [redirect({ hostname: 'y.test' })],
            }),
          ]),
        ]),
      ]),
    ]);
    const resources = translateGateway(ir, tls);
    const redirects = (name: string) =>
      (
        resources.routeConfigurations[name] as { virtualHosts: { routes: { redirect: unknown }[] }[] }
      ).virtualHosts[0]!.routes.map((r) => r.redirect);
    expect(redirects('https/443/Gateway/default/gw/s')).toEqual([
      { responseCode: 'FOUND', hostRedirect: 'x.test' },
    ]);
    expect(redirects('http/8080')).toEqual([
      { responseCode: 'FOUND', hostRedirect: 'y.test', portRedirect: 8080 },
      { responseCode: 'FOUND', schemeRedirect: 'https' },
    ]);
  });

  it('names Envoy routes after named route rules', () => {
    const ir = gatewayIR([
      port(80, [
        listener('h', 'HTTP', [
          route('r', [
            rule([web], { name: 'checkout' }),
            rule([web], { matches: [{ path: { type: 'Exact', value: '/x' } }] }),
          ]),
        ]),
      ]),
    ]);
    const config = translateGateway(ir, {}).routeConfigurations['http/80'] as {
      virtualHosts: { routes: { name: string }[] }[];
    };
    expect(config.virtualHosts[0]!.routes.map((r) => r.name)).toEqual([
      'default/r/rule/1/match/0',
      'default/r/rule/checkout/match/0',
    ]);
  });

  it('rewrites a prefix to / without leaving a double slash', () => {
    const ir = gatewayIR([
      port(80, [
        listener('h', 'HTTP', [
          route('r', [
            rule([web], {
              matches: [{ path: { type: 'PathPrefix', value: '/strip' } }],
              filters: [
                {
                  type: 'URLRewrite',
                  urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } },
                },
              ],
            }),
          ]),
        ]),
      ]),
    ]);
    const config = translateGateway(ir, {}).routeConfigurations['http/80'] as {
      virtualHosts: { routes: { route: unknown }[] }[];
    };
    expect(config.virtualHosts[0]!.routes[0]!.route).toMatchObject({
      regexRewrite: { pattern: { regex: '^\\/strip/*' }, substitution: '/' },
    });
  });
});
