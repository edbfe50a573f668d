// OpenID Connect (SecurityPolicy `oidc`) from YAML through the controller and a real Envoy, against a local
// provider written in the test (jose-signed tokens, PKCE checked): a browser without a session is sent to the
// provider; the callback exchanges the code (the client authenticated by its secret from a Secret) and sets the
// session cookies; with them the request reaches the backend with the access token; forged cookies are sent
// back to the provider, never let through; logout clears the session. A policy whose client secret is missing
// answers 500 and says why. A provider given by its issuer alone has its endpoints read from its discovery
// document by the control plane (over HTTPS, trusting the provider Backend's CA); one whose document cannot be
// read answers 500 naming the URL and the answer, until the document appears (read again every refresh).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ControlPlane } from '../../cli/control-plane.ts';
import type { PolicyAncestorStatusShape } from '../../model/resources/envoy-gateway-policies.ts';
import { eventually } from '../controlplane/kubernetes-harness.ts';
import { type OidcProvider, startOidcProvider } from '../harness/auth/index.ts';
import {
  createTestCertificates,
  type EchoServer,
  startHttpEcho,
  type TestCertificates,
} from '../harness/echo/index.ts';
import { type Envoy, freePort } from '../harness/envoy/index.ts';
import { edgeGatewayManifests, type FilesModeEnvoy, startFilesModeEnvoy } from './files-mode-envoy.ts';
import { type HttpAnswer, httpRequest } from './http-client.ts';
import { CookieJar, followToProvider, oidcPeerManifests } from './oidc-browser.ts';

const EG = 'gateway.envoyproxy.io';
const CLIENT = { id: 'switchyard-app', secret: 'client-s3cret' };

function manifests(gatewayPort: number, idpPort: number, appPort: number, ca: string): string {
  const idp = `https://idp.test:${idpPort}`;
  const policy = (
    name: string,
    route: string,
    secret: string,
    issuer?: string,
    extra = '',
  ) => `apiVersion: ${EG}/v1alpha1
kind: SecurityPolicy
metadata: { name: ${name}, namespace: apps }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: ${route} }]
  oidc:
    provider:
${
  issuer === undefined
    ? `      issuer: ${idp}
      authorizationEndpoint: ${idp}/authorize
      tokenEndpoint: ${idp}/token`
    : `      issuer: ${issuer}`
}
      backendRefs: [{ group: ${EG}, kind: Backend, name: idp }]
    clientID: ${CLIENT.id}
    clientSecret: { name: ${secret} }
    scopes: [email]
    forwardAccessToken: true${extra}`;
  const route = (name: string, host: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: apps }
spec:
  parentRefs: [{ name: edge }]
  hostnames: [${host}]
  rules: [{ backendRefs: [{ group: ${EG}, kind: Backend, name: app }] }]`;
  return [
    ...edgeGatewayManifests(gatewayPort),
    ...oidcPeerManifests(idpPort, appPort, ca, CLIENT.secret),
    route('app', 'app.example.com'),
    route('broken', 'broken.example.com'),
    // Scripts (X-Requested-With) get 401, not a redirect to the provider's sign-in page.
    policy(
      'oidc',
      'app',
      'oidc-client',
      undefined,
      '\n    denyRedirect: {headers: [{name: X-Requested-With, value: XMLHttpRequest}]}',
    ),
    policy('oidc-broken', 'broken', 'no-such-secret'),
    route('discovered', 'discovered.example.com'),
    route('late', 'late.example.com'),
    // By the issuer alone: the endpoints come from https://localhost:<port>/.well-known/openid-configuration.
    policy('oidc-discovered', 'discovered', 'oidc-client', `https://localhost:${idpPort}`),
    // Its document answers 503 until the test serves it.
    policy('oidc-late', 'late', 'oidc-client', `https://localhost:${idpPort}/late`),
  ].join('\n---\n');
}

let dir: string;
let running: FilesModeEnvoy | undefined;
let plane: ControlPlane;
let envoy: Envoy | undefined;
let app: EchoServer;
let idp: OidcProvider;
let certificates: TestCertificates;
let gatewayPort: number;

/** Where the provider's authorization endpoint sends the browser back to (its Location). */
const toProvider = async (location: string) =>
  (await followToProvider(idp.port, certificates.caCert, location)).location;

