// SecurityPolicy external authorization over gRPC (extAuth.grpc), from YAML through the controller to a real Envoy
// and a real envoy.service.auth.v3.Authorization server: an allowed request reaches the backend with the header
// the service adds (and without the one it removes), a denied one gets the service's own status, headers and body;
// only the headers `headersToExtAuth` names reach the service, with the policy's context extensions. A service
// that is down refuses the request (failOpen false, 403), never serves it open; with failOpen true it passes.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type GrpcExtAuthzServer, startGrpcExtAuthz } from '../harness/auth/grpc-ext-authz-server.ts';
import { type EchoServer, startHttpEcho } from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import {
  edgeGatewayManifests,
  type FilesModeEnvoy,
  policyCondition,
  prefixRouteToApp,
  startManifestEnvoy,
} from './files-mode-envoy.ts';
import { httpRequest } from './http-client.ts';

const EG = 'gateway.envoyproxy.io';

function manifests(ports: { gateway: number; app: number; authz: number; dead: number }): string {
  const backend = (name: string, port: number) =>
    `apiVersion: ${EG}/v1alpha1
kind: Backend
metadata: { name: ${name}, namespace: apps }
spec:
  endpoints: [{ ip: { address: 127.0.0.1, port: ${port} } }]`;
  const policy = (name: string, extAuth: string) =>
    `apiVersion: ${EG}/v1alpha1
kind: SecurityPolicy
metadata: { name: ${name}, namespace: apps }
spec:
  targetRefs: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, name: ${name} }]
  extAuth:
    ${extAuth.trim().split('\n').join('\n    ')}`;
  return [
    ...edgeGatewayManifests(ports.gateway),
    backend('app', ports.app),
    backend('authz', ports.authz),
    backend('dead', ports.dead),
    prefixRouteToApp('checked'),
    prefixRouteToApp('closed'),
    prefixRouteToApp('open'),
    policy(
      'checked',
      `headersToExtAuth: [x-allow, x-remove-me]
contextExtensions: [{ name: tenant, value: blue }]
grpc:
  backendRefs: [{ group: ${EG}, kind: Backend, name: authz }]`,
    ),
    policy(
      'closed',
      `timeout: 2s
grpc:
  backendRefs: [{ group: ${EG}, kind: Backend, name: dead }]`,
    ),
    policy(
      'open',
      `timeout: 2s
failOpen: true
grpc:
  backendRefs: [{ group: ${EG}, kind: Backend, name: dead }]`,
    ),
  ].join('\n---\n');
}

let running: FilesModeEnvoy | undefined;
let app: EchoServer;
let authz: GrpcExtAuthzServer;
let gatewayPort: number;

const accepted = (name: string) => policyCondition(running!.plane, 'SecurityPolicy', 'apps', name);

beforeAll(async () => {
  [app, authz] = await Promise.all([startHttpEcho('app'), startGrpcExtAuthz()]);
  // A port nothing listens on: the service that is down.
  const dead = await freePort();
  gatewayPort = await freePort();
  running = await startManifestEnvoy(
    manifests({ gateway: gatewayPort, app: app.port, authz: authz.port, dead }),
    'grpc-ext-authz',
    { port: gatewayPort, path: '/checked', status: 401 },
  );
}, 90_000);

afterAll(async () => {
  await running?.stop();
  await Promise.all([app?.close(), authz?.close()]);
});

describe('gRPC external authorization through a real Envoy', () => {
  test('the policies are accepted', () => {
    for (const name of ['checked', 'closed', 'open'])
      expect(accepted(name)).toMatchObject({ status: 'True', reason: 'Accepted' });
  });

  test('allowed: the backend sees the header the service added, not the one it removed', async () => {
    const before = authz.checks.length;
    const answer = await httpRequest(gatewayPort, '/checked/thing', {
      headers: { 'x-allow': 'yes', 'x-remove-me': 'gone', 'x-secret': 'not for the service' },
    });
    expect(answer.status).toBe(200);
    expect(answer.seen?.headers['x-auth-user']).toBe('bob');
    expect(answer.seen?.headers['x-remove-me']).toBeUndefined();
    // The client's own header still reaches the backend; only the service is kept from it.
    expect(answer.seen?.headers['x-secret']).toBe('not for the service');
    const check = authz.checks[before];
    expect(check?.path).toBe('/checked/thing');
    expect(check?.headers['x-allow']).toBe('yes');
    expect(check?.headers['x-secret']).toBeUndefined();
    expect(check?.contextExtensions).toEqual({ tenant: 'blue' });
  });

  test("denied: the client gets the service's status, headers and body; the backend sees nothing", async () => {
    const seen = app.seen.length;
    const answer = await httpRequest(gatewayPort, '/checked/thing', {
      headers: { 'x-allow': 'no', 'x-auth-user': 'forged' },
    });
    expect([answer.status, answer.headers['x-denied-by'], answer.body]).toEqual([
      401,
      'grpc-authz',
      'denied by grpc authz\n',
    ]);
    expect(answer.seen).toBeUndefined();
    expect(app.seen.length).toBe(seen);
  });

  test('a service that is down: failOpen false refuses (403, never the backend); failOpen true serves', async () => {
    const seen = app.seen.length;
    const closed = await httpRequest(gatewayPort, '/closed', { headers: { 'x-allow': 'yes' } });
    expect([closed.status, closed.seen]).toEqual([403, undefined]);
    expect(app.seen.length).toBe(seen);
    const open = await httpRequest(gatewayPort, '/open', { headers: { 'x-allow': 'yes' } });
    expect(open.status).toBe(200);
    expect(open.seen?.path).toBe('/open');
  });
});
