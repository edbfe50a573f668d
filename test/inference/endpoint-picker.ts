// A small endpoint picker (EPP) for tests: an ext_proc server that, at the request headers, picks the endpoint
// named by the `x-pick-endpoint` header (or the first candidate), among the subset hint Envoy forwards
// (`envoy.lb.subset_hint` / `x-gateway-destination-endpoint-subset`) or else the pool's endpoints. It answers
// as the EPP protocol says: header and `envoy.lb` metadata `x-gateway-destination-endpoint`, or 503 when no
// candidate fits. Requests without a body only (the shipped protos lack full-duplex body responses).
import type protobuf from 'protobufjs';
import {
  externalProcessorTypes,
  PROCESS_METHOD_PATH,
} from '../../dataplane/extproc/external-processor-service.ts';
import { startGrpcStreamServer } from '../../dataplane/extproc/grpc-stream-server.ts';
import {
  headerRecord,
  metadataStruct,
  type ProcessingRequest,
  type ProcessingResponse,
  setHeaders,
} from '../../dataplane/extproc/processing-messages.ts';

export const PICK_HEADER = 'x-pick-endpoint';

export interface PickerCall {
  readonly subset?: readonly string[];
  readonly picked?: string;
}

export interface EndpointPicker {
  readonly port: number;
  readonly calls: PickerCall[];
  close(): Promise<void>;
}

type StructField = { stringValue?: string; listValue?: { values?: { stringValue?: string }[] } };
type WithMetadata = ProcessingRequest & {
  metadata_context?: { filter_metadata?: Record<string, { fields?: Record<string, StructField> }> };
};

export async function startEndpointPicker(endpoints: readonly string[], port = 0): Promise<EndpointPicker> {
  const { request, response } = externalProcessorTypes();
  const calls: PickerCall[] = [];
  const server = await startGrpcStreamServer<WithMetadata, ProcessingResponse>(
    `127.0.0.1:${port}`,
    {
      path: PROCESS_METHOD_PATH,
      decode: (bytes) => request.decode(bytes) as unknown as WithMetadata,
      encode: (message) => response.encode(message as unknown as protobuf.Message).finish(),
    },
    (stream) => {
      stream.onMessage((message) => {
        if (message.request_headers === undefined || message.request_headers === null) {
          // Trailers or a body we do not take part in: let them through unchanged.
          if (message.request_trailers) stream.write({ request_trailers: {} });
          return;
        }
        const headers = headerRecord(message.request_headers);
        const subset = subsetOf(message);
        const candidates = subset ?? endpoints;
        const wanted = headers[PICK_HEADER];
        const picked = wanted === undefined ? candidates[0] : candidates.find((c) => c === wanted);
        calls.push({
          ...(subset === undefined ? {} : { subset }),
          ...(picked === undefined ? {} : { picked }),
        });
        if (picked === undefined) {
          stream.write({ immediate_response: { status: { code: 503 }, details: 'no_candidate_endpoint' } });
          return;
        }
        stream.write({
          request_headers: {
            response: {
              header_mutation: { set_headers: setHeaders({ 'x-gateway-destination-endpoint': picked }) },
            },
          },
          dynamic_metadata: metadataStruct('envoy.lb', { 'x-gateway-destination-endpoint': picked }),
        });
      });
    },
  );
  return {
    port: Number(server.address.slice(server.address.lastIndexOf(':') + 1)),
    calls,
    close: () => server.close(100),
  };
}

function subsetOf(message: WithMetadata): string[] | undefined {
  const field =
    message.metadata_context?.filter_metadata?.['envoy.lb.subset_hint']?.fields?.[
      'x-gateway-destination-endpoint-subset'
    ];
  if (field === undefined) return undefined;
  const raw =
    typeof field.stringValue === 'string'
      ? [field.stringValue]
      : (field.listValue?.values ?? []).map((v) => v.stringValue ?? '');
  return raw
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter((v) => v !== '');
}
