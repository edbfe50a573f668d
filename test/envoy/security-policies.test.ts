// SecurityPolicy features through a real Envoy, from hand-written IR (the model's side is tested against the
// real apiserver elsewhere): JWT with a remote JWKS over HTTPS (a Service backend with a BackendTLSPolicy CA),
// tokens signed in the test with jose; claims to headers; authorization on claims and client CIDRs; basic
// auth; API keys; CORS preflights; HTTP external authorization; and a denied rule, which answers 500 whatever
// the request carries. No case that must be refused may ever answer 200.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { gatewayIR, listener, port, route, rule, service } from '../../backends/envoy/testdata/gateway-ir.ts';
import type { RuleIR } from '../../model/ir/gateway-ir.ts';
import type { PolicyBackendIR, RulePoliciesIR, SecurityIR } from '../../model/ir/policies.ts';
import { resourceKey } from '../../model/resources/resource-key.ts';
import {
  type ExtAuthzServer,
  type JwksServer,
  JwtIssuer,
  startHttpExtAuthz,
  startJwksServer,
} from '../harness/auth/index.ts';
import { createTestCertificates, type EchoServer, startHttpEcho } from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { EnvoyBackendFixture } from './envoy-backend-fixture.ts';
import { type HttpAnswer, httpRequest } from './http-client.ts';

const POLICY = resourceKey('gateway.envoyproxy.io', 'SecurityPolicy', 'default', 'protect');
const ISSUER = 'https://issuer.example.com';
const AUDIENCE = 'api';

function withPolicies(base: RuleIR, policies: RulePoliciesIR): RuleIR {
  return { ...base, policies };
}

function security(fields: Omit<SecurityIR, 'policy'>): RulePoliciesIR {
  return { security: { policy: POLICY, ...fields } };
}

function htpasswd(user: string, password: string): string {
  return `${user}:{SHA}${createHash('sha1').update(password).digest('base64')}\n`;
}

