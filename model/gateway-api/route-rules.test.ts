import { describe, expect, it } from 'vitest';
import type { Route } from '../resources/gateway-api.ts';
import { RouteReason } from '../shared/conditions.ts';
import { droppedRulesMessage, routeHostnamesProblem, validateRouteRules } from './route-rules.ts';

const meta = { name: 'r', namespace: 'default' };
const backendRefs = [{ name: 'svc', port: 80 }];

function httpRoute(rule: Record<string, unknown>): Route {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: meta,
    spec: { rules: [{ backendRefs, ...rule }] },
  } as unknown as Route;
}

function grpcRoute(rule: Record<string, unknown>): Route {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GRPCRoute',
    metadata: meta,
    spec: { rules: [{ backendRefs, ...rule }] },
  } as unknown as Route;
}

const longPrefix = `/${'a'.repeat(1100)}`;

// Every place a route's text becomes a regex on the data plane, with what Envoy's RE2 refuses there (JavaScript's
// RegExp accepted every one of these: the route was Accepted and Envoy NACKed the whole route configuration).
const REFUSED: readonly (readonly [string, Route, RegExp])[] = [
  [
    'path look-behind',
    httpRoute({ matches: [{ path: { type: 'RegularExpression', value: '/(?<=a)b' } }] }),
    /^spec\.rules\[0\]\.matches\[0\]\.path\.value: invalid regular expression: invalid perl operator: \(\?</,
  ],
  [
    'header back-reference',
    httpRoute({ matches: [{ headers: [{ type: 'RegularExpression', name: 'x', value: '(a)\\1' }] }] }),
    /^spec\.rules\[0\]\.matches\[0\]\.headers\[0\]\.value: invalid regular expression: invalid escape sequence: \\1$/,
  ],
  [
    'query look-ahead',
    httpRoute({ matches: [{ queryParams: [{ type: 'RegularExpression', name: 'q', value: 'a(?=b)' }] }] }),
    /^spec\.rules\[0\]\.matches\[0\]\.queryParams\[0\]\.value: invalid regular expression: invalid perl operator: \(\?=$/,
  ],
  [
    'path over the program-size limit',
    httpRoute({ matches: [{ path: { type: 'RegularExpression', value: '/.{0,400}' } }] }),
    /^spec\.rules\[0\]\.matches\[0\]\.path\.value: invalid regular expression: RE2 program size of \d+ > max program size of 1000$/,
  ],
  [
    'gRPC method possessive',
    grpcRoute({ matches: [{ method: { type: 'RegularExpression', service: 'a.B', method: 'x*+' } }] }),
    /^spec\.rules\[0\]\.matches\[0\]\.method\.method: invalid regular expression: bad repetition operator: \*\+$/,
  ],
  [
    'gRPC service and method, too large together',
    grpcRoute({
      matches: [{ method: { type: 'RegularExpression', service: '[a-z]{0,300}', method: '[a-z]{0,300}' } }],
    }),
    /^spec\.rules\[0\]\.matches\[0\]\.method: invalid regular expression: RE2 program size/,
  ],
  [
    'CORS wildcard origin too long',
    httpRoute({ filters: [{ type: 'CORS', cors: { allowOrigins: [`https://${'*.a'.repeat(120)}`] } }] }),
    /^spec\.rules\[0\]\.filters\[0\]\.cors\.allowOrigins\[0\]: invalid as a regular expression: RE2 program size/,
  ],
];

const ACCEPTED: readonly (readonly [string, Route])[] = [
  [
    // `^/aaa…/*`: RE2 (Envoy's too) takes an anchored literal prefix out of the program.
    'prefix rewrite to / of a very long prefix',
    httpRoute({
      matches: [{ path: { type: 'PathPrefix', value: longPrefix } }],
      filters: [
        { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } },
      ],
    }),
  ],
  [
    'named group as Go writes it',
    httpRoute({ matches: [{ path: { type: 'RegularExpression', value: '/(?<v>v[0-9]+)/.*' } }] }),
  ],
  [
    '\\C (any byte) that RegExp refuses',
    httpRoute({ matches: [{ headers: [{ type: 'RegularExpression', name: 'x', value: 'a\\C' }] }] }),
  ],
  [
    "UUID path over Envoy's default limit of 100",
    httpRoute({
      matches: [{ path: { type: 'RegularExpression', value: '^/v1/(users|accounts)/[0-9a-f-]{36}$' } }],
    }),
  ],
  [
    'gRPC regex with one part',
    grpcRoute({ matches: [{ method: { type: 'RegularExpression', service: 'pkg\\..*' } }] }),
  ],
  [
    'CORS wildcard origin',
    httpRoute({ filters: [{ type: 'CORS', cors: { allowOrigins: ['https://*.example.com'] } }] }),
  ],
];

describe('route rules: regexes as Envoy RE2 reads them', () => {
  it.each(REFUSED)('drops the rule: %s', (_, route, message) => {
    const [verdict] = validateRouteRules(route);
    expect(verdict).toMatchObject({ valid: false, reason: RouteReason.UnsupportedValue });
    expect((verdict as { message: string }).message).toMatch(message);
    expect(droppedRulesMessage(validateRouteRules(route))).toMatch(/^Dropped Rule 0: spec\.rules\[0\]/);
  });

  it.each(ACCEPTED)('keeps the rule: %s', (_, route) => {
    expect(validateRouteRules(route)).toEqual([{ index: 0, valid: true }]);
  });
});

const headerModifier = (type: string, config: object) => ({
  filters: [
    { type, [type === 'RequestHeaderModifier' ? 'requestHeaderModifier' : 'responseHeaderModifier']: config },
  ],
});

// Every other value of a rule that the CRD's schema or Envoy's validation refuses (Envoy NACKs the whole route
// configuration for one of them), by class: one refused and one accepted example each.
const FIELDS_REFUSED: readonly (readonly [string, Route, RegExp])[] = [
  [
    'header modifier sets host',
    httpRoute(headerModifier('RequestHeaderModifier', { set: [{ name: 'Host', value: 'a.example' }] })),
    /requestHeaderModifier\.set\[0\]\.name: "Host": :-prefixed or host headers may not be modified/,
  ],
  [
    'header modifier adds a pseudo-header',
    httpRoute(headerModifier('RequestHeaderModifier', { add: [{ name: ':path', value: '/x' }] })),
    /requestHeaderModifier\.add\[0\]\.name: ":path": :-prefixed or host headers may not be modified/,
  ],
  [
    'header modifier removes host',
    httpRoute(headerModifier('ResponseHeaderModifier', { remove: ['host'] })),
    /responseHeaderModifier\.remove\[0\]: "host": :-prefixed or host headers may not be modified/,
  ],
  [
    'header value with CR LF (header injection)',
    httpRoute(
      headerModifier('ResponseHeaderModifier', { set: [{ name: 'x-a', value: 'a\r\nSet-Cookie: b' }] }),
    ),
    /responseHeaderModifier\.set\[0\]\.value: must not contain NUL, CR or LF characters/,
  ],
  [
    'header value with NUL',
    httpRoute(headerModifier('RequestHeaderModifier', { add: [{ name: 'x-a', value: 'a\u0000b' }] })),
    /add\[0\]\.value: must not contain NUL, CR or LF/,
  ],
  [
    'header name with a space',
    httpRoute(headerModifier('RequestHeaderModifier', { set: [{ name: 'x a', value: 'v' }] })),
    /set\[0\]\.name: "x a" is not a header name: " " is not a token character/,
  ],
  [
    'header name twice in set',
    httpRoute(
      headerModifier('RequestHeaderModifier', {
        set: [
          { name: 'x-a', value: '1' },
          { name: 'x-a', value: '2' },
        ],
      }),
    ),
    /set\[1\]\.name: x-a appears twice in set/,
  ],
  [
    'header match name with a colon',
    httpRoute({ matches: [{ headers: [{ name: 'x:y', value: 'v' }] }] }),
    /matches\[0\]\.headers\[0\]\.name: "x:y" is not a header name/,
  ],
  [
    'query match name with a newline',
    httpRoute({ matches: [{ queryParams: [{ name: 'q\n', value: 'v' }] }] }),
    /matches\[0\]\.queryParams\[0\]\.name: "q\\n" is not a header name/,
  ],
  [
    'gRPC header match name empty',
    grpcRoute({ matches: [{ headers: [{ name: '', value: 'v' }] }] }),
    /matches\[0\]\.headers\[0\]\.name: required/,
  ],
  [
    'redirect hostname with CR LF',
    httpRoute({
      backendRefs: [],
      filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'a.example\r\nx: y' } }],
    }),
    /requestRedirect\.hostname: .* is not a lower-case DNS name/,
  ],
  [
    'rewrite path with LF',
    httpRoute({
      filters: [
        { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/a\nb' } } },
      ],
    }),
    /urlRewrite\.path\.replaceFullPath: must not contain NUL, CR or LF/,
  ],
  [
    'CORS allowHeaders not a header name',
    httpRoute({ filters: [{ type: 'CORS', cors: { allowHeaders: ['x-a, x-b'] } }] }),
    /cors\.allowHeaders\[0\]: "x-a, x-b" is not a header name/,
  ],
  [
    'weight over uint32',
    httpRoute({ backendRefs: [{ name: 'svc', port: 80, weight: 1e12 }] }),
    /backendRefs\[0\]\.weight: 1000000000000 is not an integer from 0 to 1000000/,
  ],
  [
    'weight not an integer',
    grpcRoute({ backendRefs: [{ name: 'svc', port: 80, weight: 1.5 }] }),
    /backendRefs\[0\]\.weight: 1\.5 is not an integer/,
  ],
];

