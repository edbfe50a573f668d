// The gRPC service definition of Envoy's AggregatedDiscoveryService (ADS) for @grpc/grpc-js, built from
// the loaded Envoy API. Messages are plain objects with the .proto field names; resources travel as
// google.protobuf.Any whose `value` is already-encoded bytes (see EnvoyApi.pack).
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { type Any, type EnvoyApi, envoyApi } from './envoy-api.ts';

/** The proxy identity a client sends (envoy.config.core.v3.Node), the fields we read. */
export interface Node {
  id: string;
  cluster: string;
  user_agent_name: string;
  [field: string]: unknown;
}

/** google.rpc.Status, present on a request that NACKs the previous response. */
export interface Status {
  code: number;
  message: string;
  details: Any[];
}

export interface DiscoveryRequest {
  version_info: string;
  /** Only on the first request of a stream when the client sets set_node_on_first_message_only. */
  node: Node | null;
  resource_names: string[];
  type_url: string;
  response_nonce: string;
  error_detail: Status | null;
}

export interface DiscoveryResponse {
  version_info: string;
  resources: Any[];
  type_url: string;
  nonce: string;
}

export interface DeltaDiscoveryRequest {
  node: Node | null;
  type_url: string;
  resource_names_subscribe: string[];
  resource_names_unsubscribe: string[];
  initial_resource_versions: Record<string, string>;
  response_nonce: string;
  error_detail: Status | null;
}

/** envoy.service.discovery.v3.Resource: one named, versioned resource of a delta response. */
export interface Resource {
  name: string;
  version: string;
  resource: Any;
}

export interface DeltaDiscoveryResponse {
  system_version_info: string;
  resources: Resource[];
  type_url: string;
  removed_resources: string[];
  nonce: string;
}

export type AggregatedDiscoveryService = ServiceDefinition<{
  StreamAggregatedResources: MethodDefinition<DiscoveryRequest, DiscoveryResponse>;
  DeltaAggregatedResources: MethodDefinition<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
}>;

const SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';

// Decoded messages carry every field (empty strings, lists and maps, null messages) so handlers need no guards.
const DECODED: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  defaults: true,
  arrays: true,
  objects: true,
};

/** The ADS service definition, for `server.addService` or `makeClientConstructor`. */
export function aggregatedDiscoveryService(api: EnvoyApi = envoyApi()): AggregatedDiscoveryService {
  const service = api.root.lookupService(SERVICE);
  return {
    StreamAggregatedResources: methodDefinition<DiscoveryRequest, DiscoveryResponse>(
      service,
      'StreamAggregatedResources',
    ),
    DeltaAggregatedResources: methodDefinition<DeltaDiscoveryRequest, DeltaDiscoveryResponse>(
      service,
      'DeltaAggregatedResources',
    ),
  };
}

function methodDefinition<Request extends object, Response extends object>(
  service: protobuf.Service,
  name: string,
): MethodDefinition<Request, Response> {
  const rpc = service.methods[name]!; // resolved when the API was loaded
  const request = rpc.resolvedRequestType!;
  const response = rpc.resolvedResponseType!;
  return {
    path: `/${SERVICE}/${name}`,
    originalName: name,
    requestStream: rpc.requestStream === true,
    responseStream: rpc.responseStream === true,
    requestSerialize: (message) => Buffer.from(request.encode(request.fromObject(message)).finish()),
    requestDeserialize: (bytes) => request.toObject(request.decode(bytes), DECODED) as Request,
    responseSerialize: (message) => Buffer.from(response.encode(response.fromObject(message)).finish()),
    responseDeserialize: (bytes) => response.toObject(response.decode(bytes), DECODED) as Response,
  };
}
