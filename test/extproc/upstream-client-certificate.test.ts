// The Gateway's backend client certificate (spec.tls.backend.clientCertificateRef) on every cluster that speaks
// TLS, through the controller, a real Envoy and the ext_proc service: a backend that requires mutual TLS answers
// when reached through an AIGatewayRoute priority-fallback cluster (its BackendTLSPolicy's TLS) and through an
// Envoy Gateway Backend with TLS of its own, as it does through a Service's cluster (test/envoy/
// backend-client-certificate.test.ts). Without the certificate the fallback rule would quietly answer from the
// next priority, and the Backend not at all.
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { httpRequest } from '../envoy/http-client.ts';
import {
  createTestCertificates,
  type EchoServer,
  startHttpsEcho,
  type TestCertificates,
} from '../harness/echo/index.ts';
import { type AiGatewayPlane, startAiGatewayPlane } from './ai-gateway-plane.ts';
import { chatCompletion, type FakeProvider, startFakeAzure } from './fake-providers.ts';

/** An OpenAI-compatible provider behind mutual TLS: it answers only a client presenting a certificate of `clientCa`. */
interface MutualTlsProvider {
  readonly port: number;
  /** The subject CN of the client certificate of each request. */
  readonly clients: string[];
  close(): Promise<void>;
}

async function startMutualTlsProvider(
  server: TestCertificates,
  clientCa: string,
): Promise<MutualTlsProvider> {
  const clients: string[] = [];
  const https: Server = createServer(
    { key: server.key, cert: server.cert, ca: clientCa, requestCert: true, rejectUnauthorized: true },
    (request, response) => {
      let body = '';
      request.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk;
      });
      request.on('end', () => {
        clients.push(String((request.socket as TLSSocket).getPeerCertificate().subject?.CN));
        const model = (JSON.parse(body || '{}') as { model?: unknown }).model;
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end(JSON.stringify(chatCompletion(model)));
      });
    },
  );
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  return {
    port: (https.address() as AddressInfo).port,
    clients,
    close: () => new Promise((resolve) => https.close(() => resolve())),
  };
}

const base64 = (text: string) => Buffer.from(text).toString('base64');

function manifests(options: {
  gatewayPort: number;
  providerPort: number;
  secondaryPort: number;
  echoPort: number;
  server: TestCertificates;
  client: TestCertificates;
}): string {
  const endpoints = (name: string, port: number) => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: apps }
spec: { ports: [{ name: http, port: 443 }] }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: ${name}-1, namespace: apps, labels: { kubernetes.io/service-name: ${name} } }
addressType: IPv4
endpoints: [{ addresses: [127.0.0.1], conditions: { ready: true } }]
ports: [{ name: http, port: ${port} }]`;
  const aiBackend = (name: string, service: string) => `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: { name: ${name}, namespace: apps }
spec:
  schema: { name: OpenAI }
  backendRef: { name: ${service}, kind: Service, port: 443 }`;
  return [
    `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: envoy }
spec: { controllerName: switchyard.dev/gateway-controller }`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: apps }
spec:
  gatewayClassName: envoy
  listeners: [{ name: http, protocol: HTTP, port: ${options.gatewayPort} }]
  tls:
    backend:
      clientCertificateRef: { name: gateway-client }`,
    `apiVersion: v1
kind: Secret
metadata: { name: gateway-client, namespace: apps }
type: kubernetes.io/tls
data: { tls.crt: ${base64(options.client.cert)}, tls.key: ${base64(options.client.key)} }`,
    `apiVersion: v1
kind: ConfigMap
metadata: { name: mtls-ca, namespace: apps }
data:
  ca.crt: |
${options.server.caCert
  .trim()
  .split('\n')
  .map((line) => `    ${line}`)
  .join('\n')}`,
    endpoints('mtls-provider', options.providerPort),
    endpoints('plain-provider', options.secondaryPort),
    `apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: { name: mtls-provider, namespace: apps }
spec:
  targetRefs: [{ group: "", kind: Service, name: mtls-provider }]
  validation:
    caCertificateRefs: [{ group: "", kind: ConfigMap, name: mtls-ca }]
    hostname: mtls.internal`,
    aiBackend('primary', 'mtls-provider'),
    aiBackend('secondary', 'plain-provider'),
    `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: { name: models, namespace: apps }
spec:
  parentRefs: [{ name: edge }]
  rules:
    - matches: [{ headers: [{ type: Exact, name: x-ai-eg-model, value: smart }] }]
      backendRefs: [{ name: primary, priority: 0 }, { name: secondary, priority: 1 }]`,
    `apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: { name: mtls-echo, namespace: apps }
spec:
  endpoints: [{ ip: { address: 127.0.0.1, port: ${options.echoPort} } }]
  tls:
    caCertificateRefs: [{ group: "", kind: ConfigMap, name: mtls-ca }]
    sni: mtls.internal`,
    `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: direct, namespace: apps }
spec:
  parentRefs: [{ name: edge }]
  hostnames: [direct.example]
  rules: [{ backendRefs: [{ group: gateway.envoyproxy.io, kind: Backend, name: mtls-echo }] }]`,
  ].join('\n---\n');
}

let gateway: AiGatewayPlane | undefined;
let provider: MutualTlsProvider;
let secondary: FakeProvider;
let echo: EchoServer;
let gatewayPort: number;

beforeAll(async () => {
  const [server, client] = await Promise.all([
    createTestCertificates(['mtls.internal']),
    createTestCertificates(['gateway.example'], { usage: 'client' }),
  ]);
  [provider, secondary, echo] = await Promise.all([
    startMutualTlsProvider(server, client.caCert),
    startFakeAzure(),
    startHttpsEcho('mtls-echo', server, { clientCa: client.caCert }),
  ]);
  gateway = await startAiGatewayPlane({
    name: 'upstream-mtls',
    gateway: { namespace: 'apps', name: 'edge' },
    manifests: (port) =>
      manifests({
        gatewayPort: port,
        providerPort: provider.port,
        secondaryPort: secondary.port,
        echoPort: echo.port,
        server,
        client,
      }),
    rules: 1,
  });
  gatewayPort = gateway.gatewayPort;
}, 90_000);

afterAll(async () => {
  await gateway?.stop();
  await Promise.all([provider?.close(), secondary?.close(), echo?.close()]);
});

describe("the Gateway's backend client certificate on every TLS cluster", () => {
  test('a priority-fallback rule reaches its mTLS primary, presenting the certificate', async () => {
    const before = secondary.received.length;
    const response = await fetch(`http://127.0.0.1:${gatewayPort}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'smart', messages: [{ role: 'user', content: 'hello' }] }),
    });
    const body = await response.text();
    expect(response.status, body).toBe(200);
    expect(provider.clients).toEqual(['gateway.example']);
    // The primary answered: the next priority was never asked.
    expect(secondary.received.length).toBe(before);
    expect(JSON.parse(body)).toMatchObject({ id: 'chatcmpl-fake-1', model: 'smart' });
  });

  test('an Envoy Gateway Backend with TLS reaches its mTLS endpoint, presenting the certificate', async () => {
    const answer = await httpRequest(gatewayPort, '/through-backend', { host: 'direct.example' });
    expect(answer.status, answer.body).toBe(200);
    expect(answer.seen).toMatchObject({ path: '/through-backend', tls: { servername: 'mtls.internal' } });
  });
});