const FIELDS_ACCEPTED: readonly (readonly [string, Route])[] = [
  [
    'header modifier of ordinary headers',
    httpRoute(
      headerModifier('RequestHeaderModifier', {
        set: [{ name: 'X-Forwarded-Prefix', value: '/a b' }],
        add: [{ name: "x-a!#$%&'*+.^_`|~", value: 'tab\tis fine' }],
        remove: ['x-b'],
      }),
    ),
  ],
  ['a CORS wildcard header list', httpRoute({ filters: [{ type: 'CORS', cors: { allowHeaders: ['*'] } }] })],
  [
    'redirect to a host and path',
    httpRoute({
      backendRefs: [],
      filters: [
        {
          type: 'RequestRedirect',
          requestRedirect: {
            hostname: 'b.example.com',
            path: { type: 'ReplaceFullPath', replaceFullPath: '/x' },
          },
        },
      ],
    }),
  ],
  ['weights at the bounds', httpRoute({ backendRefs: [{ name: 'svc', port: 80, weight: 1_000_000 }] })],
];

describe('route rules: header names and values, hosts, paths and weights as Envoy and the CRD take them', () => {
  it.each(FIELDS_REFUSED)('drops the rule: %s', (_, route, message) => {
    const [verdict] = validateRouteRules(route);
    expect(verdict).toMatchObject({ valid: false, reason: RouteReason.UnsupportedValue });
    expect((verdict as { message: string }).message).toMatch(message);
  });

  it.each(FIELDS_ACCEPTED)('keeps the rule: %s', (_, route) => {
    expect(validateRouteRules(route)).toEqual([{ index: 0, valid: true }]);
  });
});

describe('route hostnames', () => {
  it.each([
    ['a.example.com', undefined],
    ['*.example.com', undefined],
    ['Upper.example.com', /spec\.hostnames\[0\]: "Upper\.example\.com" is not a lower-case DNS name/],
    ['a.*.example.com', /not a lower-case DNS name \(a wildcard may only be the first label\)/],
    ['a.example.com\r\n', /spec\.hostnames\[0\]/],
    ['a b.example.com', /spec\.hostnames\[0\]/],
  ])('%j', (hostname, refused) => {
    const route = { ...httpRoute({}), spec: { hostnames: [hostname], rules: [{ backendRefs }] } } as Route;
    const problem = routeHostnamesProblem(route);
    if (refused === undefined) expect(problem).toBeUndefined();
    else expect(problem).toMatch(refused);
  });
});
