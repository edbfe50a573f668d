// Priority fallback through a real Envoy: the router filter names the model, Envoy picks a backend by priority
// (one cluster, one locality per backend, the backend named in the endpoint metadata) and retries the next
// priority when the first fails; the ext_proc upstream filter on that cluster translates every attempt for the
// backend Envoy picked, with that backend's schema, credentials and model override. The client gets the
// answer of the backend that served it, in its own API's shape; the router's upstream log has a line per attempt.
import { createReadStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from 'vitest';
import { upstreamExtProcFilter } from '../../backends/envoy/ai-gateway.ts';
import {
  BACKEND_METADATA_KEY,
  BACKEND_METADATA_NAMESPACE,
} from '../../dataplane/extproc/fallback-handoff.ts';
import { TYPE_URL } from '../../protos/index.ts';
import { type Envoy, freePort } from '../harness/envoy/index.ts';
import {
  httpListener,
  httpProtocolOptions,
  jsonFileLog,
  NO_AI_ROUTE,
  ROUTER_FILTER,
  routerExtProcFilter,
  staticCluster,
} from './envoy-resources.ts';
import { type EnvoyWithExtProc, envoyJsonLines, startEnvoyWithExtProc } from './envoy-with-extproc.ts';
import {
  chatCompletion,
  type FakeProvider,
  startFakeAnthropic,
  startFakeAzure,
  startFakeOpenAI,
  TRANSCRIPTION_USAGE,
} from './fake-providers.ts';
import { upstreamForm } from './upstream-form.ts';

const UPSTREAM_CODEC = 'type.googleapis.com/envoy.extensions.filters.http.upstream_codec.v3.UpstreamCodec';
const BACKEND_METADATA = `%UPSTREAM_METADATA(["${BACKEND_METADATA_NAMESPACE}","${BACKEND_METADATA_KEY}"])%`;

const configYaml = `
llmRequestCosts: [{ metadataKey: llm_total_token, type: TotalToken }]
rules:
  - models: [smart]
    backends: [{ name: primary, priority: 0 }, { name: secondary, priority: 1 }]
  - models: [smart-unreachable]
    backends: [{ name: primary, priority: 0 }, { name: secondary, priority: 1 }]
  - models: [whisper]
    backends: [{ name: voice-primary, priority: 0 }, { name: voice-secondary, priority: 1 }]
backends:
  - name: primary
    schema: Anthropic
    modelNameOverride: claude-3-5-haiku-20241022
    auth: { anthropicAPIKey: { key: sk-ant-primary } }
  - name: secondary
    schema: OpenAI
    modelNameOverride: gpt-4o
    auth: { apiKey: { key: sk-openai-secondary } }
  - name: voice-primary
    schema: OpenAI
    modelNameOverride: whisper-1
    auth: { apiKey: { key: sk-voice-primary } }
  - name: voice-secondary
    schema: OpenAI
    modelNameOverride: gpt-4o-transcribe
    auth: { apiKey: { key: sk-openai-secondary } }
`;

let plane: EnvoyWithExtProc | undefined;
let envoy: Envoy | undefined;
let primary: FakeProvider;
let secondary: FakeProvider;
/** The primary of the uploads' rule (an OpenAI-compatible API); its secondary is `secondary`. */
let voice: FakeProvider;
let openai: OpenAI;
let anthropic: Anthropic;
let accessLog: string;
let upstreamLog: string;
/** The port nothing listens on, where the primary of `smart-unreachable` is said to be. */
let unreachable: number;

/** `unreachablePort`: where the primary of `smart-unreachable` is said to be (nothing listens there). */
function resources(
  listenerPort: number,
  extProcPort: number,
  unreachablePort: number,
): Record<string, Record<string, unknown>> {
  const endpoint = (port: number, backend: string, priority: number) => ({
    priority,
    lbEndpoints: [
      {
        endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: port } } },
        metadata: { filterMetadata: { [BACKEND_METADATA_NAMESPACE]: { [BACKEND_METADATA_KEY]: backend } } },
      },
    ],
  });
  // The model's route: retries through the priorities; the router filter learns which backend answered (and
  // translates that backend's response) from a response header.
  const fallbackRoute = (model: string) => ({
    match: { prefix: '/', headers: [{ name: 'x-ai-eg-model', stringMatch: { exact: model } }] },
    route: {
      cluster: model,
      timeout: '30s',
      retryPolicy: {
        retryOn: '5xx,reset,connect-failure,retriable-status-codes',
        retriableStatusCodes: [429],
        numRetries: 1,
        retryPriority: {
          name: 'envoy.retry_priorities.previous_priorities',
          typedConfig: {
            '@type':
              'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig',
            updateFrequency: 1,
          },
        },
      },
    },
    responseHeadersToAdd: [{ header: { key: 'x-ai-eg-backend', value: BACKEND_METADATA } }],
  });
  // One locality per backend at its priority, each endpoint naming its backend; the upstream ext_proc filter.
  const fallbackCluster = (name: string, primaryPort: number, backends = ['primary', 'secondary']) => ({
    name,
    type: 'STATIC',
    connectTimeout: '2s',
    loadAssignment: {
      clusterName: name,
      endpoints: [endpoint(primaryPort, backends[0]!, 0), endpoint(secondary.port, backends[1]!, 1)],
    },
    ...httpProtocolOptions({
      explicitHttpConfig: { httpProtocolOptions: {} },
      httpFilters: [
        upstreamExtProcFilter('extproc'),
        { name: 'envoy.filters.http.upstream_codec', typedConfig: { '@type': UPSTREAM_CODEC } },
      ],
    }),
  });
  return {
    [TYPE_URL.cluster]: {
      extproc: staticCluster('extproc', extProcPort, true),
      smart: fallbackCluster('smart', primary.port),
      'smart-unreachable': fallbackCluster('smart-unreachable', unreachablePort),
      whisper: fallbackCluster('whisper', voice.port, ['voice-primary', 'voice-secondary']),
    },
    [TYPE_URL.listener]: {
      fallback: httpListener({
        name: 'fallback',
        port: listenerPort,
        routeConfigName: 'fallback-routes',
        accessLog: [
          jsonFileLog(accessLog, {
            case: '%REQ(X-TEST-CASE)%',
            path: '%REQ(:PATH)%',
            status: '%RESPONSE_CODE%',
            attempts: '%UPSTREAM_REQUEST_ATTEMPT_COUNT%',
            total_tokens: '%DYNAMIC_METADATA(io.envoy.ai_gateway:llm_total_token)%',
          }),
        ],
        httpFilters: [
          routerExtProcFilter('extproc'),
          {
            ...ROUTER_FILTER,
            typedConfig: {
              ...ROUTER_FILTER.typedConfig,
              // One line per attempt, written when the attempt ends.
              upstreamLog: [
                jsonFileLog(upstreamLog, {
                  case: '%REQ(X-TEST-CASE)%',
                  upstream_host: '%UPSTREAM_HOST%',
                  backend: `%UPSTREAM_METADATA(${BACKEND_METADATA_NAMESPACE}:${BACKEND_METADATA_KEY})%`,
                  status: '%RESPONSE_CODE%',
                  path: '%REQ(:PATH)%',
                }),
              ],
            },
          },
        ],
      }),
    },
    [TYPE_URL.routeConfiguration]: {
      'fallback-routes': {
        name: 'fallback-routes',
        virtualHosts: [
          {
            name: 'ai',
            domains: ['*'],
            routes: [
              fallbackRoute('smart'),
              fallbackRoute('smart-unreachable'),
              fallbackRoute('whisper'),
              NO_AI_ROUTE,
            ],
          },
        ],
      },
    },
  };
}

