// Envoy Gateway policies as agentgateway's own policies: each family's resources as the proxy decodes them (every
// Route through the wire format of protos/agentgateway/, whose field facts are checked against upstream's
// resource.proto in protos/agentgateway-api.test.ts), and the values agentgateway cannot express failing closed.
// The last block serves them over real delta ADS to our xDS client, as an agentgateway proxy receives them.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayIR, RuleIR } from '../../../model/ir/gateway-ir.ts';
import type { RulePoliciesIR, SecurityIR } from '../../../model/ir/policies.ts';
import type { BackendTrafficIR } from '../../../model/ir/traffic-policies.ts';
import { resourceKey } from '../../../model/resources/resource-key.ts';
import { AGENTGATEWAY_TYPE_URL, agentgatewayApi } from '../../../protos/agentgateway-api.ts';
import { gatewayIR, listener, port, route, rule, service } from '../../envoy/testdata/gateway-ir.ts';
import { type AgentgatewayHarness, proxyNode, startAgentgatewayHarness } from '../testdata/harness.ts';
import { type AgentgatewayResources, translateGateway } from '../translate-gateway.ts';

const SECURITY = resourceKey('gateway.envoyproxy.io', 'SecurityPolicy', 'default', 'sp');
const TRAFFIC = resourceKey('gateway.envoyproxy.io', 'BackendTrafficPolicy', 'default', 'btp');
const JWKS = JSON.stringify({ keys: [{ kty: 'oct', kid: 'k1', k: 'c2VjcmV0', alg: 'HS256' }] });

function guarded(policies: RulePoliciesIR): RuleIR {
  return { ...rule([service('app', [9000])]), policies };
}

function gatewayWith(...rules: RuleIR[]): GatewayIR {
  return gatewayIR([port(8080, [listener('http', 'HTTP', [route('r', rules)])])]);
}

/**
 * The i-th Route of a translation as sent (proto3 JSON), after checking it encodes to agentgateway's wire format:
 * every field and enum name must exist in protos/agentgateway/ (checked against upstream's resource.proto).
 */
function decodedRoute(resources: AgentgatewayResources, index = 0): Record<string, unknown> {
  const json = Object.values(resources.routes)[index]!;
  const api = agentgatewayApi();
  const decoded = api.decodeResource(api.encodeResource({ route: json })) as {
    route: Record<string, unknown>;
  };
  expect(decoded.route.key).toBe(json.key);
  return json;
}

function security(fields: Omit<SecurityIR, 'policy'>): RulePoliciesIR {
  return { security: { policy: SECURITY, ...fields } };
}

function traffic(fields: Omit<BackendTrafficIR, 'policy'>): RulePoliciesIR {
  return { traffic: { policy: TRAFFIC, ...fields } };
}

const localJwt = (extras: Partial<NonNullable<SecurityIR['jwt']>['providers'][number]> = {}) => ({
  optional: false,
  failOpen: false,
  providers: [
    {
      name: 'idp',
      issuer: 'https://idp.example.com',
      audiences: ['api'],
      jwks: { kind: 'local' as const, inline: JWKS },
      claimToHeaders: [{ header: 'x-user', claim: 'sub' }],
      recomputeRoute: false,
      ...extras,
    },
  ],
});

