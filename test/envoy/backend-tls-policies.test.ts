// BackendTLSPolicies on Services end to end in standalone mode: the controller reads the manifests and programs a
// real Envoy. A policy that cannot be enforced (no usable CA, an unsupported trust store, a wildcard hostname)
// fails its Service's traffic with 500 and never lets a request reach the backend in plain text; the policy and
// the route say why; other backends are unaffected. Per Service port the policy naming the port is in force, the
// whole-Service one for the other ports; both are Accepted.
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
  startHttpsEcho,
  type TestCertificates,
} from '../harness/echo/index.ts';
import { freePort } from '../harness/envoy/index.ts';
import { eventually } from '../harness/eventually.ts';
import {
  edgeGatewayManifests,
  type FilesModeEnvoy,
  indentYaml,
  startFilesModeEnvoy,
} from './files-mode-envoy.ts';
import { httpRequest } from './http-client.ts';

/** A Service whose named ports all lead to one local port. */
function service(name: string, ports: readonly string[], localPort: number): string {
  return `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: apps }
spec: { ports: [${ports.map((p, i) => `{ name: ${p}, port: ${443 + i} }`).join(', ')}] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-1, namespace: apps, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
endpoints: [{ addresses: [127.0.0.1], conditions: { ready: true } }]
ports: [${ports.map((p) => `{ name: ${p}, port: ${localPort} }`).join(', ')}]`;
}

function policy(name: string, target: string, validation: string, sectionName?: string): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: ${name}, namespace: apps }
spec:
  targetRefs: [{ group: "", kind: Service, name: ${target}${sectionName === undefined ? '' : `, sectionName: ${sectionName}`} }]
  validation:
${indentYaml(validation, 4)}`;
}

function manifests(options: {
  gatewayPort: number;
  plainPort: number;
  securePort: number;
  ca: string;
}): string {
  const rule = (path: string, name: string, port = 443) =>
    `    - matches: [{ path: { type: PathPrefix, value: ${path} } }]\n      backendRefs: [{ name: ${name}, port: ${port} }]`;
  return [
    ...edgeGatewayManifests(options.gatewayPort),
    `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: api-ca, namespace: apps }\ndata:\n  ca.crt: |\n${indentYaml(options.ca, 4)}`,
    `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: empty-ca, namespace: apps }\ndata: {}`,
    // Plain-text backends behind policies that cannot be enforced: if a request reached one, it would answer 200.
    service('missing-ca', ['https'], options.plainPort),
    policy(
      'missing-ca',
      'missing-ca',
      `hostname: api.internal\ncaCertificateRefs: [{ group: "", kind: ConfigMap, name: no-such-ca }]`,
    ),
    service('malformed-ca', ['https'], options.plainPort),
    policy(
      'malformed-ca',
      'malformed-ca',
      `hostname: api.internal\ncaCertificateRefs: [{ group: "", kind: ConfigMap, name: empty-ca }]`,
    ),
    service('ca-of-a-kind', ['https'], options.plainPort),
    policy(
      'ca-of-a-kind',
      'ca-of-a-kind',
      `hostname: api.internal\ncaCertificateRefs: [{ group: invalid.io, kind: InvalidKind, name: x }]`,
    ),
    service('custom-trust', ['https'], options.plainPort),
    policy(
      'custom-trust',
      'custom-trust',
      `hostname: api.internal\nwellKnownCACertificates: example.com/custom`,
    ),
    service('untouched', ['http'], options.plainPort),
    // One HTTPS backend behind two ports: the port-named policy and the whole-Service one, each with its own SNI.
    service('two-ports', ['https-1', 'https-2'], options.securePort),
    policy(
      'for-port',
      'two-ports',
      `hostname: api.internal\ncaCertificateRefs: [{ group: "", kind: ConfigMap, name: api-ca }]`,
      'https-1',
    ),
    policy(
      'for-service',
      'two-ports',
      `hostname: alias.internal\ncaCertificateRefs: [{ group: "", kind: ConfigMap, name: api-ca }]`,
    ),
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: tls, namespace: apps }
spec:
  parentRefs: [{ name: edge }]
  rules:
${[
  rule('/missing-ca', 'missing-ca'),
  rule('/malformed-ca', 'malformed-ca'),
  rule('/ca-of-a-kind', 'ca-of-a-kind'),
  rule('/custom-trust', 'custom-trust'),
  rule('/untouched', 'untouched'),
  rule('/port-one', 'two-ports', 443),
  rule('/port-two', 'two-ports', 444),
].join('\n')}`,
  ].join('\n---\n');
}

