// A minimal ext_proc processor for EnvoyExtensionPolicy tests: at the request headers it adds `x-processed` (the
// processor's name) and records the path; a request carrying `x-reject: yes` is answered 418 by the processor
// itself; a buffered request body passes unchanged. Built on the data plane's own gRPC stream server and ext_proc message types.
import type protobuf from 'protobufjs';
import {
  externalProcessorTypes,
  PROCESS_METHOD_PATH,
} from '../../../dataplane/extproc/external-processor-service.ts';
import { startGrpcStreamServer } from '../../../dataplane/extproc/grpc-stream-server.ts';
import {
  headerRecord,
  type ProcessingRequest,
  type ProcessingResponse,
  setHeaders,
} from '../../../dataplane/extproc/processing-messages.ts';

export interface HeaderProcessor {
  readonly port: number;
  readonly paths: string[];
  close(): Promise<void>;
}

export async function startHeaderProcessor(name: string): Promise<HeaderProcessor> {
  const { request, response } = externalProcessorTypes();
  const paths: string[] = [];
  const server = await startGrpcStreamServer<ProcessingRequest, ProcessingResponse>(
    '127.0.0.1:0',
    {
      path: PROCESS_METHOD_PATH,
      decode: (bytes) => request.decode(bytes) as unknown as ProcessingRequest,
      encode: (message) => response.encode(message as unknown as protobuf.Message).finish(),
    },
    (stream) => {
      stream.onMessage((message) => {
        // A body Envoy buffered for it (processing mode Buffered) passes unchanged.
        if (message.request_body !== undefined && message.request_body !== null) {
          stream.write({ request_body: { response: {} } });
          return;
        }
        if (message.request_headers === undefined || message.request_headers === null) return;
        const headers = headerRecord(message.request_headers);
        paths.push(headers[':path'] ?? '');
        if (headers['x-reject'] === 'yes') {
          stream.write({ immediate_response: { status: { code: 418 }, details: 'rejected_by_processor' } });
          return;
        }
        stream.write({
          request_headers: {
            response: { header_mutation: { set_headers: setHeaders({ 'x-processed': name }) } },
          },
        });
      });
    },
  );
  return {
    port: Number(server.address.slice(server.address.lastIndexOf(':') + 1)),
    paths,
    close: () => server.close(100),
  };
}
