// An Envoy Gateway HTTPRouteFilter on a backendRef, from YAML through the controller to a real Envoy: as in Envoy
// Gateway its credential injection applies to the requests sent to that backend only (the rule's other backend
// never sees the credential); a filter whose fields cannot apply to one backend (a direct response), or that does
// not exist, makes the rule answer 500 and the route's ResolvedRefs name it (UnsupportedValue).
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type EchoServer, startHttpEcho } from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { edgeGatewayManifests, type FilesModeEnvoy, startManifestEnvoy } from './files-mode-envoy.ts';
import { httpRequest } from './http-client.ts';

const EG = 'gateway.envoyproxy.io';

function manifests(ports: { gateway: number; one: number; two: number }): string {
  const backend = (name: string, port: number) => `apiVersion: ${EG}/v1alpha1
kind: Backend
metadata: { name: ${name}, namespace: apps }
spec:
  endpoints: [{ ip: { address: 127.0.0.1, port: ${port} } }]`;
  const filterRef = (name: string) =>
    `[{ type: ExtensionRef, extensionRef: { group: ${EG}, kind: HTTPRouteFilter, name: ${name} } }]`;
  const route = (name: string, backendRefs: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name}, namespace: apps }
spec:
  parentRefs: [{ name: edge }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /${name} } }]
      backendRefs:
${backendRefs}`;
  return [
    ...edgeGatewayManifests(ports.gateway),
    backend('one', ports.one),
    backend('two', ports.two),
    `apiVersion: v1
kind: Secret
metadata: { name: upstream-token, namespace: apps }
type: Opaque
stringData: { credential: Bearer upstream-s3cret }`,
    `apiVersion: ${EG}/v1alpha1
kind: HTTPRouteFilter
metadata: { name: inject, namespace: apps }
spec:
  credentialInjection:
    credential: { valueRef: { name: upstream-token } }`,
    `apiVersion: ${EG}/v1alpha1
kind: HTTPRouteFilter
metadata: { name: answer, namespace: apps }
spec:
  directResponse: { statusCode: 204 }`,
    route(
      'split',
      `        - { group: ${EG}, kind: Backend, name: one, filters: ${filterRef('inject')} }
        - { group: ${EG}, kind: Backend, name: two }`,
    ),
    route(
      'misplaced',
      `        - { group: ${EG}, kind: Backend, name: one, filters: ${filterRef('answer')} }`,
    ),
    route(
      'missing',
      `        - { group: ${EG}, kind: Backend, name: one, filters: ${filterRef('nowhere')} }`,
    ),
  ].join('\n---\n');
}

let running: FilesModeEnvoy | undefined;
let one: EchoServer;
let two: EchoServer;
let gatewayPort: number;

beforeAll(async () => {
  [one, two] = await Promise.all([startHttpEcho('one'), startHttpEcho('two')]);
  gatewayPort = await freePort();
  running = await startManifestEnvoy(
    manifests({ gateway: gatewayPort, one: one.port, two: two.port }),
    'backend-ref-filters',
    { port: gatewayPort, path: '/split', status: 200 },
  );
}, 90_000);

afterAll(async () => {
  await running?.stop();
  await Promise.all([one?.close(), two?.close()]);
});

function resolvedRefs(route: string) {
  const parent = running!.plane.store.get('HTTPRoute', 'apps', route)?.status?.parents?.[0];
  return parent?.conditions.find((c) => c.type === 'ResolvedRefs');
}

describe('an HTTPRouteFilter on a backendRef through a real Envoy', () => {
  test('credential injection reaches the backend whose backendRef names the filter, and only that one', async () => {
    expect(resolvedRefs('split')).toMatchObject({ status: 'True' });
    const seen: Record<string, (string | undefined)[]> = { one: [], two: [] };
    // Both backends share the rule 1:1; send until each has answered a few times (a bounded number of requests).
    for (let i = 0; i < 64 && (seen.one!.length < 3 || seen.two!.length < 3); i++) {
      const answer = await httpRequest(gatewayPort, `/split/${i}`);
      expect(answer.status).toBe(200);
      seen[answer.seen!.backend]!.push(answer.seen!.headers.authorization);
    }
    expect(seen.one!.length).toBeGreaterThanOrEqual(3);
    expect(seen.two!.length).toBeGreaterThanOrEqual(3);
    expect(new Set(seen.one)).toEqual(new Set(['Bearer upstream-s3cret']));
    expect(new Set(seen.two)).toEqual(new Set([undefined]));
  });

  test('a filter with a direct response on a backendRef: the rule answers 500, the route names the field', async () => {
    const before = one.seen.length;
    const answer = await httpRequest(gatewayPort, '/misplaced');
    expect([answer.status, answer.seen]).toEqual([500, undefined]);
    expect(one.seen.length).toBe(before);
    expect(resolvedRefs('misplaced')).toMatchObject({
      status: 'False',
      reason: 'UnsupportedValue',
      message: expect.stringContaining(
        'spec.rules[0].backendRefs[0].filters[0]: HTTPRouteFilter apps/answer: spec.directResponse cannot apply to one backend',
      ),
    });
  });

  test('a backendRef naming a missing HTTPRouteFilter: 500, and the route says which', async () => {
    const answer = await httpRequest(gatewayPort, '/missing');
    expect([answer.status, answer.seen]).toEqual([500, undefined]);
    expect(resolvedRefs('missing')).toMatchObject({
      status: 'False',
      reason: 'UnsupportedValue',
      message: expect.stringContaining('Unable to translate HTTPRouteFilter: apps/nowhere not found'),
    });
  });
});
