// OpenID Connect's session options (SecurityPolicy `oidc`) from YAML through the controller and a real Envoy,
// against the test provider: the cookies' Domain and SameSite and the CSRF cookie's lifetime as the browser gets
// them, tokens kept in plain text when encryption is disabled, the ID token forwarded in a header, logout sent to
// the provider's end session endpoint (given, or read from its discovery document), and passThroughAuthHeader:
// a client bringing a bearer token the policy's JWT provider accepts passes without a sign-in redirect, a bad one
// is refused by the JWT check, never let through.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type OidcProvider, startOidcProvider } from '../harness/auth/index.ts';
import {
  createTestCertificates,
  type EchoServer,
  startHttpEcho,
  type TestCertificates,
} from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import {
  edgeGatewayManifests,
  type FilesModeEnvoy,
  policyCondition,
  startManifestEnvoy,
} from './files-mode-envoy.ts';
import { type HttpAnswer, httpRequest } from './http-client.ts';
import { CookieJar, followToProvider, oidcPeerManifests, setCookies } from './oidc-browser.ts';

const EG = 'gateway.envoyproxy.io';
const CLIENT = { id: 'switchyard-app', secret: 'client-s3cret' };

function manifests(gatewayPort: number, idpPort: number, appPort: number, ca: string): string {
  const idp = `https://idp.test:${idpPort}`;
  const endpoints = `      issuer: ${idp}
      authorizationEndpoint: ${idp}/authorize
      tokenEndpoint: ${idp}/token`;
  const policy = (name: string, provider: string, rest: string) => `apiVersion: ${EG}/v1alpha1
kind: SecurityPolicy
metadata: { name: ${name}, namespace: apps }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: ${name} }]
  oidc:
    provider:
${provider}
      backendRefs: [{ group: ${EG}, kind: Backend, name: idp }]
    clientID: ${CLIENT.id}
    clientSecret: { name: oidc-client }
${rest
  .trim()
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => `    ${line.trim()}`)
  .join('\n')}`;
  const route = (name: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: apps }
spec:
  parentRefs: [{ name: edge }]
  hostnames: [${name}.example.com]
  rules: [{ backendRefs: [{ group: ${EG}, kind: Backend, name: app }] }]`;
  return [
    ...edgeGatewayManifests(gatewayPort),
    ...oidcPeerManifests(idpPort, appPort, ca, CLIENT.secret),
    route('session'),
    policy(
      'session',
      `${endpoints}\n      endSessionEndpoint: ${idp}/endsession`,
      `
  cookieDomain: example.com
  cookieConfig: { sameSite: Strict }
  csrfTokenTTL: 90s
  disableTokenEncryption: true
  forwardIDToken: { header: x-id-token }`,
    ),
    route('passthrough'),
    `${policy(
      'passthrough',
      endpoints,
      `
  passThroughAuthHeader: true`,
    )}
  jwt:
    providers:
      - name: idp
        issuer: https://idp.test
        claimToHeaders: [{ claim: sub, header: x-jwt-sub }]
        remoteJWKS:
          uri: ${idp}/jwks
          backendRefs: [{ group: ${EG}, kind: Backend, name: idp }]`,
    route('discovered'),
    // By the issuer alone: the end session endpoint comes from the discovery document too.
    policy('discovered', `      issuer: https://localhost:${idpPort}`, ''),
    route('lonely'),
    policy('lonely', endpoints, 'passThroughAuthHeader: true'),
  ].join('\n---\n');
}

let running: FilesModeEnvoy | undefined;
let app: EchoServer;
let idp: OidcProvider;
let certificates: TestCertificates;
let gatewayPort: number;

const visit = (path: string, jar: CookieJar, host: string, headers: Record<string, string> = {}) =>
  httpRequest(gatewayPort, path, {
    host,
    headers: { ...headers, ...(jar.header === '' ? {} : { cookie: jar.header }) },
  });