beforeAll(async () => {
  [primary, secondary, voice] = await Promise.all([
    startFakeAnthropic(),
    startFakeOpenAI(),
    startFakeAzure(),
  ]);
  const [port, unreachablePort] = [await freePort(), await freePort()];
  unreachable = unreachablePort;
  plane = await startEnvoyWithExtProc({
    name: 'fallback',
    config: configYaml,
    poolSizes: [32],
    resources: ({ dir, servicePorts }) => {
      accessLog = join(dir, 'access.log');
      upstreamLog = join(dir, 'upstream.log');
      return resources(port, servicePorts[0]!, unreachablePort);
    },
    ready: [{ port, models: 3 }],
  });
  envoy = plane.envoy;
  openai = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'client-key', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: `http://127.0.0.1:${port}`, apiKey: 'client-key', maxRetries: 0 });
});

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => console.error(`Envoy log:\n${envoy?.log(80)}`));
});

afterAll(async () => {
  await plane?.stop();
  await Promise.all([primary?.close(), secondary?.close(), voice?.close()]);
});

/** The JSON lines a log has for one test case (a header the test sends), once there are `count` of them. */
async function logLines(path: string, testCase: string, count: number): Promise<Record<string, unknown>[]> {
  return vi.waitFor(
    async () => {
      const lines = (await envoyJsonLines(envoy!, path)).filter((line) => line.case === testCase);
      expect(lines.length).toBe(count);
      return lines.map(({ case: _case, ...rest }) => rest);
    },
    { timeout: 30_000, interval: 300 },
  );
}

