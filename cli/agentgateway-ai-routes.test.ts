// AIGatewayRoutes on an agentgateway Gateway: agentgateway runs no ext_proc service, so Switchyard does not forward
// their requests there. Through the control plane and agentgateway's delta ADS (our xDS client as the proxy): every
// rule of such a route reaches the proxy as a 501 direct response and no provider backend is sent; the route's
// status names the Gateway and the data plane (NotAccepted when it is the route's only Gateway).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { GATEWAY_DEPLOYER } from '../actors/gateway-deployer/index.ts';
import { AgentgatewayXdsServer, agentgatewayBackendSpec } from '../backends/agentgateway/index.ts';
import { AdsTestClient } from '../backends/envoy/testdata/ads-test-client.ts';
import { AGENTGATEWAY_TYPE_URL, agentgatewayApi } from '../protos/agentgateway-api.ts';
import type { ActorSpec } from '../runtime/Actor.ts';
import { createLogger } from '../runtime/logger.ts';
import type { Message } from '../runtime/message.ts';
import { runUntilQuiescent } from '../runtime/quiescence.ts';
import { VirtualClock } from '../runtime/VirtualClock.ts';
import { createControlPlane } from './control-plane.ts';
import { ENVOY_AND_AGENTGATEWAY_CLASSES, httpGateway } from './testdata/manifests.ts';

const aiRoute = (
  name: string,
  model: string,
  parents: string[],
) => `apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata: {name: ${name}, namespace: apps}
spec:
  parentRefs: [${parents.map((parent) => `{name: ${parent}}`).join(', ')}]
  rules:
    - matches: [{headers: [{type: Exact, name: x-ai-eg-model, value: ${model}}]}]
      backendRefs: [{name: openai}]
`;

const MANIFESTS = `${ENVOY_AND_AGENTGATEWAY_CLASSES}---
${httpGateway('via-envoy', 'envoy', 8080)}---
${httpGateway('via-agentgateway', 'agentgateway', 8080)}---
apiVersion: v1
kind: Service
metadata: {name: openai, namespace: apps}
spec: {ports: [{name: http, port: 443}]}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: openai-1, namespace: apps, labels: {kubernetes.io/service-name: openai}}
addressType: IPv4
ports: [{name: http, port: 443}]
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
  backendRef: {name: openai, kind: Service, port: 443}
---
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: BackendSecurityPolicy
metadata: {name: openai-key, namespace: apps}
spec:
  type: APIKey
  targetRefs: [{group: aigateway.envoyproxy.io, kind: AIServiceBackend, name: openai}]
  apiKey: {secretRef: {name: openai-key}}
---
${aiRoute('both', 'gpt-4o', ['via-envoy', 'via-agentgateway'])}---
${aiRoute('agw-only', 'gpt-4o-mini', ['via-agentgateway'])}`;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

it('an AIGatewayRoute on an agentgateway Gateway reaches the proxy as 501 answers, and its status says why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-agw-ai-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'all.yaml'), MANIFESTS);
  const xds = await AgentgatewayXdsServer.start({ address: '127.0.0.1:0' });
  cleanups.push(() => xds.stop());
  const clock = new VirtualClock();
  const plane = createControlPlane({
    clock,
    logger: createLogger({ level: 'silent' }),
    files: { paths: [dir], watch: false },
    backends: {
      agentgateway: agentgatewayBackendSpec({
        name: 'backend.agentgateway',
        deployer: GATEWAY_DEPLOYER,
        xds,
      }) as unknown as ActorSpec<Message>,
    },
  });
  cleanups.push(async () => {
    plane.close();
    await plane.system.stop(2_000);
  });
  plane.system.start();
  await runUntilQuiescent(plane.system, clock);

  const condition = (name: string) =>
    plane.store.get('AIGatewayRoute', 'apps', name)?.status?.conditions?.[0];
  expect(condition('agw-only')).toMatchObject({
    type: 'NotAccepted',
    status: 'False',
    reason: 'UnsupportedValue',
    message: expect.stringContaining('parentRefs: Gateway apps/via-agentgateway is served by agentgateway'),
  });
  expect(condition('both')).toMatchObject({ type: 'Accepted', status: 'True' });
  expect(condition('both')?.message).toContain('not served: parentRefs: Gateway apps/via-agentgateway');

  const client = new AdsTestClient(xds.address);
  cleanups.push(() => client.close());
  const proxy = client.delta();
  proxy.send({
    node: {
      id: 'agw-1',
      cluster: '',
      user_agent_name: 'agentgateway',
      metadata: {
        fields: { GATEWAY_NAME: { stringValue: 'via-agentgateway' }, NAMESPACE: { stringValue: 'apps' } },
      },
    } as never,
    type_url: AGENTGATEWAY_TYPE_URL.resource,
  });
  const response = await proxy.next();
  const api = agentgatewayApi();
  const decoded = response.resources.map(
    (resource) =>
      api.decodeResource(resource.resource!.value as Uint8Array) as Record<string, Record<string, unknown>>,
  );
  // No provider backend reaches the proxy: nothing of these routes is forwarded.
  expect(decoded.filter((resource) => resource.backend !== undefined)).toEqual([]);
  const routes = decoded.flatMap((resource) => (resource.route === undefined ? [] : [resource.route]));
  expect(routes.map((route) => (route.name as { name: string }).name).sort()).toEqual([
    'agw-only',
    'agw-only',
    'both',
    'both',
  ]);
  for (const route of routes) {
    expect(route.backends).toBeUndefined();
    const [policy] = route.trafficPolicies as { directResponse: { status: number; body: string } }[];
    expect(policy?.directResponse.status).toBe(501);
    expect(Buffer.from(policy!.directResponse.body, 'base64').toString()).toMatch(
      /^AIGatewayRoute apps\/(both|agw-only) is not served by agentgateway: AI routes need the envoy backend\n$/,
    );
  }
  // A first control plane in a process loads every proto and actor module: seconds on a loaded machine.
}, 60_000);
