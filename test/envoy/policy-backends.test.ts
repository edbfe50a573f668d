// Policies whose services are Envoy Gateway Backends, from YAML through the controller to a real Envoy: a JWT
// provider's remote JWKS fetched over HTTPS through a Backend (its CA and SNI), external authorization through a
// Backend in another namespace that a ReferenceGrant opens, an ext_proc processor through a Backend; a Backend in
// another namespace without a grant denies the route (500) and the policy says why. And a SecurityPolicy of another
// namespace that finds its route by label (targetSelectors with namespaces.from All), where a ReferenceGrant lets it.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  type ExtAuthzServer,
  type HeaderProcessor,
  type JwksServer,
  JwtIssuer,
  startHeaderProcessor,
  startHttpExtAuthz,
  startJwksServer,
} from '../harness/auth/index.ts';
import { createTestCertificates, type EchoServer, startHttpEcho } from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import {
  edgeGatewayManifests,
  type FilesModeEnvoy,
  policyCondition,
  prefixRouteToApp,
  startManifestEnvoy,
} from './files-mode-envoy.ts';
import { httpRequest } from './http-client.ts';

const ISSUER = 'https://issuer.example.com';
const AUDIENCE = 'api';
const EG = 'gateway.envoyproxy.io';

function manifests(ports: {
  gateway: number;
  app: number;
  jwks: number;
  authz: number;
  processor: number;
  jwksCa: string;
}): string {
  const backend = (namespace: string, name: string, spec: string) =>
    `apiVersion: ${EG}/v1alpha1\nkind: Backend\nmetadata: { name: ${name}, namespace: ${namespace} }\nspec:\n  ${spec.trim().split('\n').join('\n  ')}`;
  const target = (name: string) =>
    `targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: ${name} }]`;
  return [
    ...edgeGatewayManifests(ports.gateway),
    `apiVersion: v1
kind: ConfigMap
metadata: { name: jwks-ca, namespace: apps }
data:
  ca.crt: |
    ${ports.jwksCa.trim().split('\n').join('\n    ')}`,
    backend('apps', 'app', `endpoints: [{ ip: { address: 127.0.0.1, port: ${ports.app} } }]`),
    backend(
      'apps',
      'jwks',
      `endpoints: [{ ip: { address: 127.0.0.1, port: ${ports.jwks} } }]
tls:
  caCertificateRefs: [{ group: "", kind: ConfigMap, name: jwks-ca }]
  sni: jwks.test`,
    ),
    backend('auth', 'authz', `endpoints: [{ ip: { address: 127.0.0.1, port: ${ports.authz} } }]`),
    backend('elsewhere', 'authz', `endpoints: [{ ip: { address: 127.0.0.1, port: ${ports.authz} } }]`),
    backend('apps', 'processor', `endpoints: [{ ip: { address: 127.0.0.1, port: ${ports.processor} } }]`),
    `apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: policies, namespace: auth }
spec:
  from: [{ group: ${EG}, kind: SecurityPolicy, namespace: apps }]
  to: [{ group: ${EG}, kind: Backend }]`,
    prefixRouteToApp('jwt'),
    prefixRouteToApp('extauth'),
    prefixRouteToApp('ungranted'),
    prefixRouteToApp('processed'),
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: selected, namespace: apps, labels: { sso: "on" } }
spec:
  parentRefs: [{ name: edge }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /selected } }]
      backendRefs: [{ group: ${EG}, kind: Backend, name: app }]`,
    `apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: auth-policies, namespace: apps }
spec:
  from: [{ group: ${EG}, kind: SecurityPolicy, namespace: auth }]
  to: [{ group: gateway.networking.k8s.io, kind: HTTPRoute }]`,
    `apiVersion: v1
kind: Secret
metadata: { name: users, namespace: auth }
stringData:
  .htpasswd: "alice:{SHA}${createHash('sha1').update('wonderland').digest('base64')}"`,
    `apiVersion: ${EG}/v1alpha1
kind: SecurityPolicy
metadata: { name: sso, namespace: auth }
spec:
  targetSelectors: [{ kind: HTTPRoute, matchLabels: { sso: "on" }, namespaces: { from: All } }]
  basicAuth: { users: { name: users } }`,
    `apiVersion: ${EG}/v1alpha1
kind: SecurityPolicy
metadata: { name: jwt, namespace: apps }
spec:
  ${target('jwt')}
  jwt:
    providers:
      - name: example
        issuer: ${ISSUER}
        audiences: [${AUDIENCE}]
        claimToHeaders: [{ claim: sub, header: x-jwt-sub }]
        remoteJWKS:
          uri: https://jwks.test:${ports.jwks}/.well-known/jwks.json
          backendRefs: [{ group: ${EG}, kind: Backend, name: jwks }]`,
    `apiVersion: ${EG}/v1alpha1
kind: SecurityPolicy
metadata: { name: extauth, namespace: apps }
spec:
  ${target('extauth')}
  extAuth:
    headersToExtAuth: [x-allow]
    http:
      backendRefs: [{ group: ${EG}, kind: Backend, name: authz, namespace: auth }]
      headersToBackend: [x-auth-user]`,
    `apiVersion: ${EG}/v1alpha1
