// One control plane, two data planes: the same HTTPRoute attached to a Gateway of an envoy class and to one of an
// agentgateway class (GatewayClassParameters backend: agentgateway). Each backend's ADS server serves its own
// Gateway only, and each Gateway becomes Programmed once its own proxy ACKs. The same AIGatewayRoute on both:
// Envoy routes it through the ext_proc service, agentgateway natively (its model table and an AI backend), and
// what agentgateway cannot express is named in the route's status. And one set of the other route kinds and
// TLS settings on both: a GRPCRoute, a TLSRoute passed through by SNI, a TCPRoute, an InferencePool with its endpoint
// picker, an MCPRoute, a BackendTLSPolicy (and one that cannot be enforced: 500 on both, never plain HTTP), the
// Gateway's client-certificate validation and Envoy Gateway HTTPRouteFilters, each as its own data plane expresses
// it, and what agentgateway cannot (UDP, a regex rewrite) named on the route.
import { afterEach, describe, expect, it } from 'vitest';
import { AgentgatewayXdsServer } from '../backends/agentgateway/index.ts';
import {
  decodeResources,
  subscribeAsAgentgateway,
} from '../backends/agentgateway/testdata/agentgateway-proxy.ts';
import { XdsServer } from '../backends/envoy/index.ts';
import { AdsTestClient, type AdsTestStream } from '../backends/envoy/testdata/ads-test-client.ts';
import type { RouteKind } from '../model/resources/gateway-api.ts';
import { AGENTGATEWAY_TYPE_URL, agentgatewayApi } from '../protos/agentgateway-api.ts';
import { envoyApi } from '../protos/envoy-api.ts';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse } from '../protos/index.ts';
import { TYPE_URL } from '../protos/index.ts';
import { runUntilQuiescent } from '../runtime/quiescence.ts';
import type { VirtualClock } from '../runtime/VirtualClock.ts';
import { createTestCertificates, type TestCertificates } from '../test/harness/echo/index.ts';
import type { ControlPlane } from './control-plane.ts';
import { startFilesPlane } from './testdata/files-plane.ts';
import { ENVOY_AND_AGENTGATEWAY_CLASSES, httpGateway, serviceAt, WEB_SERVICE } from './testdata/manifests.ts';

const JWKS = JSON.stringify({
  keys: [{ kty: 'oct', kid: 'k1', alg: 'HS256', k: 'c3dpdGNoeWFyZC10ZXN0LWtleQ' }],
});

/**
 * One set of resources for both data planes: the shared route protected by a SecurityPolicy (JWT with a local
 * JWKS, CORS, an authorization rule on a claim) and shaped by a BackendTrafficPolicy (retries, a
 * timeout, a local rate limit); a second route whose SecurityPolicy fetches its JWKS from a URI, which Envoy
 * does and agentgateway cannot; a third to an Envoy Gateway Backend of two IP endpoints.
 */
const MANIFESTS = `${ENVOY_AND_AGENTGATEWAY_CLASSES}---
${httpGateway('via-envoy', 'envoy', 8080)}---
${httpGateway('via-agentgateway', 'agentgateway', 8080)}---
${WEB_SERVICE}---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: shared, namespace: apps}
spec:
  parentRefs: [{name: via-envoy}, {name: via-agentgateway}]
  rules: [{backendRefs: [{name: web, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: remote-keys, namespace: apps}
spec:
  parentRefs: [{name: via-envoy}, {name: via-agentgateway}]
  hostnames: [remote.example.com]
  rules: [{backendRefs: [{name: web, port: 80}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: external, namespace: apps}
spec:
  parentRefs: [{name: via-envoy}, {name: via-agentgateway}]
  hostnames: [external.example.com]
  rules: [{backendRefs: [{group: gateway.envoyproxy.io, kind: Backend, name: external-api, port: 8080}]}]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: Backend
metadata: {name: external-api, namespace: apps}
spec:
  endpoints: [{ip: {address: 10.0.0.9, port: 8080}}, {ip: {address: 10.0.0.10, port: 8080}}]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: protect, namespace: apps}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: shared}]
  cors: {allowOrigins: ['https://*.example.com'], allowMethods: [GET]}
  jwt:
    providers:
    - name: idp
      issuer: https://idp.example.com
      audiences: [api]
      localJWKS: {type: Inline, inline: '${JWKS}'}
      claimToHeaders: [{header: x-user, claim: sub}]
  authorization:
    defaultAction: Deny
    rules: [{action: Allow, principal: {jwt: {provider: idp, claims: [{name: role, values: [admin]}]}}}]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: SecurityPolicy
metadata: {name: remote, namespace: apps}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: remote-keys}]
  jwt:
    providers:
    - name: idp
      issuer: https://idp.example.com
      remoteJWKS: {uri: 'https://idp.example.com/jwks.json'}
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: BackendTrafficPolicy
metadata: {name: shape, namespace: apps}
spec:
  targetRefs: [{group: gateway.networking.k8s.io, kind: HTTPRoute, name: shared}]
  retry:
    numRetries: 2
    retryOn: {triggers: [gateway-error]}
  timeout: {http: {requestTimeout: 5s}}
  rateLimit:
    local:
      rules: [{limit: {requests: 10, unit: Minute}}]
`;