describe('SecurityPolicy on agentgateway', () => {
  it('JWT: STRICT with the provider’s issuer, audiences and inline JWKS; claims set as request headers once verified', () => {
    const resources = translateGateway(gatewayWith(guarded(security({ jwt: localJwt() }))), {});
    const decoded = decodedRoute(resources);
    expect(decoded.trafficPolicies).toEqual([
      {
        jwt: {
          mode: 'STRICT',
          providers: [
            { issuer: 'https://idp.example.com', audiences: ['api'], inline: JWKS, jwtValidationOptions: {} },
          ],
        },
      },
      { transformation: { request: { set: [{ name: 'x-user', expression: 'string(jwt.sub)' }] } } },
    ]);
    expect(decoded.backends).toHaveLength(1);
    expect(resources.unsupported).toEqual([]);
  });

  it('JWT: optional → OPTIONAL, a token in a cookie or a custom header with its prefix', () => {
    const optional = {
      ...localJwt({ extractFrom: { headers: [], cookies: ['session'], params: [] } }),
      optional: true,
    };
    const prefixed = localJwt({
      extractFrom: { headers: [{ name: 'x-token', valuePrefix: 'Token ' }], cookies: [], params: [] },
    });
    const resources = translateGateway(
      gatewayWith(guarded(security({ jwt: optional })), guarded(security({ jwt: prefixed }))),
      {},
    );
    const jwtOf = (i: number) =>
      (
        (decodedRoute(resources, i).trafficPolicies as Record<string, unknown>[])[0] as {
          jwt: Record<string, unknown>;
        }
      ).jwt;
    expect(jwtOf(0)).toMatchObject({
      mode: 'OPTIONAL',
      authorizationLocation: { cookie: { name: 'session' } },
    });
    expect(jwtOf(1)).toMatchObject({
      mode: 'STRICT',
      authorizationLocation: { header: { name: 'x-token', prefix: 'Token ' } },
    });
  });

  it.each([
    [
      'a remote JWKS',
      localJwt({
        jwks: {
          kind: 'remote',
          uri: 'https://idp.example.com/jwks',
          destination: { kind: 'uri', host: 'idp.example.com', port: 443, tls: true },
        },
      }),
      /spec\.jwt\.providers\[0\]\.remoteJWKS: agentgateway takes a JWKS inline/,
    ],
    [
      'a key without kid',
      localJwt({ jwks: { kind: 'local', inline: '{"keys":[{"kty":"oct","k":"eA"}]}' } }),
      /localJWKS/,
    ],
    ['no issuer', localJwt({ issuer: undefined }), /spec\.jwt\.providers\[0\]\.issuer/],
    [
      'two places to read the token',
      localJwt({ extractFrom: { headers: [{ name: 'a' }], cookies: ['b'], params: [] } }),
      /extractFrom: 2 places/,
    ],
    ['claims that must re-route', localJwt({ recomputeRoute: true }), /recomputeRoute/],
  ])('JWT with %s fails closed: the rule answers 500 and its status names the field', (_what, jwt, text) => {
    const resources = translateGateway(gatewayWith(guarded(security({ jwt }))), {});
    const decoded = decodedRoute(resources);
    expect(decoded.backends).toBeUndefined();
    expect(decoded.trafficPolicies).toEqual([{ directResponse: { status: 500 } }]);
    expect(resources.unsupported).toEqual([
      {
        route: resourceKey('gateway.networking.k8s.io', 'HTTPRoute', 'default', 'r'),
        rule: 0,
        severity: 'dropped',
        message: expect.stringMatching(text),
      },
    ]);
    expect(resources.unsupported[0]!.message).toMatch(
      /^the agentgateway data plane answers this rule 500: SecurityPolicy default\/sp spec\.jwt.*agentgateway cannot express it$/,
    );
  });

  it('basic auth and API keys: STRICT, the htpasswd lines, each client’s key with its id, forwarded headers', () => {
    const resources = translateGateway(
      gatewayWith(
        guarded(
          security({
            basicAuth: {
              credentials: 'alice:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=\n',
              forwardUsernameHeader: 'x-user',
            },
          }),
        ),
        guarded(
          security({
            apiKeyAuth: {
              credentials: [
                { client: 'alpha', key: 'key-a' },
                { client: 'beta', key: 'key-b' },
              ],
              extractFrom: [{ headers: ['x-api-key'], params: [], cookies: [] }],
              forwardClientIDHeader: 'x-client',
              sanitize: false,
            },
          }),
        ),
      ),
      {},
    );
    expect(decodedRoute(resources, 0).trafficPolicies).toEqual([
      { basicAuth: { htpasswdContent: 'alice:{SHA}qUqP5cyxm6YcTAhz05Hph5gvu9M=\n', mode: 'STRICT' } },
      { transformation: { request: { set: [{ name: 'x-user', expression: 'basicAuth.username' }] } } },
    ]);
    expect(decodedRoute(resources, 1).trafficPolicies).toEqual([
      {
        apiKeyAuth: {
          apiKeys: [
            { key: 'key-a', metadata: { client: 'alpha' } },
            { key: 'key-b', metadata: { client: 'beta' } },
          ],
          mode: 'STRICT',
          authorizationLocation: { header: { name: 'x-api-key' } },
        },
      },
      { transformation: { request: { set: [{ name: 'x-client', expression: 'apiKey.client' }] } } },
    ]);
  });

  it('API keys read from two places fail closed', () => {
    const resources = translateGateway(
      gatewayWith(
        guarded(
          security({
            apiKeyAuth: {
              credentials: [{ client: 'a', key: 'k' }],
              extractFrom: [{ headers: ['x-api-key'], params: ['key'], cookies: [] }],
              sanitize: false,
            },
          }),
        ),
      ),
      {},
    );
    expect(decodedRoute(resources).trafficPolicies).toEqual([{ directResponse: { status: 500 } }]);
    expect(resources.unsupported[0]!.message).toMatch(/spec\.apiKeyAuth\.extractFrom: 2 places/);
  });

  it('CORS: origins with wildcards, methods, headers, max age and credentials', () => {
    const resources = translateGateway(
      gatewayWith(
        guarded(
          security({
            cors: {
              allowOrigins: ['https://*.example.com', 'https://app.test'],
              allowMethods: ['GET', 'POST'],
              allowHeaders: ['x-a'],
              exposeHeaders: ['x-b'],
              maxAgeSeconds: 600,
              allowCredentials: true,
            },
          }),
        ),
      ),
      {},
    );
    expect(decodedRoute(resources).trafficPolicies).toEqual([
      {
        cors: {
          allowCredentials: true,
          allowHeaders: ['x-a'],
          allowMethods: ['GET', 'POST'],
          allowOrigins: ['https://*.example.com', 'https://app.test'],
          exposeHeaders: ['x-b'],
          maxAge: '600s',
        },
      },
    ]);
  });

  it('ext authz: gRPC with context extensions, HTTP with the path prefix and headers, to a Backend of the service', () => {
    const authz = service('authz', [9191]);
    if (authz.kind === 'Invalid') throw new Error('unreachable');
    const base = {
      destination: { kind: 'backends' as const, backends: [authz] },
      headersToExtAuth: ['x-tenant'],
      timeoutMs: 10_000,
      failOpen: false,
      recomputeRoute: false,
      contextExtensions: [{ name: 'team', value: 'a' }],
    };
    const resources = translateGateway(
      gatewayWith(
        guarded(security({ extAuth: { ...base, protocol: 'GRPC', headersToBackend: [] } })),
        guarded(
          security({
            extAuth: {
              ...base,
              protocol: 'HTTP',
              path: '/check',
              headersToBackend: ['X-Auth-User'],
              statusOnError: 503,
              maxRequestBytes: 1024,
            },
          }),
        ),
      ),
      {},
    );
    const target = { backend: 'service/default/authz/8080/127.0.0.1:9191' };
    expect(decodedRoute(resources, 0).trafficPolicies).toEqual([
      {
        extAuthz: {
          target,
          grpc: { context: { team: 'a' } },
          failureMode: 'DENY',
          includeRequestHeaders: ['x-tenant'],
        },
      },
    ]);
    expect(decodedRoute(resources, 1).trafficPolicies).toEqual([
      {
        extAuthz: {
          target,
          http: { path: '"/check" + request.path', includeResponseHeaders: ['x-auth-user'] },
          failureMode: 'DENY_WITH_STATUS',
          statusOnError: 503,
          includeRequestHeaders: ['x-tenant'],
          includeRequestBody: { maxRequestBytes: 1024 },
        },
      },
    ]);
    expect(resources.backends['service/default/authz/8080/127.0.0.1:9191']).toMatchObject({
      static: { host: '127.0.0.1', port: 9191 },
    });
  });

  it('ext authz to a service with no ready endpoint fails closed', () => {
    const empty = service('authz', []);
    if (empty.kind === 'Invalid') throw new Error('unreachable');
    const resources = translateGateway(
      gatewayWith(
        guarded(
          security({
            extAuth: {
              protocol: 'GRPC',
              destination: { kind: 'backends', backends: [empty] },
              headersToBackend: [],
              headersToExtAuth: [],
              timeoutMs: 1000,
              failOpen: true,
              recomputeRoute: false,
              contextExtensions: [],
            },
          }),
        ),
      ),
      {},
    );
    expect(decodedRoute(resources).trafficPolicies).toEqual([{ directResponse: { status: 500 } }]);
    expect(resources.unsupported[0]!.message).toMatch(
      /spec\.extAuth\.grpc\.backendRefs: no reachable endpoint/,
    );
  });

  it('authorization: first match decides, default last, as one required CEL expression', () => {
    const resources = translateGateway(
      gatewayWith(
        guarded(
          security({
            jwt: localJwt(),
            authorization: {
              defaultAction: 'Deny',
              rules: [
                {
                  name: 'block',
                  action: 'Deny',
                  methods: [],
                  clientCIDRs: [{ address: '10.0.0.0', prefixLength: 8 }],
                  headers: [{ name: 'X-Block', values: ['1'] }],
                },
                {
                  name: 'admins',
                  action: 'Allow',
                  methods: ['GET'],
                  path: { type: 'PathPrefix', value: '/admin/' },
                  clientCIDRs: [],
                  headers: [],
                  jwt: {
                    provider: 'idp',
                    claims: [{ name: 'org.role', valueType: 'String', values: ['admin'] }],
                    scopes: ['read'],
                  },
                },
              ],
            },
          }),
        ),
      ),
      {},
    );
    const policies = decodedRoute(resources).trafficPolicies as Record<string, unknown>[];
    expect(policies.map((p) => Object.keys(p)[0])).toEqual(['jwt', 'authorization', 'transformation']);
    const expression = (policies[1] as { authorization: { require: string[] } }).authorization.require;
    expect(expression).toEqual([
      '((cidr("10.0.0.0/8").containsIP(source.address) && request.headers.join().exists(k, k == "x-block" && request.headers.join()[k] in ["1"])) ? false : ' +
        '((request.method in ["GET"] && request.path.matches("^(?:\\\\/admin(/.*)?)$") && ' +
        '((has(jwt.scope) && jwt.scope.matches("(^| )read( |$)")) || (has(jwt.scp) && "read" in jwt.scp)) && ' +
        'jwt.org.role in ["admin"]) ? true : false))',
    ]);
  });
});

