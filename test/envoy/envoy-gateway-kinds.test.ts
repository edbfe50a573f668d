// Envoy Gateway's Backend and EnvoyProxy end to end in standalone mode: the controller reads the manifests, writes
// the statuses Envoy Gateway writes, and programs a real Envoy whose traffic reaches a DNS name (localhost), an IP
// address, a Unix socket and a TLS backend checked against the Backend's CA (a wrong CA answers 503); a Backend the
// controller cannot use answers 500 and says why on the route; HTTPRouteFilters answer directly or rewrite the
// path and Host (a missing one answers 500); the class's EnvoyProxy writes Envoy's access log.
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ControlPlane } from '../../cli/control-plane.ts';
import type { Condition } from '../../model/resources/kubernetes.ts';
import {
  createTestCertificates,
  type EchoServer,
  echoGrpcClient,
  startGrpcEcho,
  startHttpEcho,
  startHttpsEcho,
  type TestCertificates,
} from '../harness/echo/index.ts';
import { type Envoy, freePort } from '../harness/envoy/index.ts';
import { type FilesModeEnvoy, indentYaml, startFilesModeEnvoy } from './files-mode-envoy.ts';
import { httpRequest } from './http-client.ts';

function manifests(options: {
  gatewayPort: number;
  plainPort: number;
  socket: string;
  securePort: number;
  grpcPort: number;
  ca: string;
  strangerCa: string;
  accessLog: string;
}): string {
  const backend = (name: string, spec: string) =>
    `apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata: { name: ${name}, namespace: apps }\nspec:\n${indentYaml(spec, 2)}`;
  const caConfigMap = (name: string, ca: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: apps }\ndata:\n  ca.crt: |\n${indentYaml(ca, 4)}`;
  const rule = (path: string, backendName: string) =>
    `    - matches: [{ path: { type: PathPrefix, value: ${path} } }]\n      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: ${backendName} }]`;
  return [
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: EnvoyProxy
metadata: { name: proxy, namespace: infra }
spec:
  logging: { level: { default: info } }
  telemetry:
    accessLog:
      settings:
        - format: { type: Text, text: "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %RESPONSE_CODE%" }
          sinks: [{ type: File, file: { path: ${options.accessLog} } }]`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: eg }
spec:
  controllerName: switchyard.dev/gateway-controller
  parametersRef: { group: gateway.envoyproxy.io, kind: EnvoyProxy, name: proxy, namespace: infra }`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: apps }
spec:
  gatewayClassName: eg
  listeners: [{ name: http, protocol: HTTP, port: ${options.gatewayPort} }]`,
    caConfigMap('api-ca', options.ca),
    caConfigMap('stranger-ca', options.strangerCa),
    backend('by-name', `endpoints: [{ fqdn: { hostname: localhost, port: ${options.plainPort} } }]`),
    backend('by-address', `endpoints: [{ ip: { address: 127.0.0.1, port: ${options.plainPort} } }]`),
    backend('by-socket', `endpoints: [{ unix: { path: ${options.socket} } }]`),
    backend(
      'secure',
      `endpoints: [{ ip: { address: 127.0.0.1, port: ${options.securePort} } }]
tls:
  caCertificateRefs: [{ group: "", kind: ConfigMap, name: api-ca }]
  sni: api.internal`,
    ),
    backend(
      'impostor',
      `endpoints: [{ ip: { address: 127.0.0.1, port: ${options.securePort} } }]
tls:
  caCertificateRefs: [{ group: "", kind: ConfigMap, name: stranger-ca }]
  sni: api.internal`,
    ),
    backend('unusable', `type: DynamicResolver`),
    backend('by-policy', `endpoints: [{ ip: { address: 127.0.0.1, port: ${options.securePort} } }]`),
    backend('by-wrong-policy', `endpoints: [{ ip: { address: 127.0.0.1, port: ${options.securePort} } }]`),
    `apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: by-policy, namespace: apps }
spec:
  targetRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: by-policy }]
  validation:
    hostname: api.internal
    caCertificateRefs: [{ group: "", kind: ConfigMap, name: api-ca }]`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: by-wrong-policy, namespace: apps }