/** A browser signed in on `host`: the answers of the redirect and of the callback, and its cookies. */
async function signIn(host: string): Promise<{ first: HttpAnswer; callback: HttpAnswer; jar: CookieJar }> {
  const jar = new CookieJar();
  const first = await visit('/', jar, host);
  expect([first.status, first.seen]).toEqual([302, undefined]);
  jar.take(first);
  const back = await followToProvider(idp.port, certificates.caCert, String(first.headers.location));
  const url = new URL(back.location);
  const callback = await visit(`${url.pathname}${url.search}`, jar, host);
  expect(callback.status).toBe(302);
  jar.take(callback);
  return { first, callback, jar };
}

const cookie = (answer: HttpAnswer, prefix: string) =>
  setCookies(answer).find((line) => line.startsWith(prefix));

beforeAll(async () => {
  certificates = await createTestCertificates(['idp.test', 'localhost']);
  gatewayPort = await freePort();
  [app, idp] = await Promise.all([
    startHttpEcho('app'),
    startOidcProvider(certificates, 'https://idp.test', CLIENT),
  ]);
  running = await startManifestEnvoy(
    manifests(gatewayPort, idp.port, app.port, certificates.caCert),
    'oidc-options',
    { port: gatewayPort, path: '/', host: 'session.example.com', status: 302 },
  );
}, 90_000);

afterAll(async () => {
  await running?.stop();
  await Promise.all([app?.close(), idp?.close()]);
});

