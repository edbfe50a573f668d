import { describe, expect, it } from 'vitest';
import { evaluateRoute } from '../gateway-api/route-status.ts';
import type { ExtensionRefFilterIR } from '../ir/envoy-gateway.ts';
import type { HTTPRouteFilterSpec } from '../resources/envoy-gateway.ts';
import type { HTTPRoute, HTTPRouteRule } from '../resources/gateway-api.ts';
import type { AnyResource } from '../resources/kinds.ts';
import { ResourceStore } from '../shared/resource-view.ts';
import { re2Problem, resolveHTTPRouteFilter } from './http-route-filter.ts';

const CONTROLLER = 'switchyard.dev/gateway-controller';
const NOW = '2026-01-01T00:00:00Z';

function filter(name: string, spec: HTTPRouteFilterSpec): AnyResource {
  return {
    apiVersion: 'gateway.envoyproxy.io/v1alpha1',
    kind: 'HTTPRouteFilter',
    metadata: { name, namespace: 'apps' },
    spec,
  };
}

const BASE: AnyResource[] = [
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GatewayClass',
    metadata: { name: 'sy' },
    spec: { controllerName: CONTROLLER },
  },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: 'gw', namespace: 'apps' },
    spec: { gatewayClassName: 'sy', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
  },
  {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'apps' },
    spec: { ports: [{ port: 80 }] },
  },
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'body', namespace: 'apps' },
    data: { 'response.body': '{"error":"gone"}', other: 'x' },
  },
];

function route(rules: HTTPRouteRule[]): HTTPRoute {
  return {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'HTTPRoute',
    metadata: { name: 'r', namespace: 'apps', generation: 1 },
    spec: { parentRefs: [{ name: 'gw' }], rules },
  };
}

const extensionRef = (name: string) => ({
  type: 'ExtensionRef',
  extensionRef: { group: 'gateway.envoyproxy.io', kind: 'HTTPRouteFilter', name },
});

