import { expect, test } from 'vitest';
import { parseExtProcConfig } from './config.ts';
import { externalProcessorTypes } from './external-processor-service.ts';
import { clientErrorResponse, unknownPathResponse } from './immediate-replies.ts';
import { metadataStruct, type ProcessingResponse, setHeaders } from './processing-messages.ts';
import { encodeProcessingResponse } from './processing-response-encoder.ts';
import { StreamProcessor } from './stream-processor.ts';
import { requestHeaders } from './testdata/ext-proc-client.ts';

/** What protobufjs writes for the message, from the real proto. */
function protobufjsBytes(message: ProcessingResponse): Buffer {
  return Buffer.from(
    externalProcessorTypes()
      .response.encode(message as never)
      .finish(),
  );
}

function expectSameBytes(message: ProcessingResponse): void {
  const framed = encodeProcessingResponse(message);
  expect(framed.subarray(5).toString('hex')).toBe(protobufjsBytes(message).toString('hex'));
}

const body = (text: string) => Buffer.from(text);

test('every reply shape is encoded to the bytes protobufjs writes', () => {
  const shapes: ProcessingResponse[] = [
    { request_headers: { response: {} } },
    {
      request_headers: { response: { header_mutation: { remove_headers: ['x-ai-eg-model', 'x-backend'] } } },
    },
    { request_headers: { response: {} }, mode_override: { request_body_mode: 2, response_body_mode: 0 } },
    {
      request_body: {
        response: {
          header_mutation: {
            set_headers: setHeaders({ ':path': '/v1/messages', 'x-api-key': 'sk-é', 'content-length': '5' }),
            remove_headers: ['authorization'],
          },
          body_mutation: { body: body('{"a":"ü"}') },
          clear_route_cache: true,
        },
      },
    },
    { request_body: { response: { body_mutation: { body: Buffer.alloc(0) } } } },
    { response_headers: { response: { header_mutation: { remove_headers: [], set_headers: [] } } } },
    { response_headers: { response: { status: 0 } }, mode_override: { response_body_mode: 1 } },
    { response_body: { response: {} } },
    {
      response_body: { response: { body_mutation: { body: body('x'.repeat(70_000)) } } },
      dynamic_metadata: metadataStruct('io.envoy.ai_gateway', {
        llm_total_token: 1180,
        llm_cost: 4500.5,
        model: 'm',
      }),
    },
    {
      dynamic_metadata: {
        fields: {
          outer: {
            structValue: { fields: { inner: { structValue: { fields: { n: { numberValue: 0 } } } } } },
          },
        },
      },
    },
    { request_trailers: {} },
    { response_trailers: {} },
    clientErrorResponse('anthropic.messages', 503, 'at capacity — retry', 'overloaded', {
      'retry-after': '1',
    }),
    unknownPathResponse('/v2/unknown'),
  ];
  for (const shape of shapes) expectSameBytes(shape);
});

test("a whole request's replies, translated and signed, are encoded to the bytes protobufjs writes", () => {
  const config = parseExtProcConfig(`
llmRequestCosts: [{ metadataKey: total, type: TotalToken }, { metadataKey: cost, type: CEL, cel: "input_tokens * 3u" }]
rules: [{ models: [claude], backends: [bedrock] }]
backends:
  - name: bedrock
    schema: AWSBedrock
    host: bedrock-runtime.us-east-1.amazonaws.com
    auth: { aws: { region: us-east-1, accessKeyId: AKID, secretAccessKey: secret } }
`);
  const processor = new StreamProcessor(config, 's1');
  const request = JSON.stringify({ model: 'claude', messages: [{ role: 'user', content: 'hi' }] });
  const answer = JSON.stringify({
    output: { message: { role: 'assistant', content: [{ text: 'hello' }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 3, outputTokens: 1, totalTokens: 4 },
  });
  const replies = [
    requestHeaders({
      ':path': '/v1/chat/completions',
      ':method': 'POST',
      'content-type': 'application/json',
    }),
    { request_body: { body: body(request), end_of_stream: true } },
    {
      response_headers: requestHeaders({ ':status': '200', 'content-type': 'application/json' })
        .request_headers,
    },
    { response_body: { body: body(answer), end_of_stream: true } },
  ].map((phase) => processor.process(phase, Date.parse('2026-12-07T12:00:00Z')));
  expect(replies[1]?.request_body?.response.header_mutation?.set_headers?.length).toBeGreaterThan(3);
  expect(replies[3]?.dynamic_metadata).toBeDefined();
  for (const reply of replies) expectSameBytes(reply);
});

test('the 5 bytes in front are left for the gRPC prefix', () => {
  const framed = encodeProcessingResponse({ response_trailers: {} });
  expect(framed.length).toBe(5 + 2);
});
