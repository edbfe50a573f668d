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
import { AGENTGATEWAY_TYPE_URL } from '../protos/agentgateway-api.ts';
import { envoyApi } from '../protos/envoy-api.ts';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse } from '../protos/index.ts';
import { TYPE_URL } from '../protos/index.ts';
import { runUntilQuiescent } from '../runtime/quiescence.ts';
import type { ControlPlane } from './control-plane.ts';
import { startFilesPlane } from './testdata/files-plane.ts';
import { ENVOY_AND_AGENTGATEWAY_CLASSES, httpGateway, WEB_SERVICE } from './testdata/manifests.ts';

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
    expect(resources.resources.map((r) => r.name)).toEqual([
      'bind/8080/apps/via-agentgateway',
      'listener/8080/apps/via-agentgateway/Gateway/apps/via-agentgateway/http',
      'route/8080/apps/via-agentgateway/Gateway/apps/via-agentgateway/http/HTTPRoute/apps/shared/0',
      'backend/service/apps/web/80/10.0.0.1:9000',
    ]);
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