const aiRoute = (
  name: string,
  parents: string[],
  ...headers: string[]
) => `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: ${name}, namespace: apps}
spec:
  parentRefs: [${parents.map((parent) => `{name: ${parent}}`).join(', ')}]
  rules:
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: gpt-4o}${headers.map((h) => `, ${h}`).join('')}]}]
      modelsCreatedAt: "2025-05-01T00:00:00Z"
      backendRefs: [{name: openai, modelNameOverride: gpt-4o-2024-08-06}]
`;

const AI_MANIFESTS = `${ENVOY_AND_AGENTGATEWAY_CLASSES}---
${httpGateway('via-envoy', 'envoy', 8080)}---
${httpGateway('via-agentgateway', 'agentgateway', 8080)}---
apiVersion: v1
kind: Service
metadata: {name: openai, namespace: apps}
spec: {ports: [{name: http, port: 8000}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: openai-1, namespace: apps, labels: {kubernetes.io/service-name: openai}}
addressType: IPv4
ports: [{name: http, port: 8000}]
endpoints: [{addresses: [10.0.0.7], conditions: {ready: true}}]
---
apiVersion: v1
kind: Secret
metadata: {name: openai-key, namespace: apps}
stringData: {apiKey: sk-upstream}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIServiceBackend
metadata: {name: openai, namespace: apps}
spec:
  schema: {name: OpenAI}
  backendRef: {name: openai, kind: Service, port: 8000}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: {name: openai-key, namespace: apps}
spec:
  type: APIKey
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: openai}]
  apiKey: {secretRef: {name: openai-key}}
---
${aiRoute('both', ['via-envoy', 'via-agentgateway'])}---
${aiRoute('by-team', ['via-agentgateway'], '{type: Exact, name: x-team, value: ml}')}`;

const AGW_LISTENER = '8080/apps/via-agentgateway/Gateway/apps/via-agentgateway/http';

const indent = (text: string, spaces: number) =>
  text
    .trim()
    .split('\n')
    .map((line) => `${' '.repeat(spaces)}${line}`)
    .join('\n');

/**
 * The other route kinds and TLS settings, on a Gateway of each class with an HTTP, an HTTPS (client certificates
 * required, the Gateway's spec.tls.frontend), a TLS passthrough and a TCP listener.
 */
function routeKindsManifests(server: TestCertificates, other: TestCertificates, backendCa: string): string {
  const gateway = (name: string, className: string) => `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: apps}
spec:
  gatewayClassName: ${className}
  tls:
    frontend:
      default: {validation: {caCertificateRefs: [{group: "", kind: ConfigMap, name: client-ca}]}}
  listeners:
  - {name: http, protocol: HTTP, port: 8080}
  - {name: https, protocol: HTTPS, port: 8443, tls: {certificateRefs: [{name: server-tls}, {name: other-tls}]}}
  - {name: pass, protocol: TLS, port: 9443, hostname: pass.example.com, tls: {mode: Passthrough}}
  - {name: tcp, protocol: TCP, port: 9000}
  - {name: udp, protocol: UDP, port: 5353}
`;
  const both = (section: string) =>
    `[{name: via-envoy, sectionName: ${section}}, {name: via-agentgateway, sectionName: ${section}}]`;
  const caBundle = (name: string, pem: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ${name}, namespace: apps}\ndata:\n  ca.crt: |\n${indent(pem, 4)}\n`;
  return [
    ENVOY_AND_AGENTGATEWAY_CLASSES,
    gateway('via-envoy', 'envoy'),
    gateway('via-agentgateway', 'agentgateway'),
    ...[
      ['server-tls', server],
      ['other-tls', other],
    ].map(
      ([name, pair]) => `apiVersion: v1
kind: Secret
metadata: {name: ${name}, namespace: apps}
type: kubernetes.io/tls
stringData:
  tls.crt: |
${indent((pair as TestCertificates).cert, 4)}
  tls.key: |
${indent((pair as TestCertificates).key, 4)}
`,
    ),
    caBundle('client-ca', server.caCert),
    caBundle('backend-ca', backendCa),
    serviceAt('grpc', 50051, '10.0.0.2'),
    serviceAt('secure', 443, '10.0.0.3'),
    serviceAt('broken', 443, '10.0.0.4'),
    serviceAt('passthrough', 8443, '10.0.0.5'),
    serviceAt('db', 5432, '10.0.0.6'),
    serviceAt('vllm-epp', 9002, '10.0.0.8'),
    serviceAt('mcp-server', 8000, '10.0.0.11'),
    `apiVersion: v1
kind: Pod
metadata: {name: vllm-1, namespace: apps, labels: {app: vllm}}
status: {podIP: 10.1.0.1, conditions: [{type: Ready, status: "True"}]}
---
apiVersion: inference.networking.k8s.io/v1
kind: InferencePool
metadata: {name: vllm, namespace: apps}
spec:
  selector: {matchLabels: {app: vllm}}
  targetPorts: [{number: 8000}]
  endpointPickerRef: {name: vllm-epp, port: {number: 9002}, failureMode: FailClose}
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: secure, namespace: apps}
spec:
  targetRefs: [{group: "", kind: Service, name: secure}]
  validation: {caCertificateRefs: [{group: "", kind: ConfigMap, name: backend-ca}], hostname: secure.internal}
---
apiVersion: gateway.networking.k8s.io/v1
kind: BackendTLSPolicy
metadata: {name: broken, namespace: apps}
spec:
  targetRefs: [{group: "", kind: Service, name: broken}]
  validation: {caCertificateRefs: [{group: "", kind: ConfigMap, name: no-such-ca}], hostname: broken.internal}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: echo, namespace: apps}
