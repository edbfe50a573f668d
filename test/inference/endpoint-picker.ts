// A small endpoint picker (EPP) for tests: an ext_proc server that, at the request headers, picks the endpoint
// named by the `x-pick-endpoint` header (or the first candidate), among the subset hint Envoy forwards
// (`envoy.lb.subset_hint` / `x-gateway-destination-endpoint-subset`) or else the pool's endpoints. It answers
// as the EPP protocol says: header and `envoy.lb` metadata `x-gateway-destination-endpoint`, or 503 when no
// candidate fits. A request with a body is read whole first (FULL_DUPLEX_STREAMED, as a real EPP reads the model),
// its JSON `pick` field may name the endpoint, and the body goes back in streamed body responses.
import protobuf from 'protobufjs';
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
const { Type: ProtobufType, Field: ProtobufField } = protobuf;

export interface PickerCall {
  readonly subset?: readonly string[];
  readonly picked?: string;
  /** The request body the picker read (FULL_DUPLEX_STREAMED), when there was one. */
  readonly body?: string;
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
  const { request, response } = withStreamedBodyResponse(externalProcessorTypes());
  const calls: PickerCall[] = [];
  const server = await startGrpcStreamServer<WithMetadata, ProcessingResponse>(
    `127.0.0.1:${port}`,
    {
      path: PROCESS_METHOD_PATH,
      decode: (bytes) => request.decode(bytes) as unknown as WithMetadata,
      encode: (message) => response.encode(message as unknown as protobuf.Message).finish(),
    },
    (stream) => {
      // FULL_DUPLEX_STREAMED: a request with a body sends its headers, then body chunks; the picker (as a real EPP
      // does, to read the model) answers once the body is complete — the header response with its pick, then the
      // body handed back in streamed body responses.
      let pending: { headers: WithMetadata; chunks: Uint8Array[] } | undefined;
      const pick = (headersMessage: WithMetadata, body: string | undefined): boolean => {
        const headers = headerRecord(headersMessage.request_headers ?? {});
        const subset = subsetOf(headersMessage);
        const candidates = subset ?? endpoints;
        const wanted = headers[PICK_HEADER] ?? pickFromBody(body);
        const picked = wanted === undefined ? candidates[0] : candidates.find((c) => c === wanted);
        calls.push({
          ...(subset === undefined ? {} : { subset }),
          ...(picked === undefined ? {} : { picked }),
          ...(body === undefined ? {} : { body }),
        });
        if (picked === undefined) {
          stream.write({ immediate_response: { status: { code: 503 }, details: 'no_candidate_endpoint' } });
          return false;
        }
        stream.write({
          request_headers: {
            response: {
              header_mutation: { set_headers: setHeaders({ 'x-gateway-destination-endpoint': picked }) },
            },
          },
          dynamic_metadata: metadataStruct('envoy.lb', { 'x-gateway-destination-endpoint': picked }),
        });
        return true;
      };
      stream.onMessage((message) => {
        if (message.request_headers !== undefined && message.request_headers !== null) {
          if (message.request_headers.end_of_stream === true) pick(message, undefined);
          else pending = { headers: message, chunks: [] };
          return;
        }
        if (message.request_body !== undefined && message.request_body !== null && pending !== undefined) {
          pending.chunks.push(Buffer.from(message.request_body.body ?? []));
          if (message.request_body.end_of_stream !== true) return;
          const body = Buffer.concat(pending.chunks);
          const headers = pending.headers;
          pending = undefined;
          if (!pick(headers, body.toString('utf8'))) return;
          stream.write({
            request_body: {
              response: { body_mutation: { streamed_response: { body, end_of_stream: true } } },
            },
          } as unknown as ProcessingResponse);
          return;
        }
        // Trailers (sent in this mode) pass unchanged.
        if (message.request_trailers) stream.write({ request_trailers: {} });
      });
    },
  );
  return {
    port: Number(server.address.slice(server.address.lastIndexOf(':') + 1)),
    calls,
    close: () => server.close(100),
  };
}

/** A JSON body's `"pick"` field names the endpoint (the way a real picker reads the `model`). */
function pickFromBody(body: string | undefined): string | undefined {
  if (body === undefined || body === '') return undefined;
  try {
    const pick = (JSON.parse(body) as { pick?: unknown }).pick;
    return typeof pick === 'string' ? pick : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The ext_proc protos we load predate Envoy's full-duplex body responses: add BodyMutation.streamed_response
 * (field 3, a StreamedBodyResponse of `bytes body = 1; bool end_of_stream = 2`, as Envoy's API defines them) to
 * this test's copy of the types, once.
 */
function withStreamedBodyResponse(types: { request: protobuf.Type; response: protobuf.Type }) {
  const mutation = types.response.root.lookupType('envoy.service.ext_proc.v3.BodyMutation');
  if (mutation.fields.streamed_response === undefined) {
    const streamed = new ProtobufType('StreamedBodyResponse')
      .add(new ProtobufField('body', 1, 'bytes'))
      .add(new ProtobufField('end_of_stream', 2, 'bool'));
    (mutation.parent as protobuf.Namespace).add(streamed);
    const field = new ProtobufField('streamed_response', 3, 'StreamedBodyResponse');
    mutation.add(field);
    mutation.oneofs.mutation?.add(field);
    types.response.root.resolveAll();
  }
  return types;
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
