// A Gateway's client-certificate validation (`spec.tls.frontend`) end to end in standalone mode: the controller
// reads the manifests and programs a real Envoy. On the default port a client certificate signed by the trusted CA
// gets through and a missing or foreign one is refused in the handshake; a per-port AllowInsecureFallback lets any
// client in and says so on the Gateway; a port whose CA reference cannot be resolved is not served at all (the
// listener NoValidCACertificate / InvalidCACertificateRef), while the plain-HTTP listener is unaffected.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { ControlPlane } from '../../cli/control-plane.ts';
import type { Condition } from '../../model/resources/kubernetes.ts';
import {
  createTestCertificates,
  type EchoServer,
  startHttpEcho,
  type TestCertificates,
} from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { eventually } from '../harness/eventually.ts';
import {
  type FilesModeEnvoy,
  GATEWAY_CLASS_MANIFEST,
  indentYaml,
  startFilesModeEnvoy,
} from './files-mode-envoy.ts';
import { httpRequest, mtlsGet } from './http-client.ts';

interface Ports {
  readonly http: number;
  readonly strict: number;
  readonly fallback: number;
  readonly broken: number;
  readonly echo: number;
}

function manifests(ports: Ports, server: TestCertificates, clientCa: string): string {
  const https = (name: string, port: number) =>
    `{ name: ${name}, protocol: HTTPS, port: ${port}, tls: { certificateRefs: [{ name: server-tls }] } }`;
  const validation = (configMap: string, mode?: string) =>
    `validation: { caCertificateRefs: [{ group: "", kind: ConfigMap, name: ${configMap} }]${mode === undefined ? '' : `, mode: ${mode}`} }`;
  return [
    GATEWAY_CLASS_MANIFEST,
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: apps }
spec:
  gatewayClassName: switchyard
  tls:
    frontend:
      default: { ${validation('client-ca')} }
      perPort:
        - { port: ${ports.fallback}, tls: { ${validation('client-ca', 'AllowInsecureFallback')} } }
        - { port: ${ports.broken}, tls: { ${validation('no-such-ca')} } }
  listeners:
    - { name: http, protocol: HTTP, port: ${ports.http} }
    - ${https('strict', ports.strict)}
    - ${https('fallback', ports.fallback)}
    - ${https('broken', ports.broken)}`,
    `apiVersion: v1
kind: Secret
metadata: { name: server-tls, namespace: apps }
type: kubernetes.io/tls
stringData:
  tls.crt: |
${indentYaml(server.cert, 4)}
  tls.key: |
${indentYaml(server.key, 4)}`,
    `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: client-ca, namespace: apps }\ndata:\n  ca.crt: |\n${indentYaml(clientCa, 4)}`,
    `apiVersion: v1
kind: Service
metadata: { name: app, namespace: apps }
spec: { ports: [{ name: http, port: 80 }] }`,
    `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: app-1, namespace: apps, labels: { kubernetes.io/service-name: app } }
addressType: IPv4
endpoints: [{ addresses: [127.0.0.1], conditions: { ready: true } }]
ports: [{ name: http, port: ${ports.echo} }]`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: app, namespace: apps }
spec:
  parentRefs: [{ name: edge }]
  rules: [{ backendRefs: [{ name: app, port: 80 }] }]`,
  ].join('\n---\n');
}

let dir: string;
let running: FilesModeEnvoy | undefined;
let plane: ControlPlane;
let echo: EchoServer;
let server: TestCertificates;
let trusted: TestCertificates;
let foreign: TestCertificates;
let ports: Ports;

function listenerCondition(name: string, type: string): Condition | undefined {
  return plane.store
    .get('Gateway', 'apps', 'edge')
    ?.status?.listeners?.find((l) => l.name === name)
    ?.conditions.find((c) => c.type === type);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-frontend-'));
  [server, trusted, foreign] = await Promise.all([
    createTestCertificates(['secure.example.com']),
    createTestCertificates(['client.example.com'], { usage: 'client' }),
    createTestCertificates(['client.example.com'], { usage: 'client' }),
  ]);
  echo = await startHttpEcho('app');
  const [http, strict, fallback, broken] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  ports = { http, strict, fallback, broken, echo: echo.port };
  await writeFile(join(dir, 'gateway.yaml'), manifests(ports, server, trusted.caCert));
  running = await startFilesModeEnvoy(
    join(dir, 'gateway.yaml'),
    { namespace: 'apps', name: 'edge' },
    'frontend',
  );
  ({ plane } = running);
  await eventually(
    'the HTTPS listener with client validation to answer',
    async () => ((await mtlsGet(ports.strict, server.caCert, trusted)) === 200 ? true : undefined),
    60_000,
  ).catch((error: Error) => {
    throw new Error(
      `${error.message}; problems: ${JSON.stringify(plane.problems)}\n${running?.envoy.log(40)}`,
    );
  });
}, 90_000);

afterAll(async () => {
  await running?.stop();
  await echo?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe("a Gateway's frontend client-certificate validation", () => {
  test('AllowValidOnly (the default): a trusted client certificate gets through; none, or a foreign one, is refused', async () => {
    const before = echo.seen.length;
    expect(await mtlsGet(ports.strict, server.caCert, trusted)).toBe(200);
    expect(echo.seen.length).toBe(before + 1);
    await expect(mtlsGet(ports.strict, server.caCert)).rejects.toThrow();
    await expect(mtlsGet(ports.strict, server.caCert, foreign)).rejects.toThrow();
    expect(echo.seen.length).toBe(before + 1);
  });

  test('AllowInsecureFallback on its port lets every client in, and the Gateway says so', async () => {
    expect(await mtlsGet(ports.fallback, server.caCert, trusted)).toBe(200);
    expect(await mtlsGet(ports.fallback, server.caCert, foreign)).toBe(200);
    expect(await mtlsGet(ports.fallback, server.caCert)).toBe(200);
    const conditions = plane.store.get('Gateway', 'apps', 'edge')?.status?.conditions ?? [];
    expect(conditions.find((c) => c.type === 'InsecureFrontendValidationMode')).toMatchObject({
      status: 'True',
      reason: 'ConfigurationChanged',
    });
  });

  test('a port whose CA reference does not resolve is not served, and its listener says why', async () => {
    await expect(mtlsGet(ports.broken, server.caCert, trusted)).rejects.toThrow();
    expect(listenerCondition('broken', 'Accepted')).toMatchObject({
      status: 'False',
      reason: 'NoValidCACertificate',
    });
    expect(listenerCondition('broken', 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'InvalidCACertificateRef',
      message: expect.stringContaining(
        'spec.tls.frontend.perPort[1].tls.validation.caCertificateRefs[0]: ConfigMap apps/no-such-ca not found',
      ),
    });
    expect(listenerCondition('broken', 'Programmed')).toMatchObject({ status: 'False' });
  });

  test('the plain-HTTP listener is unaffected', async () => {
    const answer = await httpRequest(ports.http, '/plain');
    expect([answer.status, answer.seen?.backend]).toEqual([200, 'app']);
    expect(listenerCondition('strict', 'Accepted')).toMatchObject({ status: 'True' });
  });
});