describe('EnvoyExtensionPolicy on agentgateway', () => {
  const EXTENSION = resourceKey('gateway.envoyproxy.io', 'EnvoyExtensionPolicy', 'default', 'eep');
  const processor = service('processor', [9100]);
  if (processor.kind === 'Invalid') throw new Error('unreachable');
  const base = {
    destination: { kind: 'backends' as const, backends: [processor] },
    messageTimeoutMs: 200,
    failOpen: false,
    allowModeOverride: false,
    observabilityMode: false,
    accessibleNamespaces: [],
    writableNamespaces: [],
  };
  const extension = (extProc: NonNullable<RulePoliciesIR['extension']>['extProc']): RulePoliciesIR => ({
    extension: { policy: EXTENSION, extProc },
  });

  it('ext_proc: request headers and buffered body, response headers streamed both ways, fail open', () => {
    const resources = translateGateway(
      gatewayWith(
        guarded(
          extension([
            {
              ...base,
              failOpen: true,
              allowModeOverride: true,
              request: { body: 'Buffered', attributes: [] },
              response: { body: 'FullDuplexStreamed', attributes: [] },
            },
          ]),
        ),
        guarded(extension([{ ...base, request: { attributes: [] } }])),
      ),
      {},
    );
    const target = { backend: 'service/default/processor/8080/127.0.0.1:9100' };
    expect(decodedRoute(resources, 0).trafficPolicies).toEqual([
      {
        extProc: {
          target,
          failureMode: 'FAIL_OPEN',
          processingOptions: {
            allowModeOverride: true,
            requestHeaderMode: 'SEND',
            requestBodyMode: 'BUFFERED',
            requestTrailerMode: 'SKIP',
            responseHeaderMode: 'SEND',
            responseBodyMode: 'FULL_DUPLEX_STREAMED',
            responseTrailerMode: 'SEND',
          },
        },
      },
    ]);
    expect(decodedRoute(resources, 1).trafficPolicies).toEqual([
      {
        extProc: {
          target,
          failureMode: 'FAIL_CLOSED',
          processingOptions: {
            allowModeOverride: false,
            requestHeaderMode: 'SEND',
            requestTrailerMode: 'SKIP',
            responseHeaderMode: 'SKIP',
            responseTrailerMode: 'SKIP',
          },
        },
      },
    ]);
  });

  it.each([
    [
      'a Streamed body',
      [{ ...base, request: { body: 'Streamed' as const, attributes: [] } }],
      /processingMode\.request\.body: Streamed/,
    ],
    [
      'attributes',
      [{ ...base, response: { attributes: ['request.path'] } }],
      /processingMode\.response\.attributes/,
    ],
    ['a message timeout', [{ ...base, messageTimeoutMs: 1000 }], /messageTimeout/],
    ['two processors', [base, base], /spec\.extProc: 2 processors/],
  ])('ext_proc with %s fails closed, named', (_what, extProc, text) => {
    const resources = translateGateway(gatewayWith(guarded(extension(extProc))), {});
    expect(decodedRoute(resources).trafficPolicies).toEqual([{ directResponse: { status: 500 } }]);
    expect(resources.unsupported[0]!.message).toMatch(/EnvoyExtensionPolicy default\/eep/);
    expect(resources.unsupported[0]!.message).toMatch(text);
  });
});

