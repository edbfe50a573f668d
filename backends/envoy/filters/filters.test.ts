import { describe, expect, it } from 'vitest';
import type { BackendIR, RuleIR } from '../../../model/ir/gateway-ir.ts';
import type { RulePoliciesIR } from '../../../model/ir/policies.ts';
import { resourceKey } from '../../../model/resources/resource-key.ts';
import { ClusterSet } from '../clusters.ts';
import { encodeAll } from '../testdata/encode-all.ts';
import { gatewayIR, listener, port, route, rule, service } from '../testdata/gateway-ir.ts';
import { translateGateway } from '../translate-gateway.ts';
import { HTTP_FILTERS, servedRules } from './index.ts';

const POLICY = resourceKey('gateway.envoyproxy.io', 'SecurityPolicy', 'default', 'p');

function guarded(policies: RulePoliciesIR): RuleIR {
  return { ...rule([service('app', [9000])]), policies };
}

const jwt: NonNullable<RulePoliciesIR['security']>['jwt'] = {
  optional: true,
  failOpen: false,
  providers: [
    {
      name: 'idp',
      audiences: [],
      jwks: {
        kind: 'remote',
        uri: 'https://idp.example.com/jwks',
        destination: { kind: 'uri', host: 'idp.example.com', port: 443, tls: true },
      },
      claimToHeaders: [],
      recomputeRoute: false,
    },
  ],
};

function hcmFilters(resources: ReturnType<typeof translateGateway>): string[] {
  const listenerJson = Object.values(resources.listeners)[0] as {
    filterChains: { filters: { typedConfig: { httpFilters: { name: string }[] } }[] }[];
  };
  return listenerJson.filterChains[0]!.filters[0]!.typedConfig.httpFilters.map((f) => f.name);
}

describe('policy filters', () => {
  it('orders the chain CORS, authentication, extensions, authorization, router, and encodes as Envoy protobuf', () => {
    const ir = gatewayIR([
      port(8080, [
        listener('http', 'HTTP', [
          route('a', [
            guarded({
              security: {
                policy: POLICY,
                jwt,
                basicAuth: { credentials: 'u:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=\n' },
                apiKeyAuth: {
                  credentials: [{ client: 'c', key: 'k' }],
                  extractFrom: [{ headers: ['x-key'], params: [], cookies: [] }],
                  sanitize: false,
                },
                authorization: { defaultAction: 'Deny', rules: [] },
              },
            }),
          ]),
          route('b', [rule([service('app', [9000])])]),
        ]),
      ]),
    ]);
    const resources = translateGateway(ir, {});
    expect(hcmFilters(resources)).toEqual([
      'envoy.filters.http.cors',
      'envoy.filters.http.api_key_auth',
      'envoy.filters.http.basic_auth',
      'envoy.filters.http.jwt_authn',
      'envoy.filters.http.rbac',
      'envoy.filters.http.router',
    ]);
    // The JWKS URI's host gets a DNS cluster over TLS.
    expect(Object.keys(resources.clusters)).toContain('uri/https/idp.example.com/443');
    encodeAll(resources);
  });

  it('leaves chains without policies exactly as before (extensions, CORS, router)', () => {
    const ir = gatewayIR([
      port(8080, [listener('http', 'HTTP', [route('b', [rule([service('app', [9000])])])])]),
    ]);
    expect(hcmFilters(translateGateway(ir, {}))).toEqual([
      'envoy.filters.http.cors',
      'envoy.filters.http.router',
    ]);
  });

  it('answers a denied rule directly and gives its routes no policy config; proxyless gRPC clients deny policy rules', () => {
    const ir = gatewayIR([
      port(8080, [
        listener('http', 'HTTP', [
          route('a', [
            guarded({
              security: { policy: POLICY, jwt },
              denied: { status: 500, policy: POLICY, reason: 'x' },
            }),
          ]),
          route('g', [guarded({ security: { policy: POLICY, jwt } })], {
            kind: 'GRPCRoute',
            hostnames: ['grpc.example.com'],
          }),
        ]),
      ]),
    ]);
    const resources = translateGateway(ir, {});
    const routes = (
      resources.routeConfigurations['http/8080'] as { virtualHosts: { routes: Record<string, unknown>[] }[] }
    ).virtualHosts.flatMap((v) => v.routes);
    const denied = routes.find((r) => String(r.name).startsWith('default/a/'));
    expect(denied?.directResponse).toEqual({ status: 500 });
    expect(denied?.route).toBeUndefined();
    expect(denied?.typedPerFilterConfig).toBeUndefined();
    const grpc = Object.values(resources.grpcListeners)[0] as {
      apiListener: {
        apiListener: { routeConfig: { virtualHosts: { routes: Record<string, unknown>[] }[] } };
      };
    };
    const proxyless = grpc.apiListener.apiListener.routeConfig.virtualHosts.flatMap((v) => v.routes);
    expect(
      proxyless.every((r) => (r.directResponse as { status?: number } | undefined)?.status === 500),
    ).toBe(true);
  });
});