describe('HTTPRouteFilter', () => {
  it('resolves a direct response with its body from a ConfigMap, content type and headers', () => {
    const store = new ResourceStore([
      ...BASE,
      filter('gone', {
        directResponse: {
          statusCode: 410,
          contentType: 'application/json',
          body: { type: 'ValueRef', valueRef: { group: '', kind: 'ConfigMap', name: 'body' } },
          header: { add: [{ name: 'x-why', value: 'retired' }] },
        },
      }),
    ]);
    expect(resolveHTTPRouteFilter(store, 'apps', 'gone')).toEqual({
      ok: true,
      filter: {
        filter: { group: 'gateway.envoyproxy.io', kind: 'HTTPRouteFilter', namespace: 'apps', name: 'gone' },
        directResponse: {
          status: 410,
          body: '{"error":"gone"}',
          headers: {
            set: [{ name: 'Content-Type', value: 'application/json' }],
            add: [{ name: 'x-why', value: 'retired' }],
          },
        },
      },
    });
  });

  it('resolves path and host rewrites', () => {
    const store = new ResourceStore([
      ...BASE,
      filter('rw', {
        urlRewrite: {
          path: {
            type: 'ReplaceRegexMatch',
            replaceRegexMatch: { pattern: '^/service/([^/]+)(/.*)$', substitution: '\\2/instance/\\1' },
          },
          hostname: { type: 'Header', header: 'x-target-host' },
          appendXForwardedHost: false,
        },
      }),
    ]);
    const result = resolveHTTPRouteFilter(store, 'apps', 'rw');
    expect(result.ok && result.filter).toMatchObject({
      pathRegexRewrite: { pattern: '^/service/([^/]+)(/.*)$', substitution: '\\2/instance/\\1' },
      hostRewrite: { header: 'x-target-host' },
      appendXForwardedHost: false,
    });
  });

  it("resolves a credential injection: the Secret's credential, into Authorization by default", () => {
    const store = new ResourceStore([
      ...BASE,
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'token', namespace: 'apps' },
        data: { credential: Buffer.from('Bearer s3cret').toString('base64') },
      },
      filter('inject', { credentialInjection: { credential: { valueRef: { name: 'token' } } } }),
      filter('keyed', {
        credentialInjection: {
          header: 'x-api-key',
          overwrite: true,
          credential: { valueRef: { name: 'token' } },
        },
      }),
    ]);
    expect(resolveHTTPRouteFilter(store, 'apps', 'inject')).toMatchObject({
      ok: true,
      filter: {
        credentialInjection: {
          secret: { kind: 'Secret', namespace: 'apps', name: 'token' },
          credential: 'Bearer s3cret',
          header: 'Authorization',
          overwrite: false,
        },
      },
    });
    expect(resolveHTTPRouteFilter(store, 'apps', 'keyed')).toMatchObject({
      ok: true,
      filter: { credentialInjection: { header: 'x-api-key', overwrite: true } },
    });
  });

  it('names what it cannot apply', () => {
    const cases: [HTTPRouteFilterSpec, string][] = [
      [{ credentialInjection: {} }, 'spec.credentialInjection.credential: required'],
      [
        { credentialInjection: { credential: { valueRef: { name: 'nope' } } } },
        'spec.credentialInjection.credential.valueRef: Secret apps/nope not found',
      ],
      [
        { credentialInjection: { credential: { valueRef: { name: 'token', namespace: 'vault' } } } },
        'Secret vault/token is in another namespace and no ReferenceGrant allows it',
      ],
      [{ requestMirror: { percent: 10 } }, 'spec.requestMirror: not supported by Switchyard'],
      [
        { directResponse: { statusCode: 200, bodyy: 'x' } } as never,
        'spec.directResponse.bodyy: unknown field',
      ],
      [{ matches: [{ cookies: [] }] }, 'spec.matches: cookie matches are not supported'],
      [
        {
          urlRewrite: {
            path: { type: 'ReplaceRegexMatch', replaceRegexMatch: { pattern: '(?<=a)b', substitution: '' } },
          },
        },
        'invalid regular expression: invalid perl operator: (?<',
      ],
      [
        {
          urlRewrite: {
            path: {
              type: 'ReplaceRegexMatch',
              replaceRegexMatch: { pattern: '/a{1001}', substitution: '/' },
            },
          },
        },
        // JavaScript's RegExp takes it; Envoy's RE2 does not.
        'invalid regular expression: invalid repetition size: {1001}',
      ],
      [
        {
          urlRewrite: {
            path: { type: 'ReplaceRegexMatch', replaceRegexMatch: { pattern: '(', substitution: '' } },
          },
        },
        'invalid regular expression',
      ],
      [
        {
          urlRewrite: {
            hostname: { type: 'PathRegex', pathRegex: { pattern: '^/(.+)$', substitution: '' } },
          },
        },
        'pathRegex.substitution: required',
      ],
      [{ directResponse: { statusCode: 99 } }, 'statusCode: 99'],
      [
        {
          directResponse: {
            body: { type: 'ValueRef', valueRef: { group: '', kind: 'ConfigMap', name: 'nope' } },
          },
        },
        'ConfigMap apps/nope not found',
      ],
      [{ directResponse: { body: { inline: 'x'.repeat(5000) } } }, 'longer than 4096 bytes'],
      [{ directResponse: { header: { remove: ['a'] } } }, 'header.remove: not allowed'],
    ];
    for (const [spec, message] of cases) {
      const result = resolveHTTPRouteFilter(new ResourceStore([...BASE, filter('f', spec)]), 'apps', 'f');
      expect(!result.ok && result.message, JSON.stringify(spec)).toContain(message);
    }
    expect(re2Problem('^/a(b|c)+$')).toBeUndefined();
    expect(re2Problem('(a)\\1')).toBe('invalid regular expression: invalid escape sequence: \\1');
    // RE2's named group, which JavaScript's RegExp refuses.
    expect(re2Problem('^/(?P<v>v[0-9])/(.*)$')).toBeUndefined();
  });

  it('in a route: resolved into the rule, or the rule answers 500 and ResolvedRefs is False with UnsupportedValue', () => {
    const store = new ResourceStore([
      ...BASE,
      filter('hello', { directResponse: { body: { inline: 'hi' } } }),
    ]);
    const backend = [{ name: 'web', port: 80 }];
    const evaluation = evaluateRoute(
      route([
        { filters: [extensionRef('hello') as never], backendRefs: backend },
        {
          matches: [{ path: { value: '/missing' } }],
          filters: [extensionRef('missing') as never],
          backendRefs: backend,
        },
      ]),
      store,
      { controllerName: CONTROLLER, now: NOW },
    );
    expect((evaluation.rules[0]!.filters[0] as ExtensionRefFilterIR).httpRouteFilter?.directResponse).toEqual(
      {
        status: 200,
        body: 'hi',
        headers: { set: [], add: [] },
      },
    );
    expect((evaluation.rules[1]!.filters[0] as ExtensionRefFilterIR).problem).toBe(
      'spec.rules[1].filters[0]: Unable to translate HTTPRouteFilter: apps/missing not found',
    );
    const conditions = evaluation.parents[0]?.status.conditions;
    expect(conditions?.find((c) => c.type === 'Accepted')?.status).toBe('True');
    expect(conditions?.find((c) => c.type === 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'UnsupportedValue',
      message: expect.stringContaining('apps/missing not found'),
    });
  });

  it('refuses two rewrites of the path in one rule, and ExtensionRefs to other kinds', () => {
    const store = new ResourceStore([
      ...BASE,
      filter('rw', {
        urlRewrite: {
          path: { type: 'ReplaceRegexMatch', replaceRegexMatch: { pattern: 'a', substitution: 'b' } },
        },
      }),
    ]);
    const evaluation = evaluateRoute(
      route([
        {
          filters: [
            extensionRef('rw') as never,
            { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplaceFullPath', replaceFullPath: '/x' } } },
          ],
          backendRefs: [{ name: 'web', port: 80 }],
        },
        {
          matches: [{ path: { value: '/other' } }],
          filters: [
            { type: 'ExtensionRef', extensionRef: { group: 'example.com', kind: 'Magic', name: 'm' } },
          ],
        },
      ]),
      store,
      { controllerName: CONTROLLER, now: NOW },
    );
    expect((evaluation.rules[0]!.filters[0] as ExtensionRefFilterIR).problem).toContain(
      'cannot configure multiple urlRewrite filters',
    );
    expect(evaluation.rules[1]?.verdict).toMatchObject({
      valid: false,
      message: expect.stringContaining('example.com/Magic is not supported'),
    });
  });

  it("on a GRPCRoute rule as on an HTTPRoute's, and on a backendRef its credential injection (as Envoy Gateway takes them)", () => {
    const store = new ResourceStore([
      ...BASE,
      filter('inject', {
        credentialInjection: { header: 'x-api-key', credential: { valueRef: { name: 'key' } } },
      }),
      filter('answer', { directResponse: { statusCode: 204 } }),
      {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'key', namespace: 'apps' },
        data: { credential: Buffer.from('k3y').toString('base64') },
      } as AnyResource,
    ]);
    const grpc = {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'GRPCRoute',
      metadata: { name: 'g', namespace: 'apps', generation: 1 },
      spec: {
        parentRefs: [{ name: 'gw' }],
        rules: [
          { filters: [extensionRef('inject')], backendRefs: [{ name: 'web', port: 80 }] },
          {
            matches: [{ method: { service: 'other.Svc' } }],
            backendRefs: [{ name: 'web', port: 80, filters: [extensionRef('inject')] }],
          },
          {
            matches: [{ method: { service: 'third.Svc' } }],
            backendRefs: [{ name: 'web', port: 80, filters: [extensionRef('answer')] }],
          },
          {
            matches: [{ method: { service: 'fourth.Svc' } }],
            backendRefs: [
              {
                name: 'web',
                port: 80,
                filters: [
                  { type: 'RequestMirror', requestMirror: { backendRef: { name: 'web', port: 80 } } },
                ],
              },
            ],
          },
        ],
      },
    } as never;
    const evaluation = evaluateRoute(grpc, store, { controllerName: CONTROLLER, now: NOW });
    expect(
      (evaluation.rules[0]!.filters[0] as ExtensionRefFilterIR).httpRouteFilter?.credentialInjection,
    ).toMatchObject({
      header: 'x-api-key',
      overwrite: false,
      credential: 'k3y',
    });
    expect(evaluation.rules[0]?.verdict.valid).toBe(true);
    // On a backendRef: resolved onto that backend's filters (the data plane applies it to its requests only).
    expect(evaluation.rules[1]?.verdict.valid).toBe(true);
    expect(evaluation.rules[1]?.filterProblem).toBeUndefined();
    expect(
      (evaluation.rules[1]!.backends[0]!.filters[0] as ExtensionRefFilterIR).httpRouteFilter
        ?.credentialInjection,
    ).toMatchObject({ header: 'x-api-key', credential: 'k3y' });
    // What cannot apply to one backend (Envoy Gateway drops it there) is named: the rule answers 500.
    expect(evaluation.rules[2]?.filterProblem).toBe(
      'spec.rules[2].backendRefs[0].filters[0]: HTTPRouteFilter apps/answer: spec.directResponse cannot apply to one backend (only spec.credentialInjection does); put the filter on the rule',
    );
    expect(
      (evaluation.rules[2]!.backends[0]!.filters[0] as ExtensionRefFilterIR).httpRouteFilter,
    ).toBeUndefined();
    expect(evaluation.rules[3]?.verdict).toMatchObject({
      valid: false,
      message:
        'spec.rules[3].backendRefs[0].filters[0].type: RequestMirror is not supported on a backendRef (only RequestHeaderModifier, ResponseHeaderModifier and an ExtensionRef to an HTTPRouteFilter); put it on the rule',
    });
  });
});