kind: SecurityPolicy
metadata: { name: ungranted, namespace: apps }
spec:
  ${target('ungranted')}
  extAuth:
    headersToExtAuth: [x-allow]
    http:
      backendRefs: [{ group: ${EG}, kind: Backend, name: authz, namespace: elsewhere }]`,
    `apiVersion: ${EG}/v1alpha1
kind: EnvoyExtensionPolicy
metadata: { name: processed, namespace: apps }
spec:
  ${target('processed')}
  extProc:
    - backendRefs: [{ group: ${EG}, kind: Backend, name: processor }]
      processingMode: { request: {} }`,
  ].join('\n---\n');
}

let running: FilesModeEnvoy | undefined;
let app: EchoServer;
let jwks: JwksServer;
let authz: ExtAuthzServer;
let processor: HeaderProcessor;
let issuer: JwtIssuer;
let gatewayPort: number;

const accepted = (kind: 'SecurityPolicy' | 'EnvoyExtensionPolicy', name: string, namespace = 'apps') =>
  policyCondition(running!.plane, kind, namespace, name);

beforeAll(async () => {
  issuer = await JwtIssuer.create(ISSUER, AUDIENCE);
  const certificates = await createTestCertificates(['jwks.test']);
  [app, jwks, authz, processor] = await Promise.all([
    startHttpEcho('app'),
    startJwksServer(certificates, issuer.jwks()),
    startHttpExtAuthz(),
    startHeaderProcessor('proc-1'),
  ]);
  gatewayPort = await freePort();
  const manifest = manifests({
    gateway: gatewayPort,
    app: app.port,
    jwks: jwks.port,
    authz: authz.port,
    processor: processor.port,
    jwksCa: certificates.caCert,
  });
  running = await startManifestEnvoy(manifest, 'policy-backends', {
    port: gatewayPort,
    path: '/jwt',
    status: 401,
  });
}, 90_000);

afterAll(async () => {
  await running?.stop();
  await Promise.all([app?.close(), jwks?.close(), authz?.close(), processor?.close()]);
});

describe('policies reaching their services through Envoy Gateway Backends', () => {
  test('JWT: the remote JWKS comes over HTTPS through a Backend; a valid token passes, none gets 401', async () => {
    expect(accepted('SecurityPolicy', 'jwt')).toMatchObject({ status: 'True', reason: 'Accepted' });
    const token = await issuer.sign();
    const answer = await httpRequest(gatewayPort, '/jwt', { headers: { authorization: `Bearer ${token}` } });
    expect([answer.status, answer.seen?.headers['x-jwt-sub']]).toEqual([200, 'alice']);
    expect(jwks.fetches).toBeGreaterThan(0);
    const stranger = await JwtIssuer.create(ISSUER, AUDIENCE);
    const forged = await httpRequest(gatewayPort, '/jwt', {
      headers: { authorization: `Bearer ${await stranger.sign()}` },
    });
    expect([forged.status, forged.seen]).toEqual([401, undefined]);
  });

  test('external authorization through a Backend another namespace grants: allowed with its header, denied with its answer', async () => {
    expect(accepted('SecurityPolicy', 'extauth')).toMatchObject({ status: 'True' });
    const allowed = await httpRequest(gatewayPort, '/extauth', { headers: { 'x-allow': 'yes' } });
    expect([allowed.status, allowed.seen?.headers['x-auth-user']]).toEqual([200, 'bob']);
    const denied = await httpRequest(gatewayPort, '/extauth');
    expect([denied.status, denied.body, denied.seen]).toEqual([403, 'denied by ext authz\n', undefined]);
  });

  test('a Backend in another namespace without a ReferenceGrant: the route answers 500, the policy says why', async () => {
    const before = authz.checks.length;
    const answer = await httpRequest(gatewayPort, '/ungranted', { headers: { 'x-allow': 'yes' } });
    expect([answer.status, answer.seen]).toEqual([500, undefined]);
    expect(authz.checks.length).toBe(before);
    expect(accepted('SecurityPolicy', 'ungranted')).toMatchObject({
      status: 'False',
      reason: 'Invalid',
      message: expect.stringContaining(
        'spec.extAuth.http.backendRefs[0]: Backend elsewhere/authz is in another namespace and no ReferenceGrant allows it',
      ),
    });
  });

  test('ext_proc through a Backend: the processor sees the request and adds its header', async () => {
    expect(accepted('EnvoyExtensionPolicy', 'processed')).toMatchObject({ status: 'True' });
    const answer = await httpRequest(gatewayPort, '/processed/x');
    expect([answer.status, answer.seen?.headers['x-processed']]).toEqual([200, 'proc-1']);
    expect(processor.paths).toContain('/processed/x');
  });

  test('a SecurityPolicy of another namespace selecting a route by label, where a ReferenceGrant lets it: enforced', async () => {
    expect(accepted('SecurityPolicy', 'sso', 'auth')).toMatchObject({ status: 'True', reason: 'Accepted' });
    const none = await httpRequest(gatewayPort, '/selected');
    expect([none.status, none.seen]).toEqual([401, undefined]);
    const basic = `Basic ${Buffer.from('alice:wonderland').toString('base64')}`;
    const answer = await httpRequest(gatewayPort, '/selected', { headers: { authorization: basic } });
    expect(answer.status).toBe(200);
    // Routes without the label are not the policy's: /processed answers without credentials.
    expect((await httpRequest(gatewayPort, '/processed/y')).status).toBe(200);
  });
});