const visit = (path: string, jar: CookieJar, host = 'app.example.com'): Promise<HttpAnswer> =>
  httpRequest(gatewayPort, path, { host, headers: jar.header === '' ? {} : { cookie: jar.header } });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-oidc-'));
  certificates = await createTestCertificates(['idp.test', 'localhost']);
  gatewayPort = await freePort();
  [app, idp] = await Promise.all([
    startHttpEcho('app'),
    startOidcProvider(certificates, 'https://idp.test', CLIENT),
  ]);
  await writeFile(join(dir, 'oidc.yaml'), manifests(gatewayPort, idp.port, app.port, certificates.caCert));
  running = await startFilesModeEnvoy(join(dir, 'oidc.yaml'), { namespace: 'apps', name: 'edge' }, 'oidc', {
    oidcDiscovery: { refreshMs: 500 },
  });
  ({ plane, envoy } = running);
  await eventually('the Gateway to answer', async () => {
    const answer = await httpRequest(gatewayPort, '/', { host: 'app.example.com' });
    return answer.status === 302 ? answer : undefined;
  }).catch((error: Error) => {
    throw new Error(`${error.message}; problems: ${JSON.stringify(plane.problems)}\n${envoy?.log(60)}`);
  });
}, 90_000);

afterAll(async () => {
  await running?.stop();
  await Promise.all([app?.close(), idp?.close()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

function accepted(name: string) {
  const status = plane.store.get('SecurityPolicy', 'apps', name)?.status as
    | { ancestors?: PolicyAncestorStatusShape[] }
    | undefined;
  return status?.ancestors?.[0]?.conditions?.find((c) => c.type === 'Accepted');
}

describe('OpenID Connect through Envoy', () => {
  test('sign in: redirected to the provider, the callback sets a session, the backend sees the access token', async () => {
    expect(accepted('oidc')).toMatchObject({ status: 'True', reason: 'Accepted' });
    const jar = new CookieJar();
    const first = await visit('/orders?page=2', jar);
    expect(first.status).toBe(302);
    expect(first.seen).toBeUndefined();
    jar.take(first);
    const location = String(first.headers.location);
    const authorize = new URL(location);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`https://idp.test:${idp.port}/authorize`);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      client_id: CLIENT.id,
      response_type: 'code',
      redirect_uri: 'http://app.example.com/oauth2/callback',
      // Envoy Gateway's order: the policy's scopes, then openid.
      scope: 'email openid',
      // PKCE: the token request must carry the verifier of this challenge (the provider checks it).
      code_challenge_method: 'S256',
    });

    const callback = new URL(await toProvider(location));
    expect(callback.pathname).toBe('/oauth2/callback');
    const exchanged = await visit(`${callback.pathname}${callback.search}`, jar);
    expect(exchanged.status).toBe(302);
    expect(String(exchanged.headers.location)).toBe('http://app.example.com/orders?page=2');
    jar.take(exchanged);
    expect(idp.tokenRequests.at(-1)).toMatchObject({
      clientOk: true,
      form: {
        grant_type: 'authorization_code',
        redirect_uri: 'http://app.example.com/oauth2/callback',
        code_verifier: expect.any(String),
      },
    });

    const signedIn = await visit('/orders?page=2', jar);
    expect([signedIn.status, signedIn.seen?.path]).toEqual([200, '/orders?page=2']);
    expect(signedIn.seen?.headers.authorization).toBe(`Bearer ${idp.accessTokens.at(-1)}`);

    // A forged session goes back to the provider, never to the backend.
    const forged = new CookieJar();
    forged.take({
      status: 0,
      body: '',
      headers: { 'set-cookie': jar.header.split('; ').map((c) => `${c.replace(/=.*/, '')}=forged`) },
    });
    const refused = await visit('/orders', forged);
    expect([refused.status, refused.seen]).toEqual([302, undefined]);

    // Logout clears the session: the next request is sent to sign in again.
    const out = await visit('/logout', jar);
    expect(out.status).toBe(302);
    jar.take(out);
    const after = await visit('/orders', jar);
    expect([after.status, after.seen]).toEqual([302, undefined]);
  });

  test('denyRedirect: a script without a session gets 401 instead of the sign-in redirect', async () => {
    const script = await httpRequest(gatewayPort, '/orders', {
      host: 'app.example.com',
      headers: { 'x-requested-with': 'XMLHttpRequest' },
    });
    expect([script.status, script.headers.location, script.seen]).toEqual([401, undefined, undefined]);
    const browser = await httpRequest(gatewayPort, '/orders', { host: 'app.example.com' });
    expect(browser.status).toBe(302);
  });

  test('a code the provider refuses (reused) signs nobody in', async () => {
    const jar = new CookieJar();
    const first = await visit('/', jar);
    jar.take(first);
    const callback = new URL(await toProvider(String(first.headers.location)));
    const exchanged = await visit(`${callback.pathname}${callback.search}`, jar);
    expect(exchanged.status).toBe(302);
    // The same code again, with the same state cookies: the provider refuses it, and Envoy lets nobody in.
    const before = idp.tokenRequests.length;
    const again = await visit(`${callback.pathname}${callback.search}`, jar);
    expect([again.status, again.seen]).toEqual([401, undefined]);
    expect(idp.tokenRequests.length).toBe(before + 1);
  });

  test('a policy whose client secret is missing: its route answers 500 and the policy says why', async () => {
    const answer = await httpRequest(gatewayPort, '/', { host: 'broken.example.com' });
    expect([answer.status, answer.seen]).toEqual([500, undefined]);
    expect(accepted('oidc-broken')).toMatchObject({
      status: 'False',
      reason: 'Invalid',
      message: expect.stringContaining('spec.oidc.clientSecret: Secret apps/no-such-secret not found'),
    });
  });

  test('a provider given by its issuer alone: endpoints from its discovery document, sign-in works', async () => {
    expect(idp.discoveries).toContain('/.well-known/openid-configuration');
    expect(accepted('oidc-discovered')).toMatchObject({ status: 'True', reason: 'Accepted' });
    const host = 'discovered.example.com';
    const jar = new CookieJar();
    const first = await visit('/inbox', jar, host);
    expect([first.status, first.seen]).toEqual([302, undefined]);
    jar.take(first);
    const authorize = new URL(String(first.headers.location));
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`https://localhost:${idp.port}/authorize`);
    expect(authorize.searchParams.get('client_id')).toBe(CLIENT.id);
    // The code is exchanged at the token endpoint the document named, through the provider's Backend.
    const callback = new URL(await toProvider(String(first.headers.location)));
    const before = idp.tokenRequests.length;
    const exchanged = await visit(`${callback.pathname}${callback.search}`, jar, host);
    expect([exchanged.status, String(exchanged.headers.location)]).toEqual([302, `http://${host}/inbox`]);
    expect(idp.tokenRequests.slice(before)).toMatchObject([{ clientOk: true }]);
    jar.take(exchanged);
    const signedIn = await visit('/inbox', jar, host);
    expect([signedIn.status, signedIn.seen?.path]).toEqual([200, '/inbox']);
  });

  test('a discovery document that cannot be read: 500 naming the URL and the answer, until it can', async () => {
    const url = `https://localhost:${idp.port}/late/.well-known/openid-configuration`;
    const refused = await httpRequest(gatewayPort, '/', { host: 'late.example.com' });
    expect([refused.status, refused.seen]).toEqual([500, undefined]);
    expect(accepted('oidc-late')).toMatchObject({
      status: 'False',
      reason: 'Invalid',
      message: expect.stringContaining(`spec.oidc.provider: fetching ${url} answered HTTP 503`),
    });
    // The provider starts serving it: the next refresh reads it and the route sends browsers to sign in.
    idp.serveDiscovery('/late', true);
    const redirected = await eventually('the late document to be read', async () => {
      const answer = await httpRequest(gatewayPort, '/', { host: 'late.example.com' });
      return answer.status === 302 ? answer : undefined;
    });
    expect(redirected.seen).toBeUndefined();
    expect(String(redirected.headers.location)).toMatch(
      new RegExp(`^https://localhost:${idp.port}/authorize\\?`),
    );
    expect(accepted('oidc-late')).toMatchObject({ status: 'True', reason: 'Accepted' });
  });
});