describe('BackendTrafficPolicy on agentgateway', () => {
  it('retries and timeouts: retryOn conditions as status codes, per-try timeout, backoff; the HTTPRoute’s own win', () => {
    const policy = traffic({
      retry: {
        numRetries: 3,
        retryOn: ['gateway-error', 'connect-failure', 'retriable-status-codes'],
        retriableStatusCodes: [429],
        perTryTimeoutMs: 1500,
        backoff: { baseIntervalMs: 100 },
      },
      timeout: { requestMs: 5000 },
    });
    const own = { ...guarded(policy), retry: { codes: [500], attempts: 1 }, timeouts: { requestMs: 2000 } };
    const resources = translateGateway(gatewayWith(guarded(policy), own), {});
    expect(decodedRoute(resources, 0).trafficPolicies).toEqual([
      { timeout: { request: '5s', backendRequest: '1.500s' } },
      { retry: { retryStatusCodes: [429, 502, 503, 504], attempts: 3, backoff: '0.100s' } },
    ]);
    expect(decodedRoute(resources, 1).trafficPolicies).toEqual([
      { timeout: { request: '2s' } },
      { retry: { retryStatusCodes: [500], attempts: 1 } },
    ]);
  });

  it('an HTTPRoute retry of 0 attempts sends no retry (agentgateway reads 0 as 1)', () => {
    const resources = translateGateway(
      gatewayWith(rule([service('app', [9000])], { retry: { codes: [503], attempts: 0 } })),
      {},
    );
    expect(decodedRoute(resources).trafficPolicies).toBeUndefined();
  });

  it('local rate limit: a token bucket per route; outlier detection and TCP settings on every backend', () => {
    const owner = TRAFFIC;
    const resources = translateGateway(
      gatewayWith(
        guarded(
          traffic({
            rateLimit: {
              global: [],
              local: [
                {
                  owner,
                  index: 0,
                  selector: { headers: [], methods: [], queryParams: [] },
                  requests: 10,
                  unit: 'Minute',
                  shared: false,
                  shadowMode: false,
                },
              ],
            },
            cluster: {
              outlierDetection: {
                splitExternalLocalOriginErrors: false,
                intervalMs: 10_000,
                consecutiveLocalOriginFailures: 5,
                consecutive5xx: 3,
                baseEjectionTimeMs: 30_000,
                maxEjectionPercent: 10,
                alwaysEjectOneEndpoint: false,
              },
              connectTimeoutMs: 2000,
              tcpKeepalive: { idleTimeS: 60, intervalS: 10, probes: 3 },
            },
          }),
        ),
      ),
      {},
    );
    const decoded = decodedRoute(resources);
    expect(decoded.trafficPolicies).toEqual([
      { localRateLimit: { maxTokens: '10', tokensPerFill: '10', fillInterval: '60s', type: 'REQUEST' } },
    ]);
    expect((decoded.backends as Record<string, unknown>[])[0]!.backendPolicies).toEqual([
      { health: { eviction: { duration: '30s', consecutiveFailures: 3 } } },
      { backendTcp: { keepalive: { time: '60s', interval: '10s', retries: 3 }, connectTimeout: '2s' } },
    ]);
  });

  it.each([
    [
      'a local rule with client selectors',
      traffic({
        rateLimit: {
          global: [],
          local: [
            {
              owner: TRAFFIC,
              index: 0,
              selector: {
                headers: [{ name: 'x-user', match: { kind: 'Distinct' }, invert: false }],
                methods: [],
                queryParams: [],
              },
              requests: 1,
              unit: 'Second',
              shared: false,
              shadowMode: false,
            },
          ],
        },
      }),
      /spec\.rateLimit\.local\.rules\[0\]\.clientSelectors/,
    ],
    [
      'a global rule',
      traffic({
        rateLimit: {
          global: [
            {
              owner: TRAFFIC,
              index: 0,
              selector: { headers: [], methods: [], queryParams: [] },
              requests: 1,
              unit: 'Second',
              shared: true,
              shadowMode: false,
            },
          ],
          local: [],
        },
      }),
      /spec\.rateLimit\.global/,
    ],
    [
      'a circuit breaker',
      traffic({ cluster: { circuitBreaker: { maxConnections: 1 } } }),
      /spec\.circuitBreaker/,
    ],
    [
      'fault injection',
      traffic({ faultInjection: { abort: { httpStatus: 503, percentage: 100 } } }),
      /spec\.faultInjection/,
    ],
    ['a stream idle timeout', traffic({ timeout: { streamIdleMs: 1000 } }), /streamIdleTimeout/],
    [
      'gRPC retry conditions',
      traffic({ retry: { numRetries: 1, retryOn: ['unavailable'], retriableStatusCodes: [] } }),
      /retryOn/,
    ],
  ])('%s fails closed, named', (_what, policies, text) => {
    const resources = translateGateway(gatewayWith(guarded(policies)), {});
    expect(decodedRoute(resources).trafficPolicies).toEqual([{ directResponse: { status: 500 } }]);
    expect(resources.unsupported[0]!.message).toMatch(/BackendTrafficPolicy default\/btp/);
    expect(resources.unsupported[0]!.message).toMatch(text);
  });
});