const request = { model: 'smart', messages: [{ role: 'user' as const, content: 'Weather in Paris?' }] };

describe('priority fallback', () => {
  test('the primary answers: translated for it, the secondary never called', async () => {
    const calls = secondary.received.length;
    const completion = await openai.chat.completions.create(request);
    expect(completion).toMatchObject({
      id: 'msg_fake_1',
      model: 'smart',
      choices: [{ message: { content: 'Let me look that up.' }, finish_reason: 'tool_calls' }],
    });
    expect(secondary.received.length).toBe(calls);
    const seen = primary.received.at(-1)!;
    expect(seen.path).toBe('/v1/messages');
    expect(seen.headers['x-api-key']).toBe('sk-ant-primary');
    expect(seen.headers.authorization).toBeUndefined();
    expect(JSON.parse(seen.body)).toEqual({
      model: 'claude-3-5-haiku-20241022',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] }],
      max_tokens: 4096,
    });
  });

  test("the primary answers 503: the client gets the secondary's answer in its own schema; both attempts are logged", async () => {
    primary.failNext({
      status: 503,
      body: '{"type":"error","error":{"type":"overloaded_error","message":"busy"}}',
    });
    const completion = await openai.chat.completions.create(request, {
      headers: { 'x-test-case': 'fallback-503' },
    });
    // The OpenAI secondary's own completion, passed through to the OpenAI client.
    expect(completion).toEqual(chatCompletion('gpt-4o'));
    // The second attempt was translated for the secondary, from the client's request, with its own key only.
    const seen = secondary.received.at(-1)!;
    expect(seen.path).toBe('/v1/chat/completions');
    expect(seen.headers.authorization).toBe('Bearer sk-openai-secondary');
    expect(seen.headers['x-api-key']).toBeUndefined();
    expect(seen.headers['anthropic-version']).toBeUndefined();
    expect(seen.headers['content-length']).toBe(String(Buffer.byteLength(seen.body)));
    expect(JSON.parse(seen.body)).toEqual({ ...request, model: 'gpt-4o' });
    expect(await logLines(upstreamLog, 'fallback-503', 2)).toEqual([
      { upstream_host: `127.0.0.1:${primary.port}`, backend: 'primary', status: 503, path: '/v1/messages' },
      {
        upstream_host: `127.0.0.1:${secondary.port}`,
        backend: 'secondary',
        status: 200,
        path: '/v1/chat/completions',
      },
    ]);
    expect(await logLines(accessLog, 'fallback-503', 1)).toEqual([
      { path: '/v1/chat/completions', status: 200, attempts: 2, total_tokens: 34 },
    ]);
  });

  test('a 429 falls back too; an Anthropic client gets the OpenAI secondary’s answer as an Anthropic message', async () => {
    primary.failNext({
      status: 429,
      body: '{"type":"error","error":{"type":"rate_limit_error","message":"slow"}}',
    });
    const message = await anthropic.messages.create({ ...request, max_tokens: 50 });
    expect(message).toEqual({
      id: 'chatcmpl-fake-1',
      type: 'message',
      role: 'assistant',
      model: 'smart',
      content: [
        { type: 'text', text: 'Let me look that up.' },
        { type: 'tool_use', id: 'call_fake_1', name: 'get_weather', input: { city: 'Paris' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 21, output_tokens: 13 },
    });
    expect(JSON.parse(secondary.received.at(-1)!.body)).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
      max_completion_tokens: 50,
    });
    // The Anthropic client's own request went to the Anthropic primary unchanged but for the model.
    expect(JSON.parse(primary.received.at(-1)!.body)).toEqual({
      ...request,
      max_tokens: 50,
      model: 'claude-3-5-haiku-20241022',
    });
  });

  test("the primary cannot be reached: the secondary's answer, both attempts logged", async () => {
    const completion = await openai.chat.completions.create(
      { ...request, model: 'smart-unreachable' },
      { headers: { 'x-test-case': 'connect-failure' } },
    );
    expect(completion).toEqual(chatCompletion('gpt-4o'));
    expect(JSON.parse(secondary.received.at(-1)!.body)).toEqual({ ...request, model: 'gpt-4o' });
    const attempts = await logLines(upstreamLog, 'connect-failure', 2);
    expect(attempts.map((line) => [line.upstream_host, line.backend, line.status])).toEqual([
      [`127.0.0.1:${unreachable}`, 'primary', 0],
      [`127.0.0.1:${secondary.port}`, 'secondary', 200],
    ]);
    expect(await logLines(accessLog, 'connect-failure', 1)).toEqual([
      { path: '/v1/chat/completions', status: 200, attempts: 2, total_tokens: 34 },
    ]);
  });

  test('a stream falls back as well', async () => {
    primary.failNext({ status: 503, body: 'upstream overloaded' });
    const stream = await openai.chat.completions.create({ ...request, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Sunny in Paris.');
    expect(JSON.parse(secondary.received.at(-1)!.body)).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  test("an upload falls back: the secondary gets the client's form byte for byte, with its own model", async () => {
    const recording = join(plane!.dir, 'hello.wav');
    // A WAV header and 200 KB of samples: binary, several HTTP/2 frames.
    const audio = Buffer.concat([
      Buffer.from('RIFF\0\0\0\0WAVEfmt '),
      Buffer.from(Uint8Array.from({ length: 200_000 }, (_, i) => (i * 7) % 256)),
    ]);
    await writeFile(recording, audio);
    voice.failNext({ status: 429, body: '{"error":{"message":"slow down","type":"rate_limit_error"}}' });
    const before = [voice.received.length, secondary.received.length];
    const transcription = await openai.audio.transcriptions.create(
      { file: createReadStream(recording), model: 'whisper', language: 'en' },
      { headers: { 'x-test-case': 'upload-429' } },
    );
    expect(transcription).toEqual({ text: 'Hello there.', usage: TRANSCRIPTION_USAGE });
    expect([voice.received.length, secondary.received.length]).toEqual([before[0]! + 1, before[1]! + 1]);
    const first = voice.received.at(-1)!;
    const second = secondary.received.at(-1)!;
    expect([first.path, second.path]).toEqual(['/v1/audio/transcriptions', '/v1/audio/transcriptions']);
    expect(first.headers.authorization).toBe('Bearer sk-voice-primary');
    expect(second.headers.authorization).toBe('Bearer sk-openai-secondary');
    expect(second.headers['content-length']).toBe(String(second.raw.length));
    expect(await upstreamForm(second)).toEqual({
      fields: { model: 'gpt-4o-transcribe', language: 'en' },
      file: { name: 'hello.wav', type: expect.any(String), bytes: audio },
    });
    expect((await upstreamForm(first)).fields.model).toBe('whisper-1');
    // The same form (boundary, parts, file) but for the model field's value.
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
    expect(second.raw.toString('latin1')).toBe(
      first.raw.toString('latin1').replace('\r\n\r\nwhisper-1\r\n', '\r\n\r\ngpt-4o-transcribe\r\n'),
    );
    expect(await logLines(upstreamLog, 'upload-429', 2)).toEqual([
      {
        upstream_host: `127.0.0.1:${voice.port}`,
        backend: 'voice-primary',
        status: 429,
        path: '/v1/audio/transcriptions',
      },
      {
        upstream_host: `127.0.0.1:${secondary.port}`,
        backend: 'voice-secondary',
        status: 200,
        path: '/v1/audio/transcriptions',
      },
    ]);
  });

  test("every backend failing: the last one's error, in the client's error shape", async () => {
    primary.failNext({
      status: 503,
      body: '{"type":"error","error":{"type":"overloaded_error","message":"busy"}}',
    });
    secondary.failNext({
      status: 503,
      body: '{"error":{"message":"also busy","type":"server_error","param":null,"code":null}}',
    });
    const error = await anthropic.messages.create({ ...request, max_tokens: 5 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toEqual({
      type: 'error',
      error: { type: 'server_error', message: 'also busy' },
    });
    // Each backend got the client's request translated for it.
    expect(JSON.parse(primary.received.at(-1)!.body)).toMatchObject({
      model: 'claude-3-5-haiku-20241022',
      max_tokens: 5,
    });
    expect(JSON.parse(secondary.received.at(-1)!.body)).toMatchObject({
      model: 'gpt-4o',
      max_completion_tokens: 5,
    });
  });
});
