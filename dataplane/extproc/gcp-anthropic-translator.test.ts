import { expect, test } from 'vitest';
import {
  anthropicMessagesTranslator,
  gcpAnthropicMessagesTranslator,
} from './anthropic-messages-translator.ts';
import { gcpAnthropicTranslator } from './gcp-anthropic-translator.ts';
import { context } from './testdata/fixtures.ts';

const location = { project: 'proj-1', region: 'europe-west1' };

test('OpenAI chat → Vertex Anthropic: rawPredict path, Vertex anthropic_version, no model in the body', () => {
  const translator = gcpAnthropicTranslator(location);
  const upstream = translator.request(
    { model: 'gpt-client', messages: [{ role: 'user', content: 'hi' }] },
    context({ model: 'claude-3-5-haiku@20241022' }),
  );
  expect(upstream.path).toBe(
    '/v1/projects/proj-1/locations/europe-west1/publishers/anthropic/models/claude-3-5-haiku@20241022:rawPredict',
  );
  expect(JSON.parse(upstream.body)).toEqual({
    anthropic_version: 'vertex-2023-10-16',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }],
    max_tokens: 4096,
  });
  expect(
    translator.request({ model: 'x', messages: [], stream: true }, context({ model: 'c', stream: true }))
      .path,
  ).toMatch(/models\/c:streamRawPredict$/);
});

test('Anthropic clients pass through to Anthropic and Vertex Anthropic with the model overridden', () => {
  const body = { model: 'claude-client', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
  const direct = anthropicMessagesTranslator().request(body, context({ model: 'claude-3-haiku' }));
  expect(direct).toEqual({
    path: '/v1/messages',
    body: JSON.stringify({ ...body, model: 'claude-3-haiku' }),
    headers: { 'anthropic-version': '2023-06-01' },
  });
  const vertex = gcpAnthropicMessagesTranslator(location).request(
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
  expect(stream.usage()).toEqual({ inputTokens: 7, cachedInputTokens: 0, outputTokens: 5, totalTokens: 12 });
  expect(JSON.parse(translator.error(500, Buffer.from('boom'), {}))).toEqual({
    type: 'error',
    error: { type: 'api_error', message: 'boom' },
  });
});