describe('SecurityPolicy filters through Envoy', () => {
  let fixture: EnvoyBackendFixture;
  let echo: EchoServer;
  let jwks: JwksServer;
  let authz: ExtAuthzServer;
  let issuer: JwtIssuer;
  let httpPort: number;

  const request = (host: string, path = '/', headers: Record<string, string> = {}, method = 'GET') =>
    httpRequest(httpPort, path, { host, headers, method });
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    issuer = await JwtIssuer.create(ISSUER, AUDIENCE);
    const certificates = await createTestCertificates(['jwks.test']);
    jwks = await startJwksServer(certificates, issuer.jwks());
    authz = await startHttpExtAuthz();
    echo = await startHttpEcho('app');
    httpPort = await freePort();
    fixture = await EnvoyBackendFixture.start();

    const app = service('app', [echo.port]);
    const jwksBackend = service('jwks', [jwks.port], {
      servicePort: 443,
      tls: {
        policy: resourceKey('gateway.networking.k8s.io', 'BackendTLSPolicy', 'default', 'jwks'),
        hostname: 'jwks.test',
        subjectAltNames: [],
        caCertificates: [resourceKey('', 'ConfigMap', 'default', 'jwks-ca')],
        caBundle: certificates.caCert,
      },
    }) as PolicyBackendIR;
    const authzBackend = service('authz', [authz.port], { servicePort: 9000 }) as PolicyBackendIR;
    const jwt = {
      optional: false,
      failOpen: false,
      providers: [
        {
          name: 'example',
          issuer: ISSUER,
          audiences: [AUDIENCE],
          jwks: {
            kind: 'remote' as const,
            uri: `https://jwks.test:${jwks.port}${jwks.path}`,
            destination: { kind: 'backends' as const, backends: [jwksBackend] },
            cacheDurationMs: 1_000,
          },
          claimToHeaders: [{ header: 'x-jwt-sub', claim: 'sub' }],
          recomputeRoute: false,
        },
      ],
    };
    const prefix = (value: string) => ({ matches: [{ path: { type: 'PathPrefix', value } }] });
    const ir = gatewayIR([
      port(httpPort, [
        listener('http', 'HTTP', [
          route(
            'jwt',
            [
              withPolicies(
                rule([app], prefix('/admin')),
                security({
                  jwt,
                  authorization: {
                    defaultAction: 'Deny',
                    rules: [
                      {
                        name: 'admins',
                        action: 'Allow',
                        methods: [],
                        clientCIDRs: [],
                        headers: [],
                        jwt: {
                          provider: 'example',
                          claims: [{ name: 'org.role', valueType: 'String', values: ['admin'] }],
                          scopes: ['write'],
                        },
                      },
                    ],
                  },
                }),
              ),
              withPolicies(rule([app], prefix('/')), security({ jwt })),
            ],
            { hostnames: ['jwt.example.com'] },
          ),
          route(
            'jwt-extracted',
            [
              // Its own policy: the JWT filter's requirements are named by policy.
              withPolicies(rule([app]), {
                security: {
                  policy: resourceKey('gateway.envoyproxy.io', 'SecurityPolicy', 'default', 'extracted'),
                  jwt: {
                    optional: true,
                    failOpen: false,
                    providers: [
                      {
                        ...jwt.providers[0]!,
                        name: 'extracted',
                        extractFrom: { headers: [], cookies: ['session-token'], params: ['access_token'] },
                      },
                    ],
                  },
                },
              }),
            ],
            { hostnames: ['jwt-extracted.example.com'] },
          ),
          route(
            'basic',
            [
              withPolicies(
                rule([app]),
                security({ basicAuth: { credentials: htpasswd('alice', 's3cret') } }),
              ),
            ],
            { hostnames: ['basic.example.com'] },
          ),
          route(
            'apikey',
            [
              withPolicies(
                rule([app]),
                security({
                  apiKeyAuth: {
                    credentials: [{ client: 'client-1', key: 'key-one' }],
                    extractFrom: [{ headers: ['x-api-key'], params: [], cookies: [] }],
                    forwardClientIDHeader: 'x-client-id',
                    sanitize: true,
                  },
                }),
              ),
            ],
            { hostnames: ['apikey.example.com'] },
          ),
          route(
            'cors',
            [
              withPolicies(
                rule([app]),
                security({
                  cors: {
                    allowOrigins: ['https://app.example.com'],
                    allowMethods: ['GET', 'POST'],
                    allowHeaders: ['x-custom'],
                    exposeHeaders: [],
                    maxAgeSeconds: 600,
                    allowCredentials: false,
                  },
                  jwt,
                }),
              ),
            ],
            { hostnames: ['cors.example.com'] },
          ),
          route(
            'extauth',
            [
              withPolicies(
                rule([app]),
                security({
                  extAuth: {
                    protocol: 'HTTP',
                    destination: { kind: 'backends', backends: [authzBackend] },
                    path: '/check',
                    headersToBackend: ['x-auth-user'],
                    headersToExtAuth: ['x-allow'],
                    timeoutMs: 5_000,
                    failOpen: false,
                    recomputeRoute: false,
                    contextExtensions: [],
                  },
                }),
              ),
            ],
            { hostnames: ['extauth.example.com'] },
          ),
          route(
            'cidr',
            [
              withPolicies(
                rule([app]),
                security({
                  authorization: {
                    defaultAction: 'Allow',
                    rules: [
                      {
                        name: 'no-loopback',
                        action: 'Deny',
                        methods: [],
                        clientCIDRs: [{ address: '127.0.0.0', prefixLength: 8 }],
                        headers: [],
                      },
                    ],
                  },
                }),
              ),
            ],
            { hostnames: ['cidr.example.com'] },
          ),
          route(
            'denied',
            [
              withPolicies(rule([app]), {
                ...security({ basicAuth: { credentials: htpasswd('alice', 's3cret') } }),
                denied: { status: 500, policy: POLICY, reason: 'Secret default/users not found' },
              }),
            ],
            { hostnames: ['denied.example.com'] },
          ),
          route('open', [rule([app])], { hostnames: ['open.example.com'] }),
        ]),
      ]),
    ]);
    await fixture.send(ir);
    await fixture.startEnvoy(ir.gateway, { nodeId: 'security' });
    await fixture.waitForSynced('security', 1);
  });

  afterAll(async () => {
    await fixture?.stop();
    await Promise.all([echo?.close(), jwks?.close(), authz?.close()]);
  });

  const forwarded = (answer: HttpAnswer) => answer.seen !== undefined;

  test('a route without a policy stays open, and no policy filter touches it', async () => {
    const answer = await request('open.example.com');
    expect(answer.status).toBe(200);
  });

  test('JWT: a valid token passes with its claims in headers; missing, expired, wrong issuer get 401, wrong audience 403', async () => {
    const valid = await request('jwt.example.com', '/', bearer(await issuer.sign({ sub: 'carol' })));
    expect(valid.status).toBe(200);
    expect(valid.seen?.headers['x-jwt-sub']).toBe('carol');
    expect(jwks.fetches).toBeGreaterThan(0);

    const refused = [
      await request('jwt.example.com', '/'),
      await request('jwt.example.com', '/', bearer(await issuer.sign({}, { expiresInSeconds: -120 }))),
      await request(
        'jwt.example.com',
        '/',
        bearer(await issuer.sign({}, { issuer: 'https://evil.example.com' })),
      ),
      await request('jwt.example.com', '/', bearer(await issuer.sign({}, { audience: 'other' }))),
      await request('jwt.example.com', '/', bearer('not-a-jwt')),
    ];
    // Envoy answers a token for another audience with 403 (JwtAudienceNotAllowed), the others with 401.
    expect(refused.map((a) => a.status)).toEqual([401, 401, 401, 403, 401]);
    expect(refused.some(forwarded)).toBe(false);
  });

  test('JWT from a cookie or a query parameter (extractFrom), optional: no token passes without claims, a bad one 401', async () => {
    const token = await issuer.sign({ sub: 'dave' });
    const host = 'jwt-extracted.example.com';
    const fromCookie = await request(host, '/', { cookie: `other=1; session-token=${token}` });
    expect([fromCookie.status, fromCookie.seen?.headers['x-jwt-sub']]).toEqual([200, 'dave']);
    const fromQuery = await request(host, `/?access_token=${token}`);
    expect([fromQuery.status, fromQuery.seen?.headers['x-jwt-sub']]).toEqual([200, 'dave']);
    // optional: a request without a token passes, and carries no claims; a client cannot forge them.
    const anonymous = await request(host, '/', { 'x-jwt-sub': 'mallory' });
    expect(anonymous.status).toBe(200);
    expect(anonymous.seen?.headers['x-jwt-sub']).toBeUndefined();
    // Only the places extractFrom names are read: a bearer header is no token for this provider.
    const header = await request(host, '/', bearer(token));
    expect([header.status, header.seen?.headers['x-jwt-sub']]).toEqual([200, undefined]);
    // A token that is there but invalid is refused, optional or not.
    const expired = await issuer.sign({ sub: 'dave' }, { expiresInSeconds: -120 });
    const refused = [
      await request(host, '/', { cookie: `session-token=${expired}` }),
      await request(host, '/?access_token=not-a-jwt'),
    ];
    expect(refused.map((a) => a.status)).toEqual([401, 401]);
    expect(refused.some(forwarded)).toBe(false);
  });

  test('authorization on JWT claims and scopes: 200 for a matching token, 403 otherwise', async () => {
    const admin = await issuer.sign({ org: { role: 'admin' }, scope: 'read write' });
    expect((await request('jwt.example.com', '/admin', bearer(admin))).status).toBe(200);
    const reader = await issuer.sign({ org: { role: 'admin' }, scope: 'read' });
    const user = await issuer.sign({ org: { role: 'user' }, scope: 'read write' });
    const answers = [
      await request('jwt.example.com', '/admin', bearer(reader)),
      await request('jwt.example.com', '/admin', bearer(user)),
    ];
    expect(answers.map((a) => a.status)).toEqual([403, 403]);
    expect((await request('jwt.example.com', '/admin')).status).toBe(401);
  });

  test('a rotated JWKS is picked up: a token of the new key passes once Envoy refetches', async () => {
    const next = await issuer.rotate();
    const token = await issuer.sign({}, { key: next });
    const before = await request('jwt.example.com', '/', bearer(token));
    expect(before.status).toBe(401);
    jwks.serve(issuer.jwks());
    const deadline = Date.now() + 20_000;
    let answer = before;
    while (answer.status !== 200 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      answer = await request('jwt.example.com', '/', bearer(token));
      expect([200, 401]).toContain(answer.status);
    }
    expect(answer.status).toBe(200);
  });

  test('basic auth: 401 without or with wrong credentials, 200 with the htpasswd user', async () => {
    const basic = (user: string, password: string) => ({
      authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
    });
    const answers = [
      await request('basic.example.com'),
      await request('basic.example.com', '/', basic('alice', 'wrong')),
      await request('basic.example.com', '/', basic('mallory', 's3cret')),
    ];
    expect(answers.map((a) => a.status)).toEqual([401, 401, 401]);
    expect((await request('basic.example.com', '/', basic('alice', 's3cret'))).status).toBe(200);
  });

  test('API keys: 401 without or with an unknown key; a known key passes, named by its client and hidden', async () => {
    const answers = [
      await request('apikey.example.com'),
      await request('apikey.example.com', '/', { 'x-api-key': 'key-two' }),
    ];
    expect(answers.map((a) => a.status)).toEqual([401, 401]);
    const ok = await request('apikey.example.com', '/', { 'x-api-key': 'key-one' });
    expect(ok.status).toBe(200);
    expect(ok.seen?.headers['x-client-id']).toBe('client-1');
    expect(ok.seen?.headers['x-api-key']).toBeUndefined();
  });

  test('CORS: a preflight from an allowed origin is answered before authentication', async () => {
    const preflight = await request(
      'cors.example.com',
      '/',
      { origin: 'https://app.example.com', 'access-control-request-method': 'POST' },
      'OPTIONS',
    );
    expect(preflight.status).toBe(200);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(String(preflight.headers['access-control-allow-methods'])).toContain('POST');
    expect(preflight.seen).toBeUndefined();
    const other = await request(
      'cors.example.com',
      '/',
      { origin: 'https://evil.example.com', 'access-control-request-method': 'POST' },
      'OPTIONS',
    );
    // Another origin's preflight is answered by the gateway without CORS headers (forwardNotMatchingPreflights
    // false, as Envoy Gateway, since 515b63a): the browser refuses it, and it reaches neither the JWT check nor
    // the backend.
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
    expect([other.status, other.seen]).toEqual([200, undefined]);
  });

  test('external authorization: denied with the service answer, allowed with the headers it adds', async () => {
    const denied = await request('extauth.example.com', '/thing');
    expect(denied.status).toBe(403);
    expect(denied.body).toContain('denied by ext authz');
    const allowed = await request('extauth.example.com', '/thing', { 'x-allow': 'yes' });
    expect(allowed.status).toBe(200);
    expect(allowed.seen?.headers['x-auth-user']).toBe('bob');
    expect(authz.checks.at(-1)?.path).toBe('/check/thing');
  });

  test('authorization on client CIDRs: a denied range gets 403, and X-Forwarded-For cannot spoof the address', async () => {
    expect((await request('cidr.example.com')).status).toBe(403);
    expect((await request('cidr.example.com', '/', { 'x-forwarded-for': '10.1.1.1' })).status).toBe(403);
  });

  test('a denied rule answers 500 whatever the request carries, and never reaches the backend', async () => {
    const seenBefore = echo.seen.length;
    const basic = { authorization: `Basic ${Buffer.from('alice:s3cret').toString('base64')}` };
    const answers = [await request('denied.example.com'), await request('denied.example.com', '/', basic)];
    expect(answers.map((a) => a.status)).toEqual([500, 500]);
    expect(echo.seen.length).toBe(seenBefore);
  });
});
