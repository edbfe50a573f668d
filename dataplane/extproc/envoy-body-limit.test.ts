// A body without a declared length that outgrows the listener's buffer: in BUFFERED mode Envoy answers 413 itself
// before the service sees the body; its response headers reach the service, which answers in the client's shape.
import { describe, expect, test } from 'vitest';
import { type ExtProcConfig, loadExtProcConfig } from './config.ts';
import type { ProcessingRequest } from './processing-messages.ts';
import { StreamProcessor } from './stream-processor.ts';
import { FIXED_TIME } from './testdata/fixtures.ts';

const config: ExtProcConfig = loadExtProcConfig(
  new URL('testdata/extproc-config.yaml', import.meta.url).pathname,
);

const headerMap = (values: Record<string, string>) => ({
  headers: Object.entries(values).map(([key, value]) => ({ key, raw_value: Buffer.from(value) })),
});
const chunkedPost = (path: string): ProcessingRequest => ({
  request_headers: {
    headers: headerMap({ ':path': path, ':method': 'POST', 'transfer-encoding': 'chunked' }),
    end_of_stream: false,
  },
});
const envoyReply = (status: number): ProcessingRequest => ({
  response_headers: {
    headers: headerMap({ ':status': String(status), 'content-type': 'text/plain' }),
    end_of_stream: false,
  },
});

function answered(path: string, status: number) {
  const processor = new StreamProcessor(config, 'req-1');
  processor.process(chunkedPost(path), FIXED_TIME);
  const reply = processor.process(envoyReply(status), FIXED_TIME);
  const immediate = reply.immediate_response;
  if (immediate === undefined) return reply;
  return { status: immediate.status.code, body: JSON.parse(Buffer.from(immediate.body!).toString()) };
}

describe("Envoy's own 413 while the body is buffered", () => {
  test("is answered in the client's shape, naming the limit", () => {
    const message = `the request body is larger than ${config.maxRequestBodyBytes} bytes`;
    expect(answered('/v1/chat/completions', 413)).toMatchObject({
      status: 413,
      body: { error: { message, code: 'request_too_large' } },
    });
    expect(answered('/v1/messages', 413)).toEqual({
      status: 413,
      body: { type: 'error', error: { type: 'request_too_large', message } },
    });
  });

  test('any other answer of Envoy before the body is left as it is', () => {
    expect(answered('/v1/chat/completions', 503)).toEqual({ response_headers: { response: {} } });
  });
});
