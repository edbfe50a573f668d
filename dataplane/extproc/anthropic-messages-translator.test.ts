import { expect, test } from 'vitest';
import {
  anthropicMessagesTranslator,
  awsAnthropicMessagesTranslator,
  gcpAnthropicMessagesTranslator,
} from './anthropic-messages-translator.ts';
import { encodeEventStreamMessage } from './aws-event-stream.ts';
import { context } from './testdata/fixtures.ts';

const location = { project: 'proj-1', region: 'europe-west1' };
const body = { model: 'claude-client', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };

test('Anthropic clients pass through to Anthropic (under its prefix) and Vertex Anthropic with the model overridden', () => {
  const direct = anthropicMessagesTranslator().request(body, context({ model: 'claude-3-haiku' }));
  expect(direct).toEqual({
    path: '/v1/messages',
    body: JSON.stringify({ ...body, model: 'claude-3-haiku' }),
    headers: { 'anthropic-version': '2023-06-01' },
  });
  expect(anthropicMessagesTranslator('api/anthropic/v1/').request(body, context()).path).toBe(
    '/api/anthropic/v1/messages',
  );
  const vertex = gcpAnthropicMessagesTranslator(location, 'vertex-2023-10-16').request(
    body,
    context({ model: 'claude-3-haiku', stream: true }),
  );
  expect(vertex.path).toMatch(/publishers\/anthropic\/models\/claude-3-haiku:streamRawPredict$/);
  expect(JSON.parse(vertex.body)).toEqual({
    anthropic_version: 'vertex-2023-10-16',
    max_tokens: 10,
    messages: body.messages,
  });
});

test('Anthropic passthrough streams are forwarded untouched and read for usage; errors keep the Anthropic shape', () => {
  const translator = anthropicMessagesTranslator();
  const stream = translator.stream(context({ stream: true }));
  const text =
    'event: message_start\ndata: {"type":"message_start","message":{"id":"m","usage":{"input_tokens":7,"output_tokens":1}}}\n\n' +
    'event: message_delta\ndata: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":5}}\n\n';
  expect(stream.push(Buffer.from(text)) + stream.end()).toBe(text);
  expect(stream.usage()).toMatchObject({
    inputTokens: 7,
    cachedInputTokens: 0,
    outputTokens: 5,
    totalTokens: 12,
  });
  expect(JSON.parse(translator.error(500, Buffer.from('boom'), {}))).toEqual({
    type: 'error',
    error: { type: 'api_error', message: 'boom' },
  });
});

test('AWS Anthropic: InvokeModel path, Bedrock anthropic_version, no model or stream in the body, supported betas only', () => {
  const translator = awsAnthropicMessagesTranslator('bedrock-2023-05-31');
  const upstream = translator.request(
    { ...body, stream: true },
    context({
      model: 'us.anthropic.claude-sonnet-4-v1:0',
      stream: true,
      headers: {
        'anthropic-beta': 'interleaved-thinking-2025-05-14, made-up-beta, advanced-tool-use-2025-11-20',
      },
    }),
  );
  expect(upstream.path).toBe('/model/us.anthropic.claude-sonnet-4-v1%3A0/invoke-with-response-stream');
  expect(JSON.parse(upstream.body)).toEqual({
    anthropic_version: 'bedrock-2023-05-31',
    max_tokens: 10,
    messages: body.messages,
    anthropic_beta: ['interleaved-thinking-2025-05-14', 'tool-search-tool-2025-10-19'],
  });
  expect(translator.request(body, context({ model: 'm' })).path).toBe('/model/m/invoke');
});

test("AWS Anthropic streams: Bedrock's base64 event frames become Anthropic's server-sent events", () => {
  const translator = awsAnthropicMessagesTranslator('bedrock-2023-05-31');
  const events = [
    { type: 'message_start', message: { id: 'm', usage: { input_tokens: 9, output_tokens: 1 } } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
    { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 3 } },
  ];
  const frames = Buffer.concat(
    events.map((event) =>
      encodeEventStreamMessage(
        { ':event-type': 'chunk', ':content-type': 'application/json', ':message-type': 'event' },
        Buffer.from(JSON.stringify({ bytes: Buffer.from(JSON.stringify(event)).toString('base64') })),
      ),
    ),
  );
  const stream = translator.stream(context({ stream: true }));
  let out = '';
  for (let at = 0; at < frames.length; at += 5) out += stream.push(frames.subarray(at, at + 5));
  out += stream.end();
  expect(out).toBe(
    events.map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join(''),
  );
  expect(stream.usage()).toMatchObject({ inputTokens: 9, outputTokens: 3 });
  expect(
    JSON.parse(
      translator.error(429, Buffer.from('{"message":"Too many tokens"}'), {
        'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/',
      }),
    ),
  ).toEqual({ type: 'error', error: { type: 'ThrottlingException', message: 'Too many tokens' } });
});
