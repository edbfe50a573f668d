import { describe, expect, it } from 'vitest';
import type { Route } from '../resources/gateway-api.ts';
import { RouteReason } from '../shared/conditions.ts';
import { droppedRulesMessage, validateRouteRules } from './route-rules.ts';

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
