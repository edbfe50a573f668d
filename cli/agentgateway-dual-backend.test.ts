// One control plane, two data planes: the same HTTPRoute attached to a Gateway of an envoy class and to one of an
// agentgateway class (GatewayClassParameters backend: agentgateway). Each backend's ADS server serves its own
// Gateway only, and each Gateway becomes Programmed once its own proxy ACKs.
import { afterEach, describe, expect, it } from 'vitest';
import { AgentgatewayXdsServer } from '../backends/agentgateway/index.ts';
import { XdsServer } from '../backends/envoy/index.ts';
import { AdsTestClient, type AdsTestStream } from '../backends/envoy/testdata/ads-test-client.ts';
import { AGENTGATEWAY_TYPE_URL } from '../protos/agentgateway-api.ts';
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
    agw.send({
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
});
