// Plays an agentgateway proxy on a delta ADS stream of our xDS client: the node as agentgateway sends it (the
// Gateway in its metadata), one wildcard subscription to agentgateway's Resource type, responses decoded.
import { AGENTGATEWAY_TYPE_URL, agentgatewayApi } from '../../../protos/agentgateway-api.ts';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse } from '../../../protos/index.ts';
import type { AdsTestStream } from '../../envoy/testdata/ads-test-client.ts';

export type AgentgatewayStream = AdsTestStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
export type ResourceJson = Record<string, Record<string, unknown>>;

/** Subscribes to everything as a proxy of `namespace/gateway`; `id` is its node id. */
export function subscribeAsAgentgateway(
  stream: AgentgatewayStream,
  gateway: { readonly namespace: string; readonly name: string },
  id = 'agw-1',
): void {
  stream.send({
    node: {
      id,
      cluster: '',
      user_agent_name: 'agentgateway',
      metadata: {
        fields: {
          GATEWAY_NAME: { stringValue: gateway.name },
          NAMESPACE: { stringValue: gateway.namespace },
        },
      },
    } as never,
    type_url: AGENTGATEWAY_TYPE_URL.resource,
  });
}

/** The resources of one response, by delta name, as proto3 JSON of agentgateway's Resource. */
export function decodeResources(response: DeltaDiscoveryResponse): Map<string, ResourceJson> {
  const api = agentgatewayApi();
  return new Map(
    response.resources.map((resource) => [
      resource.name,
      api.decodeResource(resource.resource!.value as Uint8Array) as ResourceJson,
    ]),
  );
}