describe('credential injection (HTTPRouteFilter)', () => {
  it('is a disabled credential_injector enabled on the rule, its credential an SDS secret and never in a route', () => {
    const filter = resourceKey('gateway.envoyproxy.io', 'HTTPRouteFilter', 'default', 'inject');
    const injecting: RuleIR = {
      ...rule([service('app', [9000])]),
      filters: [
        {
          type: 'ExtensionRef',
          extensionRef: { group: 'gateway.envoyproxy.io', kind: 'HTTPRouteFilter', name: 'inject' },
          httpRouteFilter: {
            filter,
            credentialInjection: {
              secret: resourceKey('', 'Secret', 'default', 'token'),
              credential: 'Bearer s3cret',
              header: 'Authorization',
              overwrite: false,
            },
          },
        },
      ],
    };
    const ir = gatewayIR([
      port(8080, [
        listener('http', 'HTTP', [route('a', [injecting]), route('b', [rule([service('app', [9000])])])]),
      ]),
    ]);
    const resources = translateGateway(ir, {});
    const name = 'envoy.filters.http.credential_injector/default/inject';
    expect(hcmFilters(resources)).toEqual(['envoy.filters.http.cors', name, 'envoy.filters.http.router']);
    const [secret] = Object.values(resources.secrets) as {
      genericSecret?: { secret: { inlineString: string } };
    }[];
    expect(secret?.genericSecret?.secret.inlineString).toBe('Bearer s3cret');
    const routes = JSON.stringify(resources.routeConfigurations);
    expect(routes).not.toContain('s3cret');
    const enabledOn = (Object.values(resources.routeConfigurations) as never[]).flatMap(
      (config: {
        virtualHosts: { routes: { name: string; typedPerFilterConfig?: Record<string, unknown> }[] }[];
      }) =>
        config.virtualHosts.flatMap((host) =>
          host.routes.filter((r) => r.typedPerFilterConfig?.[name]).map((r) => r.name),
        ),
    );
    expect(enabledOn.length).toBeGreaterThan(0);
    expect(enabledOn.every((routeName) => routeName.includes('/a/'))).toBe(true);
    encodeAll(resources);
  });
});

describe('OpenID Connect (oauth2)', () => {
  const oidc: NonNullable<RulePoliciesIR['security']>['oidc'] = {
    issuer: 'https://idp.example.com',
    authorizationEndpoint: 'https://idp.example.com/authorize',
    tokenEndpoint: {
      uri: 'https://idp.example.com/token',
      destination: { kind: 'uri', host: 'idp.example.com', port: 443, tls: true },
    },
    clientId: 'app',
    clientSecret: 'secret',
    scopes: ['openid'],
    resources: [],
    redirectUri: '%REQ(x-forwarded-proto)%://%REQ(:authority)%/oauth2/callback',
    redirectPath: '/oauth2/callback',
    logoutPath: '/logout',
    forwardAccessToken: false,
    refreshToken: true,
    cookieNames: {},
  };

  it("gives each policy on one host its own cookies, the sign-in's nonce and code verifier too", () => {
    const policy = (name: string) => resourceKey('gateway.envoyproxy.io', 'SecurityPolicy', 'default', name);
    const ir = gatewayIR([
      port(8080, [
        listener('http', 'HTTP', [
          route('a', [guarded({ security: { policy: policy('one'), oidc } })]),
          route('b', [guarded({ security: { policy: policy('two'), oidc } })]),
        ]),
      ]),
    ]);
    const resources = translateGateway(ir, {});
    const listenerJson = Object.values(resources.listeners)[0] as {
      filterChains: {
        filters: {
          typedConfig: {
            httpFilters: {
              name: string;
              typedConfig: { config?: { credentials: { cookieNames: Record<string, string> } } };
            }[];
          };
        }[];
      }[];
    };
    const cookieNames = listenerJson.filterChains[0]!.filters[0]!.typedConfig.httpFilters.filter((f) =>
      f.name.includes('oauth2'),
    ).map((f) => f.typedConfig.config!.credentials.cookieNames);
    expect(cookieNames).toHaveLength(2);
    const [one, two] = cookieNames as [Record<string, string>, Record<string, string>];
    const kinds = [
      'bearerToken',
      'oauthHmac',
      'oauthExpires',
      'idToken',
      'refreshToken',
      'oauthNonce',
      'codeVerifier',
    ];
    expect(Object.keys(one).sort()).toEqual([...kinds].sort());
    for (const kind of kinds) {
      expect(one[kind]).toMatch(/^[A-Za-z]+-[0-9a-f]{8}$/);
      expect(one[kind]).not.toBe(two[kind]);
    }
    expect(one.oauthNonce).toMatch(/^OauthNonce-/);
    expect(one.codeVerifier).toMatch(/^CodeVerifier-/);
    encodeAll(resources);
  });
});

describe('servedRules', () => {
  const plain = rule([service('app', [9000])]);
  const header = {
    type: 'RequestHeaderModifier',
    requestHeaderModifier: { set: [{ name: 'x', value: 'y' }] },
  };

  it('gives the filters only the rules that carry something a filter reads', () => {
    const withPolicies = guarded({ security: { policy: POLICY, jwt } });
    const withFilter = rule([service('app', [9000])], { filters: [header] });
    const withBackendFilter = rule([{ ...service('app', [9000]), filters: [header] } as BackendIR]);
    const routes = [route('r', [plain, withPolicies, plain, withFilter, withBackendFilter])];
    // route() numbers the rules by position: the second, fourth and fifth carry something.
    expect(servedRules([listener('http', 'HTTP', routes)]).map((served) => served.rule.index)).toEqual([
      1, 3, 4,
    ]);
  });

  it('leaves out only rules no filter puts anything in the chain for', () => {
    const context = {
      clusters: new ClusterSet(),
      extraClusters: new Map(),
      secrets: new Map(),
      problems: [],
      rateLimitDescriptors: new Map(),
    };
    const served = [{ route: route('r', [plain]), rule: plain, listener: listener('http', 'HTTP', []) }];
    for (const filter of HTTP_FILTERS) expect(filter.chainFilters(served, context), filter.name).toEqual([]);
  });
});