spec:
  targetRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: by-wrong-policy }]
  validation:
    hostname: api.internal
    caCertificateRefs: [{ group: "", kind: ConfigMap, name: stranger-ca }]`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: backends, namespace: apps }
spec:
  parentRefs: [{ name: edge }]
  rules:
${[
  rule('/name', 'by-name'),
  rule('/address', 'by-address'),
  rule('/socket', 'by-socket'),
  rule('/secure', 'secure'),
  rule('/impostor', 'impostor'),
  rule('/by-policy', 'by-policy'),
  rule('/by-wrong-policy', 'by-wrong-policy'),
].join('\n')}`,
    `apiVersion: v1
kind: ConfigMap
metadata: { name: gone-body, namespace: apps }
data: { response.body: '{"error":"this API is retired"}' }`,
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: HTTPRouteFilter
metadata: { name: gone, namespace: apps }
spec:
  directResponse:
    statusCode: 410
    contentType: application/json
    body: { type: ValueRef, valueRef: { group: "", kind: ConfigMap, name: gone-body } }
    header: { add: [{ name: x-why, value: retired }] }`,
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: HTTPRouteFilter
metadata: { name: reorder, namespace: apps }
spec:
  urlRewrite:
    path:
      type: ReplaceRegexMatch
      replaceRegexMatch: { pattern: "^/service/([^/]+)(/.*)$", substitution: '\\2/instance/\\1' }`,
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: HTTPRouteFilter
metadata: { name: host-from-header, namespace: apps }
spec:
  urlRewrite:
    hostname: { type: Header, header: x-target-host }`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: filters, namespace: apps }
spec:
  parentRefs: [{ name: edge }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /gone } }]
      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: gone } }]
    - matches: [{ path: { type: PathPrefix, value: /service } }]
      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: reorder } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: by-address }]
    - matches: [{ path: { type: PathPrefix, value: /host } }]
      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: host-from-header } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: by-address }]`,
    `apiVersion: v1
kind: Secret
metadata: { name: upstream-token, namespace: apps }
type: Opaque
stringData: { credential: Bearer upstream-s3cret }`,
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: HTTPRouteFilter
metadata: { name: inject, namespace: apps }
spec:
  credentialInjection:
    credential: { valueRef: { name: upstream-token } }`,
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: HTTPRouteFilter
metadata: { name: inject-key, namespace: apps }
spec:
  credentialInjection:
    header: x-api-key
    overwrite: true
    credential: { valueRef: { name: upstream-token } }`,
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: HTTPRouteFilter
metadata: { name: inject-missing, namespace: apps }
spec:
  credentialInjection:
    credential: { valueRef: { name: no-such-secret } }`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: credentials, namespace: apps }
spec:
  parentRefs: [{ name: edge }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /inject-key } }]
      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: inject-key } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: by-address }]
    - matches: [{ path: { type: PathPrefix, value: /inject-missing } }]
      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: inject-missing } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: by-address }]
    - matches: [{ path: { type: PathPrefix, value: /inject } }]
      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: inject } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: by-address }]
    - matches: [{ path: { type: PathPrefix, value: /no-injection } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: by-address }]`,
    backend('grpc-echo', `endpoints: [{ ip: { address: 127.0.0.1, port: ${options.grpcPort} } }]`),
    `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: grpc-credentials, namespace: apps }
spec:
  parentRefs: [{ name: edge }]
  hostnames: [grpc.example.com]
  rules:
    - filters: [{ type: ExtensionRef, extensionRef: { group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: inject-key } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: grpc-echo }]`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: { name: grpc-missing-filter, namespace: apps }
spec:
  parentRefs: [{ name: edge }]
  hostnames: [grpc-missing.example.com]
  rules:
    - filters: [{ type: ExtensionRef, extensionRef: { group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: nowhere } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: grpc-echo }]`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: missing-filter, namespace: apps }
spec:
  parentRefs: [{ name: edge }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /missing-filter } }]
      filters: [{ type: ExtensionRef, extensionRef: { group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: nowhere } }]
      backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: by-address }]`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: unusable, namespace: apps }
spec:
  parentRefs: [{ name: edge }]
  rules:
${rule('/unusable', 'unusable')}`,
  ].join('\n---\n');
}

let dir: string;
let running: FilesModeEnvoy | undefined;
let plane: ControlPlane;
let envoy: Envoy | undefined;
let plain: EchoServer;
let socketEcho: EchoServer;
let secure: EchoServer;
let grpcEcho: EchoServer;
let certs: TestCertificates;
let gatewayPort: number;
let accessLog: string;

async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  for (let attempt = 0; attempt < 300; attempt++) {
    const value = await Promise.resolve(probe()).catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function condition(kind: 'Backend', name: string, type: string): Condition | undefined {
  return plane.store.get(kind, 'apps', name)?.status?.conditions?.find((c) => c.type === type);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-eg-kinds-'));
  accessLog = join(dir, 'access.log');
  let stranger: TestCertificates;
  [certs, stranger] = await Promise.all([
    createTestCertificates(['api.internal']),
    createTestCertificates(['api.internal']),
  ]);
  [plain, socketEcho, secure, grpcEcho] = await Promise.all([
    startHttpEcho('plain'),
    startHttpEcho('socket', { path: join(dir, 'echo.sock') }),
    startHttpsEcho('secure', certs),
    startGrpcEcho('grpc'),
  ]);
  gatewayPort = await freePort();
  await writeFile(
    join(dir, 'eg.yaml'),
    manifests({
      gatewayPort,
      plainPort: plain.port,
      socket: socketEcho.address,
      securePort: secure.port,
      grpcPort: grpcEcho.port,
      ca: certs.caCert,
      strangerCa: stranger.caCert,
      accessLog,
    }),
  );
  running = await startFilesModeEnvoy(join(dir, 'eg.yaml'), { namespace: 'apps', name: 'edge' }, 'eg-kinds');
  ({ plane, envoy } = running);
  await eventually(async () => {
    const answer = await httpRequest(gatewayPort, '/address');
    return answer.status === 200 ? answer : undefined;
  }, 'the Gateway to answer').catch((error: Error) => {
    throw new Error(`${error.message}; problems: ${JSON.stringify(plane.problems)}\n${envoy?.log(40)}`);
  });
}, 90_000);

afterAll(async () => {
  await running?.stop();
  await Promise.all([plain?.close(), socketEcho?.close(), secure?.close(), grpcEcho?.close()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('Envoy Gateway Backends through the controller and Envoy', () => {
  test('Backends are Accepted as Envoy Gateway says; one the controller cannot use is Invalid, naming the field', () => {
    for (const name of ['by-name', 'by-address', 'by-socket', 'secure', 'impostor']) {
      expect([name, condition('Backend', name, 'Accepted')?.reason]).toEqual([name, 'Accepted']);
    }
    expect(condition('Backend', 'unusable', 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'Invalid',
      message: expect.stringContaining('spec.type: DynamicResolver is not supported'),
    });
  });

  test('traffic reaches a DNS name, an IP address and a Unix socket', async () => {
    for (const [path, backend] of [
      ['/name/x', 'plain'],
      ['/address/x', 'plain'],
      ['/socket/x', 'socket'],
    ] as const) {
      const answer = await httpRequest(gatewayPort, path);
      expect([path, answer.status, answer.seen?.backend, answer.seen?.path]).toEqual([
        path,
        200,
        backend,
        path,
      ]);
    }
  });

  test("TLS to a backend checked against the Backend's CA; another CA answers 503 and reaches nothing", async () => {
    const answer = await httpRequest(gatewayPort, '/secure');
    expect([answer.status, answer.seen?.tls?.servername]).toEqual([200, 'api.internal']);
    const before = secure.seen.length;
    expect((await httpRequest(gatewayPort, '/impostor')).status).toBe(503);
    expect(secure.seen.length).toBe(before);
  });

  test('a BackendTLSPolicy targeting a Backend: TLS checked against its CA and name; another CA answers 503', async () => {
    const answer = await httpRequest(gatewayPort, '/by-policy');
    expect([answer.status, answer.seen?.tls?.servername]).toEqual([200, 'api.internal']);
    const before = secure.seen.length;
    expect((await httpRequest(gatewayPort, '/by-wrong-policy')).status).toBe(503);
    expect(secure.seen.length).toBe(before);
    const status = plane.store.get('BackendTLSPolicy', 'apps', 'by-policy')?.status;
    expect(status?.ancestors?.[0]?.conditions.find((c) => c.type === 'Accepted')).toMatchObject({
      status: 'True',
    });
  });

  /** The path answers 500 and its route's ResolvedRefs is False with `reason`, its message naming `why`. */
  async function expectRefused(path: string, route: string, reason: string, why: string): Promise<void> {
    expect((await httpRequest(gatewayPort, path)).status).toBe(500);
    const parent = plane.store.get('HTTPRoute', 'apps', route)?.status?.parents?.[0];
    expect(parent?.conditions.find((c) => c.type === 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason,
      message: expect.stringContaining(why),
    });
  }

  test('a Backend the controller cannot use answers 500, and the route says why', async () => {
    await expectRefused(
      '/unusable',
      'unusable',
      'InvalidBackendRef',
      'Backend apps/unusable: spec.type: DynamicResolver is not supported',
    );
  });

  test('an HTTPRouteFilter answers directly: status, body from a ConfigMap, content type and headers', async () => {
    const answer = await httpRequest(gatewayPort, '/gone/v1');
    expect([answer.status, answer.body, answer.headers['content-type'], answer.headers['x-why']]).toEqual([
      410,
      '{"error":"this API is retired"}',
      'application/json',
      'retired',
    ]);
  });

  test('an HTTPRouteFilter rewrites the path by regex, and the Host from a header', async () => {
    const moved = await httpRequest(gatewayPort, '/service/foo/v1/api');
    expect([moved.status, moved.seen?.path]).toEqual([200, '/v1/api/instance/foo']);
    const hosted = await httpRequest(gatewayPort, '/host', { headers: { 'x-target-host': 'inner.example' } });
    expect([hosted.status, hosted.seen?.host, hosted.seen?.headers['x-forwarded-host']]).toEqual([
      200,
      'inner.example',
      'example.com',
    ]);
  });

  test("an HTTPRouteFilter injects a Secret's credential: into Authorization unless the request has its own, or over a header", async () => {
    const injected = await httpRequest(gatewayPort, '/inject');
    expect([injected.status, injected.seen?.headers.authorization]).toEqual([200, 'Bearer upstream-s3cret']);
    const own = await httpRequest(gatewayPort, '/inject', { headers: { authorization: 'Bearer mine' } });
    expect([own.status, own.seen?.headers.authorization]).toEqual([200, 'Bearer mine']);
    const keyed = await httpRequest(gatewayPort, '/inject-key', { headers: { 'x-api-key': 'mine' } });
    expect([keyed.status, keyed.seen?.headers['x-api-key'], keyed.seen?.headers.authorization]).toEqual([
      200,
      'Bearer upstream-s3cret',
      undefined,
    ]);
    const plain = await httpRequest(gatewayPort, '/no-injection');
    expect([plain.status, plain.seen?.headers.authorization]).toEqual([200, undefined]);
    await expectRefused(
      '/inject-missing',
      'credentials',
      'UnsupportedValue',
      'spec.credentialInjection.credential.valueRef: Secret apps/no-such-secret not found',
    );
  });

  test("an HTTPRouteFilter on a GRPCRoute rule injects the Secret's credential into the call's metadata", async () => {
    const client = echoGrpcClient(`127.0.0.1:${gatewayPort}`, {
      'grpc.default_authority': 'grpc.example.com',
    });
    try {
      const answer = await client.echo('hello', { metadata: { 'x-api-key': 'mine' } });
      expect([answer.backend, answer.metadata['x-api-key']]).toEqual(['grpc', 'Bearer upstream-s3cret']);
    } finally {
      client.close();
    }
    // A GRPCRoute rule naming a missing HTTPRouteFilter answers 500 (Envoy's local reply to a gRPC call: status
    // UNKNOWN) and reaches nothing; the route says why.
    const before = grpcEcho.seen.length;
    const missing = echoGrpcClient(`127.0.0.1:${gatewayPort}`, {
      'grpc.default_authority': 'grpc-missing.example.com',
    });
    try {
      await expect(missing.echo('hello')).rejects.toMatchObject({ code: 2 });
    } finally {
      missing.close();
    }
    expect(grpcEcho.seen.length).toBe(before);
    const parent = plane.store.get('GRPCRoute', 'apps', 'grpc-missing-filter')?.status?.parents?.[0];
    expect(parent?.conditions.find((c) => c.type === 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'UnsupportedValue',
      message: expect.stringContaining('Unable to translate HTTPRouteFilter: apps/nowhere not found'),
    });
  });

  test('a missing HTTPRouteFilter: the rule answers 500, the route says why', async () => {
    await expectRefused(
      '/missing-filter',
      'missing-filter',
      'UnsupportedValue',
      'Unable to translate HTTPRouteFilter: apps/nowhere not found',
    );
  });

  test("the GatewayClass's EnvoyProxy is Accepted and its access log is written", async () => {
    const proxy = plane.store.get('EnvoyProxy', 'infra', 'proxy');
    expect(proxy?.status?.ancestors).toEqual([
      {
        ancestorRef: { group: 'gateway.networking.k8s.io', kind: 'GatewayClass', name: 'eg' },
        conditions: [expect.objectContaining({ type: 'Accepted', status: 'True', reason: 'Accepted' })],
      },
    ]);
    await httpRequest(gatewayPort, '/address/logged');
    const lines = await eventually(() => {
      if (!existsSync(accessLog)) return undefined;
      const text = readFileSync(accessLog, 'utf8');
      return text.includes('GET /address/logged 200') ? text : undefined;
    }, 'the access log line');
    expect(lines).toContain('GET /address/logged 200');
  });
});