spec:
  parentRefs: ${both('http')}
  hostnames: [grpc.example.com]
  rules: [{matches: [{method: {service: echo.Echo, method: Say}}], backendRefs: [{name: grpc, port: 50051}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: llm, namespace: apps}
spec:
  parentRefs: ${both('http')}
  hostnames: [llm.example.com]
  rules: [{backendRefs: [{group: inference.networking.k8s.io, kind: InferencePool, name: vllm}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: secure, namespace: apps}
spec:
  parentRefs: ${both('https')}
  rules:
  - {matches: [{path: {type: PathPrefix, value: /secure}}], backendRefs: [{name: secure, port: 443}]}
  - {matches: [{path: {type: PathPrefix, value: /broken}}], backendRefs: [{name: broken, port: 443}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: TLSRoute
metadata: {name: pass, namespace: apps}
spec:
  parentRefs: ${both('pass')}
  hostnames: [pass.example.com]
  rules: [{backendRefs: [{name: passthrough, port: 8443}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: TCPRoute
metadata: {name: db, namespace: apps}
spec:
  parentRefs: ${both('tcp')}
  rules: [{backendRefs: [{name: db, port: 5432}]}]
---
apiVersion: v1
kind: Service
metadata: {name: dns, namespace: apps}
spec: {ports: [{name: dns, port: 53, protocol: UDP}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: dns-1, namespace: apps, labels: {kubernetes.io/service-name: dns}}
addressType: IPv4
ports: [{name: dns, port: 53, protocol: UDP}]
endpoints: [{addresses: [10.0.0.9], conditions: {ready: true}}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: UDPRoute
metadata: {name: dns, namespace: apps}
spec:
  parentRefs: ${both('udp')}
  rules: [{backendRefs: [{name: dns, port: 53}]}]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: HTTPRouteFilter
metadata: {name: gone, namespace: apps}
spec:
  directResponse: {statusCode: 410, body: {type: Inline, inline: retired}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: retired, namespace: apps}
spec:
  parentRefs: ${both('http')}
  hostnames: [retired.example.com]
  rules: [{filters: [{type: ExtensionRef, extensionRef: {group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: gone}}]}]
---
apiVersion: gateway.envoyproxy.io/v1alpha1
kind: HTTPRouteFilter
metadata: {name: reorder, namespace: apps}
spec:
  urlRewrite: {path: {type: ReplaceRegexMatch, replaceRegexMatch: {pattern: "^/service/([^/]+)(/.*)$", substitution: "\\\\2/instance/\\\\1"}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: reorder, namespace: apps}
spec:
  parentRefs: ${both('http')}
  hostnames: [reorder.example.com]
  rules:
  - filters: [{type: ExtensionRef, extensionRef: {group: gateway.envoyproxy.io, kind: HTTPRouteFilter, name: reorder}}]
    backendRefs: [{name: grpc, port: 50051}]
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: MCPRoute
metadata: {name: tools, namespace: apps}
spec:
  parentRefs: ${both('http')}
  backendRefs: [{name: mcp-server, port: 8000, toolSelector: {include: [echo]}}]
`,
  ].join('---\n');
}

type Delta = AdsTestStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

/** Plays an Envoy: wildcard CDS and LDS, EDS and RDS for what they name, ACKing every response. */
async function envoyProxy(stream: Delta, until: () => boolean): Promise<string[]> {
  const seen: string[] = [];
  stream.send({
    node: { id: 'envoy-1', cluster: 'apps/via-envoy', user_agent_name: 'envoy' },
    type_url: TYPE_URL.cluster,
  });
  stream.send({ type_url: TYPE_URL.listener });
  while (!until()) {
    const response = await stream.next();
    seen.push(...response.resources.map((r) => r.name));
    stream.send({ type_url: response.type_url, response_nonce: response.nonce });
    if (response.type_url === TYPE_URL.cluster && response.resources.length > 0) {
      stream.send({
        type_url: TYPE_URL.clusterLoadAssignment,
        resource_names_subscribe: response.resources.map((r) => r.name),
      });
    }
    if (response.type_url === TYPE_URL.listener && response.resources.length > 0) {
      stream.send({ type_url: TYPE_URL.routeConfiguration, resource_names_subscribe: ['http/8080'] });
    }
  }
  return seen;
}

function programmed(plane: ControlPlane, name: string): string | undefined {
  const conditions = plane.store.get('Gateway', 'apps', name)?.status?.conditions as
    | { type: string; status: string }[]
    | undefined;
  return conditions?.find((c) => c.type === 'Programmed')?.status;
}

/** Lets the proxies' ACKs reach the plane until both Gateways are Programmed (or 300 rounds have passed). */
async function untilBothProgrammed(plane: ControlPlane, clock: VirtualClock): Promise<void> {
  for (
    let i = 0;
    i < 300 &&
    !(programmed(plane, 'via-envoy') === 'True' && programmed(plane, 'via-agentgateway') === 'True');
    i++
  ) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    await runUntilQuiescent(plane.system, clock);
  }
}

/** Every resource of one type in a Gateway's Envoy snapshot, by name, as proto3 JSON. */
function envoyResources(xds: XdsServer, gateway: string, type: string): Map<string, Record<string, unknown>> {
  const snapshot = xds.snapshot({
    group: 'gateway.networking.k8s.io',
    kind: 'Gateway',
    namespace: 'apps',
    name: gateway,
  });
  return new Map(
    [...(snapshot?.types.get(type) ?? new Map()).entries()].map(([name, resource]) => [
      name,
      envoyApi().unpack(resource.any) as Record<string, unknown>,
    ]),
  );
}

describe('one control plane serving Gateways through both backends', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('programs the envoy Gateway through Envoy ADS and the agentgateway Gateway through agentgateway delta ADS', async () => {
    const envoyXds = await XdsServer.start({ address: '127.0.0.1:0' });
    cleanups.push(() => envoyXds.stop());
    const agentgatewayXds = await AgentgatewayXdsServer.start({ address: '127.0.0.1:0' });
    cleanups.push(() => agentgatewayXds.stop());
    const { plane, clock } = await startFilesPlane(
      MANIFESTS,
      { envoy: envoyXds, agentgateway: agentgatewayXds },
      cleanups,
    );
    // Nothing is Programmed before a proxy ACKs; each Gateway's configuration sits in its own backend's server.
    expect(programmed(plane, 'via-envoy')).not.toBe('True');
    expect(programmed(plane, 'via-agentgateway')).not.toBe('True');
    const gateway = (name: string) => ({
      group: 'gateway.networking.k8s.io',
      kind: 'Gateway',
      namespace: 'apps',
      name,
    });
    expect(envoyXds.snapshot(gateway('via-envoy'))).toBeDefined();
    expect(envoyXds.snapshot(gateway('via-agentgateway'))).toBeUndefined();
    expect(agentgatewayXds.snapshot(gateway('via-agentgateway'))).toBeDefined();
    expect(agentgatewayXds.snapshot(gateway('via-envoy'))).toBeUndefined();

    // The agentgateway proxy: one wildcard subscription, ACKed.
    const agentgatewayClient = new AdsTestClient(agentgatewayXds.address);
    cleanups.push(() => agentgatewayClient.close());
    const agw = agentgatewayClient.delta();
    subscribeAsAgentgateway(agw, { namespace: 'apps', name: 'via-agentgateway' });
    const resources = await agw.next();
    const listenerKey = '8080/apps/via-agentgateway/Gateway/apps/via-agentgateway/http';
    expect(resources.resources.map((r) => r.name).sort()).toEqual([
      'backend/egbackend/apps/external-api/10.0.0.10:8080',
      'backend/egbackend/apps/external-api/10.0.0.9:8080',
      'backend/service/apps/web/80/10.0.0.1:9000',
      'bind/8080/apps/via-agentgateway',
      `listener/${listenerKey}`,
      `route/${listenerKey}/HTTPRoute/apps/external/0`,
      `route/${listenerKey}/HTTPRoute/apps/remote-keys/0`,
      `route/${listenerKey}/HTTPRoute/apps/shared/0`,
    ]);
    const agwRoute = (name: string) => {
      const found = resources.resources.find(
        (r) => r.name === `route/${listenerKey}/HTTPRoute/apps/${name}/0`,
      )!;
      return (agentgatewayApi().decodeResource(found.resource.value) as { route: Record<string, unknown> })
        .route;
    };
    // The policies reach agentgateway as its own: CORS, JWT (inline JWKS), the authorization rule as CEL, the
    // local rate limit, the timeout and retries, and the claim set as a header once the token is verified.
    const shared = agwRoute('shared').trafficPolicies as Record<string, Record<string, unknown>>[];
    expect(shared.map((p) => Object.keys(p)[0]).sort()).toEqual([
      'authorization',
      'cors',
      'jwt',
      'localRateLimit',
      'retry',
      'timeout',
      'transformation',
    ]);
    expect(shared.find((p) => p.jwt)?.jwt).toMatchObject({
      mode: 'STRICT',
      providers: [{ issuer: 'https://idp.example.com', audiences: ['api'], inline: JWKS }],
    });
    expect(shared.find((p) => p.authorization)?.authorization).toEqual({
      require: ['(jwt.role in ["admin"] ? true : false)'],
    });
    expect(shared.find((p) => p.retry)?.retry).toEqual({ retryStatusCodes: [502, 503, 504], attempts: 2 });
    expect(shared.find((p) => p.timeout)?.timeout).toEqual({ request: '5s' });
    expect(shared.find((p) => p.localRateLimit)?.localRateLimit).toEqual({
      maxTokens: '10',
      tokensPerFill: '10',
      fillInterval: '60s',
    });
    // The Envoy Gateway Backend: one static agentgateway Backend per endpoint, the ref's weight split over them.
    expect(agwRoute('external').backends).toEqual([
      { backend: { backend: 'egbackend/apps/external-api/10.0.0.9:8080' }, weight: 1 },
      { backend: { backend: 'egbackend/apps/external-api/10.0.0.10:8080' }, weight: 1 },
    ]);
    // A remote JWKS agentgateway cannot fetch: the rule answers 500, never forwarded unprotected.
    expect(agwRoute('remote-keys').trafficPolicies).toEqual([{ directResponse: { status: 500 } }]);
    expect(agwRoute('remote-keys').backends).toBeUndefined();
    agw.send({ type_url: AGENTGATEWAY_TYPE_URL.resource, response_nonce: resources.nonce });

    const envoyClient = new AdsTestClient(envoyXds.address);
    cleanups.push(() => envoyClient.close());
    const envoy = envoyClient.delta();
    let envoyProgrammed = false;
    const envoyDone = envoyProxy(envoy, () => envoyProgrammed);
    await untilBothProgrammed(plane, clock);
    envoyProgrammed = true;
    expect(programmed(plane, 'via-agentgateway')).toBe('True');
    expect(programmed(plane, 'via-envoy')).toBe('True');
    // Envoy runs the same policies through its own filters.
    // (the wire bytes of its resources, read as text: filter names are plain strings in them)
    const envoyConfig = JSON.stringify(envoyXds.snapshot(gateway('via-envoy')), (_key, value: unknown) => {
      if (value instanceof Map) return Object.fromEntries(value);
      const bytes = value as { type?: string; data?: number[] } | null;
      return bytes?.type === 'Buffer' && Array.isArray(bytes.data)
        ? Buffer.from(bytes.data).toString('latin1')
        : value;
    });
    for (const filter of ['jwt_authn', 'cors', 'rbac', 'local_ratelimit'])
      expect(envoyConfig).toContain(`envoy.filters.http.${filter}`);
    // The route agentgateway cannot serve as written says so on that Gateway's parent entry, naming the field and
    // the data plane; Envoy's entry accepts it.
    const parents = (plane.store.get('HTTPRoute', 'apps', 'remote-keys')?.status?.parents ?? []) as {
      parentRef: { name: string };
      conditions: { type: string; status: string; reason: string; message: string }[];
    }[];
    const accepted = (name: string) =>
      parents.find((p) => p.parentRef.name === name)?.conditions.find((c) => c.type === 'Accepted');
    expect(accepted('via-envoy')).toMatchObject({ status: 'True' });
    expect(accepted('via-agentgateway')).toMatchObject({ status: 'False', reason: 'UnsupportedValue' });
    expect(accepted('via-agentgateway')?.message).toMatch(
      /agentgateway data plane answers this rule 500: SecurityPolicy apps\/remote spec\.jwt\.providers\[0\]\.remoteJWKS/,
    );
    const sharedParents = (plane.store.get('HTTPRoute', 'apps', 'shared')?.status?.parents ?? []) as {
      conditions: { type: string; status: string }[];
    }[];
    expect(sharedParents.map((p) => p.conditions.find((c) => c.type === 'Accepted')?.status)).toEqual([
      'True',
      'True',
    ]);
    envoy.close();
    await envoyDone.catch(() => []);
  });

  it('serves one AIGatewayRoute through ext_proc on Envoy and natively on agentgateway, naming what agentgateway cannot', async () => {
    const envoyXds = await XdsServer.start({ address: '127.0.0.1:0' });
    cleanups.push(() => envoyXds.stop());
    const agentgatewayXds = await AgentgatewayXdsServer.start({ address: '127.0.0.1:0' });
    cleanups.push(() => agentgatewayXds.stop());
    const { plane } = await startFilesPlane(
      AI_MANIFESTS,
      { envoy: envoyXds, agentgateway: agentgatewayXds },
      cleanups,
    );
    const condition = (name: string) =>
      plane.store.get('AIGatewayRoute', 'apps', name)?.status?.conditions?.[0];
    expect(condition('both')).toMatchObject({
      type: 'Accepted',
      status: 'True',
      message: 'AI Gateway route accepted: gpt-4o',
    });
    expect(condition('by-team')).toMatchObject({
      type: 'NotAccepted',
      status: 'False',
      reason: 'UnsupportedValue',
      message:
        "parentRefs: Gateway apps/via-agentgateway (agentgateway) cannot serve this route: spec.rules[0].matches[0].headers: agentgateway's model table matches the request's model only, not header 'x-team'",
    });

    // Envoy: the model's route matches the header the ext_proc service sets from the body.
    const envoyRoutes = [
      ...envoyXds
        .snapshot({
          group: 'gateway.networking.k8s.io',
          kind: 'Gateway',
          namespace: 'apps',
          name: 'via-envoy',
        })!
        .types.get(TYPE_URL.routeConfiguration)!
        .values(),
    ].map((resource) => JSON.stringify(envoyApi().unpack(resource.any)));
    expect(envoyRoutes.join()).toContain('"name":"x-ai-eg-model","stringMatch":{"exact":"gpt-4o"}');

    // agentgateway: the model in its listener's table, to the rule's AI backend, which carries the provider, the
    // model override and the credentials; no Route (nothing forwarded past the model table) and nothing of by-team.
    const client = new AdsTestClient(agentgatewayXds.address);
    cleanups.push(() => client.close());
    const agw = client.delta();
    subscribeAsAgentgateway(agw, { namespace: 'apps', name: 'via-agentgateway' });
    const resources = decodeResources(await agw.next());
    const modelRoute = `modelroute/${AGW_LISTENER}/AIGatewayRoute/apps/both/0/gpt-4o`;
    expect([...resources.keys()].sort()).toEqual([
      'backend/ai/apps/both/0',
      'bind/8080/apps/via-agentgateway',
      `listener/${AGW_LISTENER}`,
      modelRoute,
    ]);
    expect(resources.get(modelRoute)).toEqual({
      modelRoute: {
        key: modelRoute.slice('modelroute/'.length),
        listenerKey: AGW_LISTENER,
        match: { model: 'gpt-4o' },
        concreteModel: { backend: { backend: 'ai/apps/both/0' } },
        created: '1746057600',
      },
    });
    expect(resources.get('backend/ai/apps/both/0')).toEqual({
      backend: {
        key: 'ai/apps/both/0',
        name: { name: 'both', namespace: 'apps' },
        ai: {
          providerGroups: [
            {
              providers: [
                {
                  name: 'apps/both/rule/0/ref/0',
                  hostOverride: { host: '10.0.0.7', port: 8000 },
                  pathPrefix: '/v1',
                  openai: { model: 'gpt-4o-2024-08-06' },
                  inlinePolicies: [
                    {
                      auth: {
                        key: {
                          secret: 'sk-upstream',
                          authorizationLocation: { header: { name: 'Authorization', prefix: 'Bearer ' } },
                        },
                      },
                    },
                    { backendHttp: { requestTimeout: '60s' } },
                  ],
                },
              ],
            },
          ],
        },
      },
    });
  });

  it('serves GRPC, TLS passthrough, TCP and MCP routes, an InferencePool with its picker, BackendTLSPolicies and HTTPRouteFilters on both data planes, naming what agentgateway cannot', async () => {
    const server = await createTestCertificates(['secure.example.com']);
    const other = await createTestCertificates(['other.example.com']);
    const backend = await createTestCertificates(['secure.internal']);
    const envoyXds = await XdsServer.start({ address: '127.0.0.1:0' });
    cleanups.push(() => envoyXds.stop());
    const agentgatewayXds = await AgentgatewayXdsServer.start({ address: '127.0.0.1:0' });
    cleanups.push(() => agentgatewayXds.stop());
    const { plane, clock } = await startFilesPlane(
      routeKindsManifests(server, other, backend.caCert),
      { envoy: envoyXds, agentgateway: agentgatewayXds },
      cleanups,
    );

    // The same statuses whichever data plane serves the Gateway: every route accepted on both; the rule behind the
    // BackendTLSPolicy that cannot be enforced says so (ResolvedRefs False, InvalidBackendTLS) on both.
    const condition = (kind: RouteKind, name: string, gateway: string, type: string) =>
      (
        (plane.store.get(kind, 'apps', name)?.status?.parents ?? []) as {
          parentRef: { name: string };
          conditions: { type: string; status: string; reason: string; message: string }[];
        }[]
      )
        .find((p) => p.parentRef.name === gateway)
        ?.conditions.find((c) => c.type === type);
    expect(plane.store.get('MCPRoute', 'apps', 'tools')?.status?.conditions).toMatchObject([
      { type: 'Accepted', status: 'True' },
    ]);
    for (const [kind, name] of [
      ['GRPCRoute', 'echo'],
      ['HTTPRoute', 'llm'],
      ['HTTPRoute', 'secure'],
      ['TLSRoute', 'pass'],
      ['TCPRoute', 'db'],
    ] as const) {
      for (const gateway of ['via-envoy', 'via-agentgateway']) {
        expect(condition(kind, name, gateway, 'Accepted'), `${kind} ${name} on ${gateway}`).toMatchObject({
          status: 'True',
        });
        expect(condition(kind, name, gateway, 'ResolvedRefs'), `${kind} ${name} on ${gateway}`).toMatchObject(
          name === 'secure' ? { status: 'False', reason: 'InvalidBackendTLS' } : { status: 'True' },
        );
      }
    }
    // agentgateway, as our delta-xDS client receives it.
    const client = new AdsTestClient(agentgatewayXds.address);
    cleanups.push(() => client.close());
    const agw = client.delta();
    subscribeAsAgentgateway(agw, { namespace: 'apps', name: 'via-agentgateway' });
    const response = await agw.next();
    const resources = decodeResources(response);
    const listener = (name: string) =>
      `8${name === 'http' ? '080' : '443'}/apps/via-agentgateway/Gateway/apps/via-agentgateway/${name}`;
    const HTTPS = listener('https');
    const PASS = '9443/apps/via-agentgateway/Gateway/apps/via-agentgateway/pass';
    const TCP = '9000/apps/via-agentgateway/Gateway/apps/via-agentgateway/tcp';
    expect([...resources.keys()].sort()).toEqual([
      'backend/mcp/apps/tools',
      'backend/mcp/apps/tools/mcp-server',
      'backend/service/apps/db/5432/10.0.0.6:5432',
      'backend/service/apps/grpc/50051/10.0.0.2:50051',
      'backend/service/apps/passthrough/8443/10.0.0.5:8443',
      'backend/service/apps/secure/443/10.0.0.3:443',
      'bind/8080/apps/via-agentgateway',
      'bind/8443/apps/via-agentgateway',
      'bind/9000/apps/via-agentgateway',
      'bind/9443/apps/via-agentgateway',
      `listener/${AGW_LISTENER}`,
      `listener/${HTTPS}`,
      `listener/${TCP}`,
      `listener/${PASS}`,
      `route/${AGW_LISTENER}/GRPCRoute/apps/echo/0`,
      `route/${AGW_LISTENER}/HTTPRoute/apps/llm/0`,
      `route/${AGW_LISTENER}/HTTPRoute/apps/reorder/0`,
      `route/${AGW_LISTENER}/HTTPRoute/apps/retired/0`,
      `route/${AGW_LISTENER}/HTTPRoute/apps/tools/0`,
      `route/${HTTPS}/HTTPRoute/apps/secure/0`,
      `route/${HTTPS}/HTTPRoute/apps/secure/1`,
      'service/apps/vllm-epp.apps.svc.cluster.local',
      'service/apps/vllm.apps.inference.cluster.local',
      `tcproute/${TCP}/TCPRoute/apps/db/0`,
      `tcproute/${PASS}/TLSRoute/apps/pass/0`,
      'workload/apps/10.0.0.8',
      'workload/apps/10.1.0.1',
    ]);
    const base64 = (pem: string) => Buffer.from(pem).toString('base64');
    const get = (key: string) => resources.get(key) as Record<string, Record<string, unknown>>;
    // HTTPS: the certificate, and client certificates required against the Gateway's CA (STRICT is the enum's
    // zero, left out of proto3 JSON).
    expect(get(`listener/${HTTPS}`).listener?.tls).toEqual({
      cert: base64(server.cert),
      privateKey: base64(server.key),
      root: base64(server.caCert),
    });
    // GRPCRoute: the method as a path, HTTP/2 to the backend.
    expect(get(`route/${AGW_LISTENER}/GRPCRoute/apps/echo/0`).route).toMatchObject({
      hostnames: ['grpc.example.com'],
      matches: [{ path: { exact: '/echo.Echo/Say' } }],
      backends: [
        {
          backend: { backend: 'service/apps/grpc/50051/10.0.0.2:50051' },
          backendPolicies: [{ backendHttp: { version: 'HTTP2' } }],
        },
      ],
    });
    // InferencePool: its workload Service, the picker's (FailClose) as the route backend's inference routing.
    expect(get(`route/${AGW_LISTENER}/HTTPRoute/apps/llm/0`).route?.backends).toEqual([
      {
        backend: {
          service: { namespace: 'apps', hostname: 'vllm.apps.inference.cluster.local' },
          port: 8000,
        },
        weight: 1,
        backendPolicies: [
          {
            inferenceRouting: {
              endpointPicker: {
                service: { namespace: 'apps', hostname: 'vllm-epp.apps.svc.cluster.local' },
                port: 9002,
              },
              failureMode: 'FAIL_CLOSED',
            },
          },
        ],
      },
    ]);
    // BackendTLSPolicy: the backend verified against its CA by hostname; the one that cannot be enforced answers
    // 500 and no Backend of its Service is sent (never plain HTTP).
    expect(get('backend/service/apps/secure/443/10.0.0.3:443').backend?.inlinePolicies).toEqual([
      { backendTls: { root: base64(backend.caCert), hostname: 'secure.internal' } },
    ]);
    expect(get(`route/${HTTPS}/HTTPRoute/apps/secure/1`).route).toMatchObject({
      matches: [{ path: { pathPrefix: '/broken' } }],
      trafficPolicies: [{ directResponse: { status: 500 } }],
    });
    expect(get(`route/${HTTPS}/HTTPRoute/apps/secure/1`).route?.backends).toBeUndefined();
    // MCPRoute: agentgateway's own MCP backend, a target per server, the tool selector as a deny rule.
    expect(get(`route/${AGW_LISTENER}/HTTPRoute/apps/tools/0`).route).toMatchObject({
      matches: [{ path: { exact: '/mcp' } }],
      backends: [{ backend: { backend: 'mcp/apps/tools' } }],
    });
    expect(get('backend/mcp/apps/tools').backend).toMatchObject({
      mcp: {
        targets: [{ name: 'mcp-server', backend: { backend: 'mcp/apps/tools/mcp-server' }, path: '/mcp' }],
      },
      inlinePolicies: [
        { mcpAuthorization: { deny: ['mcp.tool.target == "mcp-server" && !(mcp.tool.name in ["echo"])'] } },
      ],
    });
    // TLS passthrough: a TLS listener without TLSConfig (agentgateway passes it through), routed by SNI.
    expect(get(`listener/${PASS}`).listener).toMatchObject({ protocol: 'TLS', hostname: 'pass.example.com' });
    expect(get(`listener/${PASS}`).listener?.tls).toBeUndefined();
    expect(get(`tcproute/${PASS}/TLSRoute/apps/pass/0`).tcpRoute).toMatchObject({
      hostnames: ['pass.example.com'],
      backends: [{ backend: { backend: 'service/apps/passthrough/8443/10.0.0.5:8443' } }],
    });
    expect(get(`tcproute/${TCP}/TCPRoute/apps/db/0`).tcpRoute).toMatchObject({
      backends: [{ backend: { backend: 'service/apps/db/5432/10.0.0.6:5432' } }],
    });
    agw.send({ type_url: AGENTGATEWAY_TYPE_URL.resource, response_nonce: response.nonce });

    // Envoy, from the same resources.
    const clusters = envoyResources(envoyXds, 'via-envoy', TYPE_URL.cluster);
    const listeners = envoyResources(envoyXds, 'via-envoy', TYPE_URL.listener);
    const routes = envoyResources(envoyXds, 'via-envoy', TYPE_URL.routeConfiguration);
    expect([...clusters.keys()].sort()).toEqual([
      'epp/apps/vllm-epp/9002',
      'pool/apps/vllm',
      'service/apps/db/5432',
      'service/apps/dns/53',
      'service/apps/grpc/50051',
      'service/apps/grpc/50051/h2',
      'service/apps/passthrough/8443',
      'service/apps/secure/443',
      'switchyard-mcp-proxy',
    ]);
    expect(clusters.get('service/apps/secure/443')?.transportSocket).toMatchObject({
      typedConfig: {
        sni: 'secure.internal',
        commonTlsContext: { validationContext: { trustedCa: { inlineString: backend.caCert } } },
      },
    });
    const text = JSON.stringify([...routes.values()]);
    expect(text).toContain(
      '"match":{"path":"/echo.Echo/Say"},"route":{"cluster":"service/apps/grpc/50051/h2"}',
    );
    expect(text).toContain('"clusterName":"epp/apps/vllm-epp/9002"');
    // Envoy sends the MCPRoute to the MCP proxy (docs/mcp.md).
    expect(text).toContain('"route":{"cluster":"switchyard-mcp-proxy"');
    expect(text).toContain('"match":{"pathSeparatedPrefix":"/broken"},"directResponse":{"status":500}');
    expect(JSON.stringify(listeners.get('tcp/8443'))).toContain('"requireClientCertificate":true');
    for (const secret of ['server-tls', 'other-tls'])
      expect(JSON.stringify(listeners.get('tcp/8443'))).toContain(`"name":"secret/apps/${secret}"`);
    expect(listeners.get('tcp/9443')?.filterChains).toMatchObject([
      {
        filterChainMatch: { serverNames: ['pass.example.com'] },
        filters: [{ typedConfig: { cluster: 'service/apps/passthrough/8443' } }],
      },
    ]);
    expect(JSON.stringify(listeners.get('tcp/9443'))).not.toContain('DownstreamTlsContext');
    expect(JSON.stringify(listeners.get('tcp/9000'))).toContain('"cluster":"service/apps/db/5432"');
    expect(JSON.stringify(listeners.get('udp/5353'))).toContain('"cluster":"service/apps/dns/53"');
    // An HTTPRouteFilter's direct response on both; its regex rewrite on Envoy, which agentgateway answers 500
    // (never forwarded without what the filter asks).
    expect(text).toContain('"directResponse":{"status":410,"body":{"inlineString":"retired"}}');
    expect(get(`route/${AGW_LISTENER}/HTTPRoute/apps/retired/0`).route?.trafficPolicies).toEqual([
      { directResponse: { status: 410, body: Buffer.from('retired').toString('base64') } },
    ]);
    expect(text).toContain('"regexRewrite":{"pattern":{"regex":"^/service/([^/]+)(/.*)$"}');
    expect(get(`route/${AGW_LISTENER}/HTTPRoute/apps/reorder/0`).route?.trafficPolicies).toEqual([
      { directResponse: { status: 500 } },
    ]);

    // Both proxies take their revision: both Gateways Programmed, every listener with its routes.
    const envoyClient = new AdsTestClient(envoyXds.address);
    cleanups.push(() => envoyClient.close());
    const envoy = envoyClient.delta();
    let done = false;
    const envoyDone = envoyProxy(envoy, () => done);
    await untilBothProgrammed(plane, clock);
    done = true;
    // Once its proxy runs the revision, what agentgateway cannot express is not accepted there, naming the field and the data plane: UDP, and an
    // Envoy Gateway HTTPRouteFilter (its rule answers 500 there). Envoy serves both.
    for (const [kind, name, text] of [
      ['UDPRoute', 'dns', 'the agentgateway data plane does not proxy UDP'],
      [
        'HTTPRoute',
        'reorder',
        'the agentgateway data plane answers this rule 500: spec.rules[0].filters[0].extensionRef: HTTPRouteFilter apps/reorder spec.urlRewrite.path (ReplaceRegexMatch)',
      ],
    ] as const) {
      expect(condition(kind, name, 'via-envoy', 'Accepted'), `${kind} ${name}`).toMatchObject({
        status: 'True',
      });
      const refused = condition(kind, name, 'via-agentgateway', 'Accepted');
      expect(refused, `${kind} ${name}`).toMatchObject({ status: 'False', reason: 'UnsupportedValue' });
      expect(refused?.message).toContain(text);
    }

    for (const [gateway, http, udp] of [
      ['via-envoy', 5, [1, 'True']],
      // The refused routes do not count as attached; the UDP listener is not programmed.
      ['via-agentgateway', 4, [0, 'False']],
    ] as const) {
      expect(programmed(plane, gateway), gateway).toBe('True');
      const listenerStatuses = (plane.store.get('Gateway', 'apps', gateway)?.status?.listeners ?? []) as {
        name: string;
        attachedRoutes: number;
        conditions: { type: string; status: string }[];
      }[];
      expect(
        listenerStatuses.map((l) => [
          l.name,
          l.attachedRoutes,
          l.conditions.find((c) => c.type === 'Programmed')?.status,
        ]),
      ).toEqual([
        ['http', http, 'True'],
        ['https', 1, 'True'],
        ['pass', 1, 'True'],
        ['tcp', 1, 'True'],
        ['udp', ...udp],
      ]);
    }
    // Envoy serves both certificates of the HTTPS listener (by SNI); agentgateway the first, and says so on it.
    const https = (gateway: string) =>
      (
        (plane.store.get('Gateway', 'apps', gateway)?.status?.listeners ?? []) as {
          name: string;
          conditions: { type: string; message: string }[];
        }[]
      )
        .find((l) => l.name === 'https')
        ?.conditions.find((c) => c.type === 'Programmed')?.message;
    expect(https('via-envoy')).not.toContain('certificate');
    expect(https('via-agentgateway')).toContain(
      'The data plane warned about this listener: agentgateway takes one certificate per listener; serving core/Secret/apps/server-tls and ignoring tls.certificateRefs[1] core/Secret/apps/other-tls',
    );
    envoy.close();
    await envoyDone.catch(() => []);
  });
});
