// HTTPRoute features through a real Envoy programmed by the Envoy backend: matching, hostnames and listener
// isolation, redirects, rewrites, header modifiers, mirrors, weights, invalid backends and CORS — checking
// both the answer and what the echo backend saw.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  gatewayIR,
  invalidBackend,
  listener,
  port,
  route,
  rule,
  service,
} from '../../backends/envoy/testdata/gateway-ir.ts';
import { type EchoServer, startHttpEcho } from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { EnvoyBackendFixture } from './envoy-backend-fixture.ts';
import { answeredBy, httpRequest } from './http-client.ts';

const NAMES = [
  'exact',
  'prefix',
  'header',
  'query',
  'method',
  'regex',
  'mirror',
  'v1',
  'v2',
  'foo',
  'other',
] as const;
type Name = (typeof NAMES)[number];

describe.each([
  { protocol: 'delta', delta: true },
  { protocol: 'state-of-the-world', delta: false },
])('HTTP routing through Envoy ($protocol ADS)', ({ delta }) => {
  let fixture: EnvoyBackendFixture;
  let echo: Record<Name, EchoServer>;
  let gatewayPort: number;
  const backend = (name: Name, weight = 1) => service(name, [echo[name].port], { weight });
  /** A backend whose backendRef filters tag the request and the answer with its name. */
  const tagged = (name: Name) => ({
    ...backend(name),
    filters: [
      { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-chosen', value: name }] } },
      {
        type: 'ResponseHeaderModifier',
        responseHeaderModifier: { add: [{ name: 'x-chosen-answer', value: name }] },
      },
    ],
  });

  beforeAll(async () => {
    fixture = await EnvoyBackendFixture.start();
    echo = Object.fromEntries(
      await Promise.all(NAMES.map(async (n) => [n, await startHttpEcho(n)])),
    ) as Record<Name, EchoServer>;
    gatewayPort = await freePort();
    const prefix = (value: string, extra: Record<string, unknown> = {}) => [
      { path: { type: 'PathPrefix', value }, ...extra },
    ];
    const ir = gatewayIR([
      port(gatewayPort, [
        listener('foo', 'HTTP', [route('foo-only', [rule([backend('foo')])])], {
          hostname: 'foo.example.com',
        }),
        listener('web', 'HTTP', [
          route(
            'matching',
            [
              rule([backend('exact')], { matches: [{ path: { type: 'Exact', value: '/exact' } }] }),
              rule([backend('prefix')], { matches: prefix('/prefix') }),
              rule([backend('header')], {
                matches: prefix('/prefix', { headers: [{ type: 'Exact', name: 'x-pick', value: 'header' }] }),
              }),
              rule([backend('query')], {
                matches: prefix('/prefix', {
                  queryParams: [{ type: 'Exact', name: 'pick', value: 'query' }],
                }),
              }),
              rule([backend('method')], { matches: prefix('/prefix', { method: 'POST' }) }),
              rule([backend('regex')], {
                matches: [{ path: { type: 'RegularExpression', value: '/items/[0-9]+' } }],
              }),
            ],
            { hostnames: ['match.example.com'] },
          ),
          route(
            'filters',
            [
              rule([], {
                matches: prefix('/redirect-scheme'),
                filters: [
                  {
                    type: 'RequestRedirect',
                    requestRedirect: { scheme: 'https', hostname: 'secure.example.com', statusCode: 301 },
                  },
                ],
              }),
              rule([], {
                matches: prefix('/redirect-path'),
                filters: [
                  {
                    type: 'RequestRedirect',
                    requestRedirect: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/moved' } },
                  },
                ],
              }),
              rule([backend('other')], {
                matches: prefix('/rewrite'),
                filters: [
                  {
                    type: 'URLRewrite',
                    urlRewrite: {
                      hostname: 'rewritten.example.com',
                      path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/v2' },
                    },
                  },
                ],
              }),
              rule([backend('other')], {
                matches: prefix('/full'),
                filters: [
                  {
                    type: 'URLRewrite',
                    urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/replaced' } },
                  },
                ],
              }),
              rule([backend('other')], {
                matches: prefix('/headers'),
                filters: [
                  {
                    type: 'RequestHeaderModifier',
                    requestHeaderModifier: {
                      set: [{ name: 'x-set', value: 'set' }],
                      add: [{ name: 'x-add', value: 'added' }],
                      remove: ['x-drop'],
                    },
                  },
                  {
                    type: 'ResponseHeaderModifier',
                    responseHeaderModifier: {
                      set: [{ name: 'x-answer', value: 'modified' }],
                      remove: ['x-echo-remove-me'],
                    },
                  },
                ],
              }),
              rule([backend('other')], {
                matches: prefix('/mirror'),
                filters: [
                  { type: 'RequestMirror', requestMirror: { backendRef: { name: 'mirror', port: 8080 } } },
                ],
                mirrors: [backend('mirror')],
              }),
              rule([backend('other')], {
                matches: prefix('/cors'),
                filters: [
                  {
                    type: 'CORS',
                    cors: {
                      allowOrigins: ['https://app.example.com'],
                      allowMethods: ['GET', 'PUT'],
                      allowHeaders: ['x-custom'],
                      maxAge: 600,
                    },
                  },
                ],
              }),
              rule([backend('v1', 3), backend('v2', 1)], { matches: prefix('/split') }),
              rule([tagged('v1'), tagged('v2')], { matches: prefix('/per-backend-headers') }),
              rule([tagged('other')], { matches: prefix('/one-backend-headers') }),
              rule([backend('other', 1), invalidBackend(1)], { matches: prefix('/half-invalid') }),
              rule([invalidBackend()], { matches: prefix('/invalid') }),
            ],
            { hostnames: ['filters.example.com'] },
          ),
          route('shadowed', [rule([backend('other')])], { hostnames: ['foo.example.com'] }),
        ]),
      ]),
    ]);
    const revision = await fixture.send(ir);
    await fixture.startEnvoy(ir.gateway, { nodeId: 'routing', delta });
    await fixture.waitForSynced('routing', revision);
  });

  afterAll(async () => {
    await fixture?.stop();
    await Promise.all(Object.values(echo ?? {}).map((e) => e.close()));
  });

  const match = { host: 'match.example.com' };
  const filters = { host: 'filters.example.com' };

  test('routes by exact path, prefix, header, query parameter, method and regular expression in precedence order', async () => {
    expect(await answeredBy(gatewayPort, '/exact', match)).toBe('exact');
    expect(await answeredBy(gatewayPort, '/exact/more', match)).toBe('<404>');
    expect(await answeredBy(gatewayPort, '/prefix/x', match)).toBe('prefix');
    expect(await answeredBy(gatewayPort, '/prefixed', match)).toBe('<404>');
    expect(await answeredBy(gatewayPort, '/prefix/x', { ...match, headers: { 'x-pick': 'header' } })).toBe(
      'header',
    );
    expect(await answeredBy(gatewayPort, '/prefix/x?pick=query', match)).toBe('query');
    expect(await answeredBy(gatewayPort, '/prefix/x', { ...match, method: 'POST' })).toBe('method');
    // Method outranks header and query matches.
    expect(
      await answeredBy(gatewayPort, '/prefix?pick=query', {
        ...match,
        method: 'POST',
        headers: { 'x-pick': 'header' },
      }),
    ).toBe('method');
    expect(await answeredBy(gatewayPort, '/items/42', match)).toBe('regex');
    expect(await answeredBy(gatewayPort, '/items/abc', match)).toBe('<404>');
  });

  test('serves hostnames, with a hostname owned by the most specific listener (listener isolation)', async () => {
    expect(await answeredBy(gatewayPort, '/exact', { host: 'unknown.example.com' })).toBe('<404>');
    expect(await answeredBy(gatewayPort, '/anything', { host: 'foo.example.com' })).toBe('foo');
    // A port in Host is ignored for matching and forwarded unchanged (Envoy's stripAnyHostPort removed it).
    const withPort = await httpRequest(gatewayPort, '/anything', { host: `foo.example.com:${gatewayPort}` });
    expect(withPort.seen).toMatchObject({ backend: 'foo', host: `foo.example.com:${gatewayPort}` });
  });

  test('redirects with scheme, hostname, status code and a replaced path prefix', async () => {
    const scheme = await httpRequest(gatewayPort, '/redirect-scheme/page', filters);
    expect(scheme.status).toBe(301);
    expect(scheme.headers.location).toBe('https://secure.example.com/redirect-scheme/page');
    const path = await httpRequest(gatewayPort, '/redirect-path/rest?q=1', filters);
    expect(path.status).toBe(302);
    expect(path.headers.location).toBe(`http://filters.example.com:${gatewayPort}/moved/rest?q=1`);
    // The same with the port in Host, as clients on a non-default port send it.
    const hostWithPort = { host: `filters.example.com:${gatewayPort}` };
    const schemeFromPort = await httpRequest(gatewayPort, '/redirect-scheme/page', hostWithPort);
    expect(schemeFromPort.headers.location).toBe('https://secure.example.com/redirect-scheme/page');
    const pathFromPort = await httpRequest(gatewayPort, '/redirect-path/rest?q=1', hostWithPort);
    expect(pathFromPort.headers.location).toBe(`http://filters.example.com:${gatewayPort}/moved/rest?q=1`);
  });

  test('rewrites the host and the path prefix or the full path before forwarding', async () => {
    const prefixed = await httpRequest(gatewayPort, '/rewrite/item?x=1', filters);
    expect(prefixed.seen).toMatchObject({
      backend: 'other',
      path: '/v2/item?x=1',
      host: 'rewritten.example.com',
    });
    const full = await httpRequest(gatewayPort, '/full/some/thing', filters);
    expect(full.seen).toMatchObject({ path: '/replaced' });
  });

  test('modifies request and response headers', async () => {
    const answer = await httpRequest(gatewayPort, '/headers', {
      ...filters,
      headers: { 'x-set': 'original', 'x-add': 'first', 'x-drop': 'gone' },
    });
    expect(answer.seen?.headers['x-set']).toBe('set');
    expect(answer.seen?.headers['x-add']).toBe('first, added');
    expect(answer.seen?.headers['x-drop']).toBeUndefined();
    expect(answer.headers['x-answer']).toBe('modified');
  });

  test('applies a backendRef’s own header filters only to the requests that backend receives', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const answer = await httpRequest(gatewayPort, '/per-backend-headers', filters);
      const by = String(answer.headers['x-echo-backend']);
      expect(answer.seen?.headers['x-chosen']).toBe(by);
      expect(answer.headers['x-chosen-answer']).toBe(by);
      seen.add(by);
    }
    expect([...seen].sort()).toEqual(['v1', 'v2']);
    const alone = await httpRequest(gatewayPort, '/one-backend-headers', filters);
    expect(alone.seen?.headers['x-chosen']).toBe('other');
    expect(alone.headers['x-chosen-answer']).toBe('other');
  });

  test('mirrors requests to the mirror backend while the primary answers', async () => {
    const before = echo.mirror.seen.length;
    const answer = await httpRequest(gatewayPort, '/mirror/copy', {
      ...filters,
      headers: { 'x-trace': 'm1' },
    });
    expect(answer.seen?.backend).toBe('other');
    const seen = await echo.mirror.waitForSeen(before + 1, 10_000);
    expect(seen.at(-1)).toMatchObject({
      path: '/mirror/copy',
      headers: expect.objectContaining({ 'x-trace': 'm1' }),
    });
  });

  test('answers a CORS preflight for an allowed origin and refuses others', async () => {
    const preflight = (origin: string) =>
      httpRequest(gatewayPort, '/cors', {
        ...filters,
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'PUT' },
      });
    const allowed = await preflight('https://app.example.com');
    expect(allowed.status).toBe(200);
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(allowed.headers['access-control-allow-methods']).toBe('GET,PUT');
    expect(allowed.headers['access-control-max-age']).toBe('600');
    const refused = await preflight('https://evil.example.com');
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect(refused.seen, 'a preflight from an origin not allowed is answered by the gateway').toBeUndefined();
  });

  test('splits traffic by weight within a statistical tolerance', async () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 200; i++) {
      const by = await answeredBy(gatewayPort, '/split', filters);
      counts[by] = (counts[by] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['v1', 'v2']);
    // 3:1 of 200 → 150 ± 30 (about five standard deviations).
    expect(counts.v1).toBeGreaterThan(120);
    expect(counts.v1).toBeLessThan(180);
  });

  test('answers 500 for the share of invalid backends, and for all requests when no backend is valid', async () => {
    expect(await answeredBy(gatewayPort, '/invalid', filters)).toBe('<500>');
    const counts: Record<string, number> = {};
    for (let i = 0; i < 100; i++) {
      const by = await answeredBy(gatewayPort, '/half-invalid', filters);
      counts[by] = (counts[by] ?? 0) + 1;
    }
    expect(Object.keys(counts).sort()).toEqual(['<500>', 'other']);
    expect(counts.other).toBeGreaterThan(25);
    expect(counts.other).toBeLessThan(75);
  });
});
