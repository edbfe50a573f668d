// The gRPC service definition of envoy.service.ext_proc.v3.ExternalProcessor for @grpc/grpc-js, from the
// proto shipped in @grpc/grpc-js-xds (only this file and its imports are loaded: start-up stays fast).
// Decoding keeps protobufjs message objects (no toObject copy); the server encodes its replies itself
// (processing-response-encoder.ts), tests and benchmarks through these types.
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { protoIncludeDirs, resolveImport } from '../../protos/envoy-api-sources.ts';
import type { ProcessingRequest, ProcessingResponse } from './processing-messages.ts';

const SERVICE = 'envoy.service.ext_proc.v3.ExternalProcessor';
export const PROCESS_METHOD_PATH = `/${SERVICE}/Process`;

export type ExternalProcessorService = ServiceDefinition<{
  Process: MethodDefinition<ProcessingRequest, ProcessingResponse>;
}>;

export interface ExternalProcessorTypes {
  readonly request: protobuf.Type;
  readonly response: protobuf.Type;
}

let loaded: ExternalProcessorTypes | undefined;

/** ProcessingRequest and ProcessingResponse, loaded once. */
export function externalProcessorTypes(): ExternalProcessorTypes {
  if (loaded !== undefined) return loaded;
  const includeDirs = protoIncludeDirs();
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) =>
    target.startsWith('/') ? target : (resolveImport(includeDirs, target) ?? null);
  root.loadSync('envoy/service/ext_proc/v3/external_processor.proto', { keepCase: true });
  root.resolveAll();
  loaded = {
    request: root.lookupType('envoy.service.ext_proc.v3.ProcessingRequest'),
    response: root.lookupType('envoy.service.ext_proc.v3.ProcessingResponse'),
  };
  return loaded;
}

/** The service definition, for `server.addService` or `makeClientConstructor` (tests and benchmarks). */
export function externalProcessorService(): ExternalProcessorService {
  const { request, response } = externalProcessorTypes();
  return {
    Process: {
      path: PROCESS_METHOD_PATH,
      originalName: 'Process',
      requestStream: true,
      responseStream: true,
      requestSerialize: (message) => Buffer.from(request.encode(message as protobuf.Message).finish()),
      requestDeserialize: (bytes) => request.decode(bytes) as unknown as ProcessingRequest,
      responseSerialize: (message) => Buffer.from(response.encode(message as protobuf.Message).finish()),
      responseDeserialize: (bytes) => response.decode(bytes) as unknown as ProcessingResponse,
    },
  };
}