let dir: string;
let running: FilesModeEnvoy | undefined;
let plane: ControlPlane;
let plain: EchoServer;
let secure: EchoServer;
let certs: TestCertificates;
let gatewayPort: number;

function policyCondition(name: string, type: string): Condition | undefined {
  return plane.store
    .get('BackendTLSPolicy', 'apps', name)
    ?.status?.ancestors?.find((a) => a.ancestorRef?.name === 'edge')
    ?.conditions.find((c) => c.type === type);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'switchyard-btp-'));
  certs = await createTestCertificates(['api.internal', 'alias.internal']);
  [plain, secure] = await Promise.all([startHttpEcho('plain'), startHttpsEcho('secure', certs)]);
  gatewayPort = await freePort();
  await writeFile(
    join(dir, 'btp.yaml'),
    manifests({ gatewayPort, plainPort: plain.port, securePort: secure.port, ca: certs.caCert }),
  );
  running = await startFilesModeEnvoy(join(dir, 'btp.yaml'), { namespace: 'apps', name: 'edge' }, 'btp');
  ({ plane } = running);
  await eventually(
    'the Gateway to answer and the policies to have status',
    async () => {
      const answer = await httpRequest(gatewayPort, '/untouched');
      return answer.status === 200 && policyCondition('custom-trust', 'Accepted') !== undefined
        ? answer
        : undefined;
    },
    60_000,
  ).catch((error: Error) => {
    throw new Error(
      `${error.message}; problems: ${JSON.stringify(plane.problems)}\n${running?.envoy.log(40)}`,
    );
  });
}, 90_000);

afterAll(async () => {
  await running?.stop();
  await Promise.all([plain?.close(), secure?.close()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('a BackendTLSPolicy that cannot be enforced', () => {
  test.each([
    ['missing-ca', 'NoValidCACertificate', 'InvalidCACertificateRef', 'ConfigMap apps/no-such-ca not found'],
    ['malformed-ca', 'NoValidCACertificate', 'InvalidCACertificateRef', 'has no PEM certificate in ca.crt'],
    ['ca-of-a-kind', 'NoValidCACertificate', 'InvalidKind', 'invalid.io/InvalidKind is not supported'],
    [
      'custom-trust',
      'Invalid',
      'ResolvedRefs',
      'wellKnownCACertificates: "example.com/custom" is not supported',
    ],
  ])(
    '%s: answers 500, reaches no backend in plain text, and the policy says %s',
    async (name, accepted, resolvedRefs, why) => {
      const before = plain.seen.length;
      const answer = await httpRequest(gatewayPort, `/${name}`);
      expect([answer.status, answer.seen?.backend]).toEqual([500, undefined]);
      expect(plain.seen.length).toBe(before);
      expect(policyCondition(name, 'Accepted')).toMatchObject({
        status: 'False',
        reason: accepted,
        message: expect.stringContaining(why),
      });
      expect(policyCondition(name, 'ResolvedRefs')).toMatchObject({ reason: resolvedRefs });
    },
  );

  test('leaves the route Accepted with ResolvedRefs False naming the policy; other backends answer', async () => {
    const conditions = plane.store.get('HTTPRoute', 'apps', 'tls')?.status?.parents?.[0]?.conditions ?? [];
    expect(conditions.find((c) => c.type === 'Accepted')).toMatchObject({ status: 'True' });
    expect(conditions.find((c) => c.type === 'ResolvedRefs')).toMatchObject({
      status: 'False',
      reason: 'InvalidBackendTLS',
      message: expect.stringContaining('BackendTLSPolicy missing-ca cannot be enforced'),
    });
    const untouched = await httpRequest(gatewayPort, '/untouched/x');
    expect([untouched.status, untouched.seen?.backend, untouched.seen?.path]).toEqual([
      200,
      'plain',
      '/untouched/x',
    ]);
  });
});

describe('a policy for a Service port and one for the whole Service', () => {
  test('are both Accepted', () => {
    expect(policyCondition('for-port', 'Accepted')).toMatchObject({ status: 'True', reason: 'Accepted' });
    expect(policyCondition('for-service', 'Accepted')).toMatchObject({ status: 'True', reason: 'Accepted' });
  });

  test('the named port speaks TLS as its own policy says, the other port as the whole-Service one', async () => {
    const one = await httpRequest(gatewayPort, '/port-one');
    const two = await httpRequest(gatewayPort, '/port-two');
    expect([one.status, one.seen?.tls?.servername]).toEqual([200, 'api.internal']);
    expect([two.status, two.seen?.tls?.servername]).toEqual([200, 'alias.internal']);
  });
});
