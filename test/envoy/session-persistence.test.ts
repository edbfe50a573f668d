// Route rules' sessionPersistence from YAML through the controller and a real Envoy (its stateful_session filter):
// a Backend with two endpoints; a request without a session is balanced and its answer carries one (a cookie, or
// a header), and every request sending a session back reaches the endpoint it names. A rule asking what Envoy
// cannot do (an idle timeout) is left out and its route says why.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ControlPlane } from '../../cli/control-plane.ts';
import { eventually } from '../controlplane/kubernetes-harness.ts';
import { type EchoServer, startHttpEcho } from '../harness/echo/index.ts';
import { type Envoy, freePort } from '../harness/envoy/index.ts';
import { edgeGatewayManifests, type FilesModeEnvoy, startFilesModeEnvoy } from './files-mode-envoy.ts';
import { type HttpAnswer, httpRequest } from './http-client.ts';

const SESSIONS = 8;

function manifests(gatewayPort: number, ports: readonly number[]): string {
  const route = (name: string, host: string, rule: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: apps }
spec:
  parentRefs: [{ name: edge }]
  hostnames: [${host}]
  rules:
    - backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: pair }]
${rule}`;
  return [
    ...edgeGatewayManifests(gatewayPort),
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: pair, namespace: apps }
spec:
  endpoints:
${ports.map((port) => `    - ip: { address: 127.0.0.1, port: ${port} }`).join('\n')}`,
    route(
      'by-cookie',
      'cookie.example.com',
      `      matches: [{ path: { type: PathPrefix, value: /app } }]
      sessionPersistence:
        sessionName: sticky
        absoluteTimeout: 1h
        cookieConfig: { lifetimeType: Permanent }`,
    ),
    route(
      'by-header',
      'header.example.com',
      `      sessionPersistence: { sessionName: x-session, type: Header }`,
    ),
    route('idle', 'idle.example.com', `      sessionPersistence: { sessionName: idle, idleTimeout: 5m }`),
  ].join('\n---\n');
}

let dir: string;
let running: FilesModeEnvoy | undefined;
let plane: ControlPlane;
let envoy: Envoy | undefined;
let echoes: EchoServer[] = [];
let gatewayPort: number;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-sessions-'));
  echoes = await Promise.all([startHttpEcho('one'), startHttpEcho('two')]);
  gatewayPort = await freePort();
  await writeFile(
    join(dir, 'sessions.yaml'),
    manifests(
      gatewayPort,
      echoes.map((echo) => echo.port),
    ),
  );
  running = await startFilesModeEnvoy(
    join(dir, 'sessions.yaml'),
    { namespace: 'apps', name: 'edge' },
    'sessions',
  );
  ({ plane, envoy } = running);
  await eventually('the Gateway to answer', async () => {
    const answer = await httpRequest(gatewayPort, '/app', { host: 'cookie.example.com' });
    return answer.status === 200 ? answer : undefined;
  }).catch((error: Error) => {
    throw new Error(`${error.message}; problems: ${JSON.stringify(plane.problems)}\n${envoy?.log(60)}`);
  });
}, 90_000);

afterAll(async () => {
  await running?.stop();
  await Promise.all(echoes.map((echo) => echo.close()));
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/**
 * Fresh sessions until one names each endpoint: what a new client is given, per endpoint it was balanced to
 * (bounded: the load balancer spreads new requests over both).
 */
async function sessionPerEndpoint(
  request: () => Promise<HttpAnswer>,
  sessionOf: (answer: HttpAnswer) => string | undefined,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (let attempt = 0; attempt < 64 && found.size < echoes.length; attempt++) {
    const answer = await request();
    expect(answer.status).toBe(200);
    const session = sessionOf(answer);
    expect(session, 'a new client is given a session').toBeDefined();
    if (answer.seen !== undefined && !found.has(answer.seen.backend))
      found.set(answer.seen.backend, session as string);
  }
  expect([...found.keys()].sort()).toEqual(['one', 'two']);
  return found;
}

describe('session persistence through Envoy', () => {
  test('a cookie session: set on the first answer (Path from the rule, Max-Age from absoluteTimeout); sent back, every request reaches its endpoint', async () => {
    const setCookie = (answer: HttpAnswer) =>
      ([answer.headers['set-cookie']].flat().find((c) => c?.startsWith('sticky=')) as string | undefined) ??
      undefined;
    const sessions = await sessionPerEndpoint(
      () => httpRequest(gatewayPort, '/app/orders', { host: 'cookie.example.com' }),
      setCookie,
    );
    const cookie = sessions.get('one') as string;
    expect(cookie).toMatch(/; Max-Age=3600/);
    expect(cookie).toMatch(/; Path=\/app/);
    for (const [backend, line] of sessions) {
      const pair = line.split(';')[0] as string;
      const reached: string[] = [];
      for (let i = 0; i < SESSIONS; i++) {
        const answer = await httpRequest(gatewayPort, '/app/orders', {
          host: 'cookie.example.com',
          headers: { cookie: pair },
        });
        reached.push(answer.seen?.backend ?? `status ${answer.status}`);
      }
      expect(reached).toEqual(new Array(SESSIONS).fill(backend));
    }
  });

  test('a header session: the answer names it in x-session; sent back, every request reaches its endpoint', async () => {
    const sessions = await sessionPerEndpoint(
      () => httpRequest(gatewayPort, '/', { host: 'header.example.com' }),
      (answer) => answer.headers['x-session'] as string | undefined,
    );
    for (const [backend, session] of sessions) {
      const reached: string[] = [];
      for (let i = 0; i < SESSIONS; i++) {
        const answer = await httpRequest(gatewayPort, '/', {
          host: 'header.example.com',
          headers: { 'x-session': session },
        });
        reached.push(answer.seen?.backend ?? `status ${answer.status}`);
      }
      expect(reached).toEqual(new Array(SESSIONS).fill(backend));
    }
  });

  test('an idle timeout Envoy cannot keep: the rule is left out and the route says why', async () => {
    const parent = plane.store.get('HTTPRoute', 'apps', 'idle')?.status?.parents?.[0];
    expect(parent?.conditions.find((c) => c.type === 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'UnsupportedValue',
      message: expect.stringContaining('spec.rules[0].sessionPersistence.idleTimeout: not supported'),
    });
    const answer = await httpRequest(gatewayPort, '/', { host: 'idle.example.com' });
    expect(answer.seen).toBeUndefined();
  });
});