describe('OpenID Connect session options through Envoy', () => {
  test('cookies: SameSite and the Domain on every one the browser keeps, the CSRF cookie living csrfTokenTTL', async () => {
    expect(policyCondition(running!.plane, 'SecurityPolicy', 'apps', 'session')).toMatchObject({
      status: 'True',
      reason: 'Accepted',
    });
    const { first, callback } = await signIn('session.example.com');
    const kept = [...setCookies(first), ...setCookies(callback)].filter(
      (line) => !line.includes('=deleted;'),
    );
    expect(kept.length).toBeGreaterThanOrEqual(6);
    for (const line of kept) {
      expect(line).toContain(';SameSite=Strict');
      expect(line).toContain(';domain=example.com;');
    }
    expect(cookie(first, 'OauthNonce-')).toContain(';Max-Age=90;');
    // The session itself lives as long as the tokens (expires_in 3600).
    expect(cookie(callback, 'AccessToken-')).toContain(';Max-Age=3600;');
  });

  test("two policies' sign-ins keep apart: each names its nonce, code verifier and session cookies itself", async () => {
    const names = async (host: string) => {
      const { first, callback } = await signIn(host);
      return [...setCookies(first), ...setCookies(callback)]
        .filter((line) => !line.includes('=deleted;'))
        .map((line) => line.slice(0, line.indexOf('=')));
    };
    const [session, passthrough] = [
      await names('session.example.com'),
      await names('passthrough.example.com'),
    ];
    for (const kind of ['OauthNonce', 'CodeVerifier', 'OauthHMAC', 'AccessToken']) {
      // Envoy names a sign-in in progress `<name>.<flow id>` besides `<name>`: the policy's suffix comes first.
      const of = (set: string[]) => set.filter((name) => name.startsWith(`${kind}-`));
      expect([of(session).length > 0, of(passthrough).length > 0]).toEqual([true, true]);
      expect(of(session).filter((name) => of(passthrough).includes(name))).toEqual([]);
    }
  });

  test('disableTokenEncryption: the token cookies hold the tokens as issued; otherwise they are encrypted', async () => {
    const { callback } = await signIn('session.example.com');
    const value = (line: string | undefined) => line?.slice(line.indexOf('=') + 1, line.indexOf(';'));
    expect(value(cookie(callback, 'AccessToken-'))).toBe(idp.accessTokens.at(-1));
    expect(value(cookie(callback, 'IdToken-'))).toBe(idp.idTokens.at(-1));
    const encrypted = await signIn('passthrough.example.com');
    const token = value(cookie(encrypted.callback, 'AccessToken-'));
    expect(token).toBeTruthy();
    expect(token).not.toBe(idp.accessTokens.at(-1));
  });

  test('forwardIDToken: the backend gets the ID token in its header, and the client keeps its own Authorization', async () => {
    const { jar } = await signIn('session.example.com');
    const answer = await visit('/profile', jar, 'session.example.com', { authorization: 'Basic Ym9iOnB3' });
    expect([answer.status, answer.seen?.path]).toEqual([200, '/profile']);
    expect(answer.seen?.headers['x-id-token']).toBe(idp.idTokens.at(-1));
    // forwardAccessToken is false: the client's header reaches the backend as it was (as in Envoy Gateway).
    expect(answer.seen?.headers.authorization).toBe('Basic Ym9iOnB3');
  });

  test('logout goes to the end session endpoint with the ID token as a hint, and clears the session', async () => {
    const { jar } = await signIn('session.example.com');
    const out = await visit('/logout', jar, 'session.example.com');
    expect(out.status).toBe(302);
    const location = new URL(String(out.headers.location));
    expect(`${location.origin}${location.pathname}`).toBe(`https://idp.test:${idp.port}/endsession`);
    expect(Object.fromEntries(location.searchParams)).toEqual({
      id_token_hint: idp.idTokens.at(-1),
      client_id: CLIENT.id,
      post_logout_redirect_uri: 'http://session.example.com/',
    });
    const signedOut = await followToProvider(idp.port, certificates.caCert, location.href);
    expect([signedOut.status, idp.endSessions.at(-1)?.id_token_hint]).toEqual([200, idp.idTokens.at(-1)]);
    // The session cookies are deleted (on the cookie domain): the next request is sent to sign in again.
    const deleted = setCookies(out).filter((line) => line.includes('=deleted;'));
    expect(deleted.map((line) => line.slice(0, line.indexOf('-')))).toEqual(
      expect.arrayContaining(['AccessToken', 'IdToken', 'OauthHMAC']),
    );
    for (const line of deleted) expect(line).toContain(';domain=example.com');
    jar.take(out);
    const after = await visit('/profile', jar, 'session.example.com');
    expect([after.status, after.seen]).toEqual([302, undefined]);
  });

  test("an end session endpoint read from the provider's discovery document", async () => {
    expect(policyCondition(running!.plane, 'SecurityPolicy', 'apps', 'discovered')).toMatchObject({
      status: 'True',
    });
    const out = await visit('/logout', new CookieJar(), 'discovered.example.com');
    expect(out.status).toBe(302);
    const location = new URL(String(out.headers.location));
    expect(`${location.origin}${location.pathname}`).toBe(`https://localhost:${idp.port}/endsession`);
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe('http://discovered.example.com/');
  });

  test('passThroughAuthHeader: a bearer token the JWT provider accepts passes without sign-in; a bad one is refused', async () => {
    expect(policyCondition(running!.plane, 'SecurityPolicy', 'apps', 'passthrough')).toMatchObject({
      status: 'True',
    });
    const host = 'passthrough.example.com';
    const token = await idp.sign({ sub: 'script' });
    const bearer = await visit('/api', new CookieJar(), host, { authorization: `Bearer ${token}` });
    expect([bearer.status, bearer.seen?.headers['x-jwt-sub']]).toEqual([200, 'script']);
    const refused = [
      await visit('/api', new CookieJar(), host, { authorization: 'Bearer not-a-token' }),
      await visit('/api', new CookieJar(), host, {
        authorization: `Bearer ${token.slice(0, -4)}AAAA`,
      }),
    ];
    expect(refused.map((a) => [a.status, a.seen])).toEqual([
      [401, undefined],
      [401, undefined],
    ]);
    // Without such a header: the sign-in redirect, as for any browser.
    for (const headers of [{}, { authorization: 'Basic Ym9iOnB3' }] as Record<string, string>[]) {
      const answer = await visit('/api', new CookieJar(), host, headers);
      expect([answer.status, answer.seen]).toEqual([302, undefined]);
    }
  });

  test('passThroughAuthHeader without a JWT provider: the route answers 500 and the policy says why', async () => {
    const answer = await visit('/', new CookieJar(), 'lonely.example.com');
    expect([answer.status, answer.seen]).toEqual([500, undefined]);
    expect(policyCondition(running!.plane, 'SecurityPolicy', 'apps', 'lonely')).toMatchObject({
      status: 'False',
      reason: 'Invalid',
      message: expect.stringContaining('spec.oidc.passThroughAuthHeader: needs spec.jwt'),
    });
  });
});