describe('policies over delta ADS to an agentgateway client', () => {
  let harness: AgentgatewayHarness;
  beforeEach(async () => {
    harness = await startAgentgatewayHarness(64);
  });
  afterEach(() => harness.stop());

  it('a proxy receives the JWT and API-key Routes as agentgateway policies; an inexpressible one answers 500 and the status names it', async () => {
    const remote = localJwt({
      jwks: {
        kind: 'remote',
        uri: 'https://idp.example.com/jwks',
        destination: { kind: 'uri', host: 'idp.example.com', port: 443, tls: true },
      },
    });
    const ir = gatewayWith(
      guarded(security({ jwt: localJwt() })),
      guarded(
        security({
          apiKeyAuth: {
            credentials: [{ client: 'a', key: 'k' }],
            extractFrom: [{ headers: ['x-api-key'], params: [], cookies: [] }],
            sanitize: true,
          },
        }),
      ),
      guarded(security({ jwt: remote })),
    );
    await harness.change(ir, 1);
    const stream = harness.client.delta();
    stream.send({ node: proxyNode('proxy-1') as never, type_url: AGENTGATEWAY_TYPE_URL.resource });
    const response = await stream.next();
    const routes = Object.fromEntries(
      response.resources
        .filter((r) => r.name.startsWith('route/'))
        .map((r) => [
          r.name.split('/').at(-1),
          (agentgatewayApi().decodeResource(r.resource.value) as { route: Record<string, unknown> }).route,
        ]),
    );
    expect((routes['0']!.trafficPolicies as Record<string, unknown>[])[0]).toMatchObject({
      jwt: { mode: 'STRICT', providers: [{ issuer: 'https://idp.example.com', inline: JWKS }] },
    });
    // STRICT is the enum's 0 for API keys (1 for JWT): proto3 leaves it off the wire, agentgateway reads it as STRICT.
    expect(routes['1']!.trafficPolicies).toEqual([
      {
        apiKeyAuth: {
          apiKeys: [{ key: 'k', metadata: { client: 'a' } }],
          authorizationLocation: { header: { name: 'x-api-key' } },
        },
      },
    ]);
    expect(routes['2']!.trafficPolicies).toEqual([{ directResponse: { status: 500 } }]);
    expect(routes['2']!.backends).toBeUndefined();
    stream.send({ type_url: AGENTGATEWAY_TYPE_URL.resource, response_nonce: response.nonce });
    await expect
      .poll(() => harness.statuses.at(-1)?.proxies)
      .toEqual([{ proxy: 'proxy-1', ackedRevision: 1 }]);
    expect(harness.statuses.at(-1)?.refusals).toEqual([
      {
        route: resourceKey('gateway.networking.k8s.io', 'HTTPRoute', 'default', 'r'),
        rule: 2,
        severity: 'dropped',
        message: expect.stringMatching(/SecurityPolicy default\/sp spec\.jwt\.providers\[0\]\.remoteJWKS/),
      },
    ]);
    stream.close();
  });
});
