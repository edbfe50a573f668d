// agentgateway's xDS resource API (the subset Switchyard sends, protos/agentgateway/*.proto) as protobufjs
// reflection, loaded once on first use. Resources are proto3 JSON of agentgateway.dev.resource.Resource and travel
// in the ADS service of aggregated-discovery-service.ts as google.protobuf.Any.
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import protojson from 'protobufjs/ext/protojson.js';
import type { Any } from './envoy-api.ts';

/** Type URLs of the resources an agentgateway delta ADS stream carries. */
export const AGENTGATEWAY_TYPE_URL = {
  resource: 'type.googleapis.com/agentgateway.dev.resource.Resource',
  address: 'type.googleapis.com/istio.workload.Address',
} as const;

const RESOURCE_TYPE = 'agentgateway.dev.resource.Resource';

export class AgentgatewayApi {
  readonly root: protobuf.Root;

  constructor(root: protobuf.Root) {
    this.root = root;
  }

  /** A message type by its full name (`agentgateway.dev.resource.Route`); throws naming it when unknown. */
  messageType(name: string): protobuf.Type {
    const found = this.root.lookup(name);
    if (!(found instanceof protobuf.Type)) {
      throw new Error(`unknown agentgateway message type '${name}' (not in protos/agentgateway/)`);
    }
    return found;
  }

  /** Proto3 JSON of a Resource to wire bytes; throws naming the field when the JSON does not fit the proto. */
  encodeResource(json: unknown): Uint8Array {
    const type = this.messageType(RESOURCE_TYPE);
    return type.encode(protojson.fromJson(type, json)).finish();
  }

  /** Wire bytes of a Resource to proto3 JSON. */
  decodeResource(bytes: Uint8Array): unknown {
    const type = this.messageType(RESOURCE_TYPE);
    return protojson.toJson(type, type.decode(bytes));
  }

  /** Proto3 JSON of a Resource as the google.protobuf.Any a delta response carries. */
  packResource(json: unknown): Any {
    return { type_url: AGENTGATEWAY_TYPE_URL.resource, value: this.encodeResource(json) };
  }
}

let loaded: AgentgatewayApi | undefined;

/** The agentgateway resource API, loaded once on first call. */
export function agentgatewayApi(): AgentgatewayApi {
  loaded ??= loadAgentgatewayApi();
  return loaded;
}

function loadAgentgatewayApi(): AgentgatewayApi {
  const root = new protobuf.Root();
  root.loadSync(fileURLToPath(new URL('./agentgateway/resource.proto', import.meta.url)), { keepCase: true });
  root.resolveAll();
  return new AgentgatewayApi(root);
}
