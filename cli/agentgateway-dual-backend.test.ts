// One control plane, two data planes: the same HTTPRoute attached to a Gateway of an envoy class and to one of an
// agentgateway class (GatewayClassParameters backend: agentgateway). Each backend's ADS server serves its own
// Gateway only, and each Gateway becomes Programmed once its own proxy ACKs. The same AIGatewayRoute on both:
// Envoy routes it through the ext_proc service, agentgateway natively (its model table and an AI backend), and
// what agentgateway cannot express is named in the route's status.
import { afterEach, describe, expect, it } from 'vitest';
import { AgentgatewayXdsServer } from '../backends/agentgateway/index.ts';
import {
  decodeResources,
  subscribeAsAgentgateway,
} from '../backends/agentgateway/testdata/agentgateway-proxy.ts';
import { XdsServer } from '../backends/envoy/index.ts';
import { AdsTestClient, type AdsTestStream } from '../backends/envoy/testdata/ads-test-client.ts';
import { AGENTGATEWAY_TYPE_URL, agentgatewayApi } from '../protos/agentgateway-api.ts';
import { envoyApi } from '../protos/envoy-api.ts';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse } from '../protos/index.ts';
import { TYPE_URL } from '../protos/index.ts';
import { runUntilQuiescent } from '../runtime/quiescence.ts';
import type { ControlPlane } from './control-plane.ts';
import { startFilesPlane } from './testdata/files-plane.ts';
import { ENVOY_AND_AGENTGATEWAY_CLASSES, httpGateway, WEB_SERVICE } from './testdata/manifests.ts';

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
    for (
      let i = 0;
      i < 300 &&
      !(programmed(plane, 'via-envoy') === 'True' && programmed(plane, 'via-agentgateway') === 'True');
      i++
    ) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      await runUntilQuiescent(plane.system, clock);
    }
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
});
