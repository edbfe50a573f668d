// Every client API × upstream schema pair through a real Envoy and our ext_proc service, driven by the official
// SDKs (openai, @anthropic-ai/sdk): the fake upstream records the exact request it got, and the client's view
// of the answer is compared field by field — whole and streamed, with tools, and with the upstream's errors.
import { createReadStream } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { freePort } from '../harness/envoy/index.ts';
import { collectChat } from './chat-stream.ts';
import { envoyAiResources } from './envoy-resources.ts';
import { type EnvoyWithExtProc, startEnvoyWithExtProc } from './envoy-with-extproc.ts';
import {
  anthropicEvents,
  anthropicMessage,
  CANONICAL,
  chatCompletion,
  type FakeProvider,
  type ReceivedRequest,
  SPEECH_AUDIO,
  SPEECH_EVENTS,
  startFakeAnthropic,
  startFakeAzure,
  startFakeBedrock,
  startFakeCohere,
  startFakeOpenAI,
  startFakeVertex,
  TRANSCRIPTION_EVENTS,
  TRANSCRIPTION_USAGE,
} from './fake-providers.ts';
import { verifySigV4 } from './sigv4-verifier.ts';
import { upstreamForm } from './upstream-form.ts';

const AWS_SECRET = 'matrix-secret/with+symbols';
const SCHEMAS = [
  'openai',
  'azure',
  'anthropic',
  'gcp-anthropic',
  'aws-anthropic',
  'bedrock',
  'vertex',
] as const;
type Schema = (typeof SCHEMAS)[number];

/** The upstream model each backend's modelNameOverride names. */
const UPSTREAM_MODEL: Record<Schema, string> = {
  openai: 'gpt-4o',
  azure: 'gpt-4o-deployment',
  anthropic: 'claude-3-5-haiku-20241022',
  'gcp-anthropic': 'claude-3-5-haiku@20241022',
  'aws-anthropic': 'anthropic.claude-3-5-haiku-20241022-v1:0',
  bedrock: 'amazon.nova-pro-v1:0',
  vertex: 'gemini-2.0-flash',
};

const configYaml = `
llmRequestCosts: [{ metadataKey: llm_total_token, type: TotalToken }]
rules:
${SCHEMAS.map((schema) => `  - { models: [chat-${schema}], backends: [${schema}] }`).join('\n')}
  - { models: [emb-openai], backends: [openai-emb] }
  - { models: [emb-azure], backends: [azure-emb] }
  - { models: [emb-vertex], backends: [vertex-emb] }
  - { models: [emb-bedrock], backends: [bedrock-emb] }
  - { models: [rerank-cohere], backends: [cohere] }
  - { models: [creds-per-request], backends: [bedrock-per-request] }
  - { models: [creds-lost], backends: [anthropic-lost] }
backends:
  - { name: openai, schema: OpenAI, modelNameOverride: gpt-4o, auth: { apiKey: { key: sk-openai-upstream } } }
  - { name: azure, schema: { name: AzureOpenAI, version: 2024-10-21 }, modelNameOverride: gpt-4o-deployment, auth: { azureAPIKey: { key: azure-upstream } } }
  - { name: anthropic, schema: Anthropic, modelNameOverride: ${UPSTREAM_MODEL.anthropic}, auth: { anthropicAPIKey: { key: sk-ant-upstream } } }
  - name: gcp-anthropic
    schema: GCPAnthropic
    modelNameOverride: "${UPSTREAM_MODEL['gcp-anthropic']}"
    auth: { gcp: { accessToken: ya29.matrix, projectName: proj-m, region: europe-west1 } }
  - name: aws-anthropic
    schema: AWSAnthropic
    modelNameOverride: "${UPSTREAM_MODEL['aws-anthropic']}"
    host: bedrock-runtime.us-east-1.amazonaws.com
    auth: { aws: { region: us-east-1, accessKeyId: AKIDMATRIX, secretAccessKey: "${AWS_SECRET}" } }
  - name: bedrock
    schema: AWSBedrock
    modelNameOverride: "${UPSTREAM_MODEL.bedrock}"
    host: bedrock-runtime.us-east-1.amazonaws.com
    auth: { aws: { region: us-east-1, accessKeyId: AKIDMATRIX, secretAccessKey: "${AWS_SECRET}" } }
  - name: vertex
    schema: GCPVertexAI
    modelNameOverride: ${UPSTREAM_MODEL.vertex}
    auth: { gcp: { accessToken: ya29.matrix, projectName: proj-m, region: europe-west1 } }
  - { name: openai-emb, schema: OpenAI, modelNameOverride: text-embedding-3-small, auth: { apiKey: { key: sk-openai-upstream } } }
  - { name: azure-emb, schema: { name: AzureOpenAI, version: 2024-10-21 }, modelNameOverride: ada-deployment, auth: { azureAPIKey: { key: azure-upstream } } }
  - name: vertex-emb
    schema: GCPVertexAI
    modelNameOverride: text-embedding-005
    auth: { gcp: { accessToken: ya29.matrix, projectName: proj-m, region: europe-west1 } }
  - name: bedrock-emb
    schema: AWSBedrock
    modelNameOverride: "amazon.titan-embed-text-v2:0"
    host: bedrock-runtime.us-east-1.amazonaws.com
    auth: { aws: { region: us-east-1, accessKeyId: AKIDMATRIX, secretAccessKey: "${AWS_SECRET}" } }
  - { name: cohere, schema: { name: Cohere, version: v2 }, modelNameOverride: rerank-v3.5, auth: { apiKey: { key: co-upstream } } }
  # No credentials of its own: each request brings them (x-aigw-aws-* headers, from a trusted filter).
  - name: bedrock-per-request
    schema: AWSBedrock
    modelNameOverride: "${UPSTREAM_MODEL.bedrock}"
    host: bedrock-runtime.us-east-1.amazonaws.com
    auth: { aws: { region: us-east-1 }, override: {} }
  # What the controller writes when a BackendSecurityPolicy's Secret cannot be read.
  - { name: anthropic-lost, schema: Anthropic, auth: { unavailable: "Secret ai/anthropic-key not found" } }
`;

/** The fake each backend reaches. */
const FAKE_OF: Record<
  Schema | `${'openai' | 'azure' | 'vertex' | 'bedrock'}-emb`,
  'openai' | 'azure' | 'anthropic' | 'vertex' | 'bedrock'
> = {
  openai: 'openai',
  azure: 'azure',
  anthropic: 'anthropic',
  'gcp-anthropic': 'vertex',
  'aws-anthropic': 'bedrock',
  bedrock: 'bedrock',
  vertex: 'vertex',
  'openai-emb': 'openai',
  'azure-emb': 'azure',
  'vertex-emb': 'vertex',
  'bedrock-emb': 'bedrock',
};

let plane: EnvoyWithExtProc | undefined;
let fakes: Record<'openai' | 'azure' | 'anthropic' | 'vertex' | 'bedrock' | 'cohere', FakeProvider>;
let openai: OpenAI;
let anthropic: Anthropic;
let port: number;

beforeAll(async () => {
  const [openaiFake, azureFake, anthropicFake, vertexFake, bedrockFake, cohereFake] = await Promise.all([
    startFakeOpenAI(),
    startFakeAzure(),
    startFakeAnthropic(),
    startFakeVertex(),
    startFakeBedrock(),
    startFakeCohere(),
  ]);
  fakes = {
    openai: openaiFake,
    azure: azureFake,
    anthropic: anthropicFake,
    vertex: vertexFake,
    bedrock: bedrockFake,
    cohere: cohereFake,
  };
  port = await freePort();
  plane = await startEnvoyWithExtProc({
    name: 'matrix',
    config: configYaml,
    poolSizes: [64],
    resources: ({ dir, servicePorts }) =>
      envoyAiResources({
        name: 'matrix',
        listenerPort: port,
        extProcPort: servicePorts[0]!,
        upstreams: Object.fromEntries(Object.entries(fakes).map(([name, fake]) => [name, fake.port])),
        routes: [
          ...Object.entries(FAKE_OF).map(([backend, cluster]) => ({
            model: backend.endsWith('-emb') ? `emb-${backend.slice(0, -4)}` : `chat-${backend}`,
            cluster,
          })),
          { model: 'rerank-cohere', cluster: 'cohere' },
          { model: 'creds-per-request', cluster: 'bedrock' },
          { model: 'creds-lost', cluster: 'anthropic' },
        ],
        accessLogPath: join(dir, 'access.log'),
      }),
    ready: [{ port, models: Object.keys(FAKE_OF).length + 3 }],
  });
  openai = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'client-key', maxRetries: 0 });
  anthropic = new Anthropic({
    baseURL: `http://127.0.0.1:${port}/anthropic`,
    apiKey: 'client-key',
    maxRetries: 0,
  });
});

beforeEach(({ onTestFailed }) => {
  onTestFailed(() => console.error(`Envoy log:\n${plane?.envoy.log(60)}`));
});

afterAll(async () => {
  await plane?.stop();
  await Promise.all(Object.values(fakes ?? {}).map((fake) => fake.close()));
});

const fakeOf = (schema: keyof typeof FAKE_OF) => fakes[FAKE_OF[schema]];
const lastRequest = (schema: keyof typeof FAKE_OF): ReceivedRequest => fakeOf(schema).received.at(-1)!;

interface ToolSpec {
  readonly name: string;
  readonly description: string;
  readonly parameters: { type: string; properties: Record<string, unknown> };
}
const weather: ToolSpec = {
  name: 'get_weather',
  description: 'Weather of a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } } },
};
const time: ToolSpec = {
  name: 'get_time',
  description: 'Time in a zone',
  parameters: { type: 'object', properties: { tz: { type: 'string' } } },
};
const openAITool = (tool: ToolSpec) => ({ type: 'function' as const, function: tool });
const anthropicTool = (tool: ToolSpec) => ({
  name: tool.name,
  description: tool.description,
  input_schema: tool.parameters as Anthropic.Tool.InputSchema,
});

/** The path each schema's upstream is called at for a chat request. */
function chatPath(schema: Schema, stream: boolean): string {
  const model = encodeURIComponent(UPSTREAM_MODEL[schema]);
  switch (schema) {
    case 'openai':
      return '/v1/chat/completions';
    case 'azure':
      return `/openai/deployments/${model}/chat/completions?api-version=2024-10-21`;
    case 'anthropic':
      return '/v1/messages';
    case 'gcp-anthropic':
      return `/v1/projects/proj-m/locations/europe-west1/publishers/anthropic/models/${UPSTREAM_MODEL[schema]}:${stream ? 'streamRawPredict' : 'rawPredict'}`;
    case 'aws-anthropic':
      return `/model/${model}/${stream ? 'invoke-with-response-stream' : 'invoke'}`;
    case 'bedrock':
      return `/model/${model}/${stream ? 'converse-stream' : 'converse'}`;
    case 'vertex':
      return `/v1/projects/proj-m/locations/europe-west1/publishers/google/models/${UPSTREAM_MODEL[schema]}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`;
  }
}

/** The provider's credentials, never the client's. */
function expectUpstreamAuth(schema: keyof typeof FAKE_OF, seen: ReceivedRequest): void {
  const fake = FAKE_OF[schema];
  if (fake === 'openai') expect(seen.headers.authorization).toBe('Bearer sk-openai-upstream');
  if (fake === 'azure') expect(seen.headers['api-key']).toBe('azure-upstream');
  if (fake === 'anthropic') expect(seen.headers['x-api-key']).toBe('sk-ant-upstream');
  if (fake === 'vertex') expect(seen.headers.authorization).toBe('Bearer ya29.matrix');
  if (fake === 'bedrock') {
    expect(seen.headers.host).toBe('bedrock-runtime.us-east-1.amazonaws.com');
    expect(verifySigV4(seen, AWS_SECRET)).toEqual({
      accessKeyId: 'AKIDMATRIX',
      region: 'us-east-1',
      service: 'bedrock',
    });
  }
  if (fake !== 'openai' && fake !== 'vertex' && fake !== 'bedrock')
    expect(seen.headers.authorization).toBeUndefined();
  if (fake !== 'anthropic') expect(seen.headers['x-api-key']).toBeUndefined();
  expect(seen.headers['content-length']).toBe(String(seen.raw.length));
}

/** The upstream body of the whole tools request, from the OpenAI client (the translated schemas: from either). */
function toolsBodyFromOpenAI(schema: Schema): unknown {
  const anthropicBody = {
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] }],
    system: [{ type: 'text', text: 'Be brief.' }],
    max_tokens: 100,
    tools: [anthropicTool(weather)],
  };
  switch (schema) {
    case 'openai':
    case 'azure':
      return {
        model: UPSTREAM_MODEL[schema],
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Weather in Paris?' },
        ],
        tools: [openAITool(weather)],
        max_tokens: 100,
      };
    case 'anthropic':
      return { model: UPSTREAM_MODEL.anthropic, ...anthropicBody };
    case 'gcp-anthropic':
      return { anthropic_version: 'vertex-2023-10-16', ...anthropicBody };
    case 'aws-anthropic':
      return { anthropic_version: 'bedrock-2023-05-31', ...anthropicBody };
    case 'bedrock':
      return converseToolsBody;
    case 'vertex':
      return geminiToolsBody;
  }
}

const converseToolsBody = {
  messages: [{ role: 'user', content: [{ text: 'Weather in Paris?' }] }],
  system: [{ text: 'Be brief.' }],
  inferenceConfig: { maxTokens: 100 },
  toolConfig: {
    tools: [
      {
        toolSpec: {
          name: 'get_weather',
          description: weather.description,
          inputSchema: { json: weather.parameters },
        },
      },
    ],
  },
};
const geminiToolsBody = {
  contents: [{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }],
  systemInstruction: { parts: [{ text: 'Be brief.' }] },
  generationConfig: { maxOutputTokens: 100 },
  tools: [
    {
      functionDeclarations: [
        { name: 'get_weather', description: weather.description, parameters: weather.parameters },
      ],
    },
  ],
};

/** The same request from an Anthropic client. */
const anthropicToolsRequest = (model: string) => ({
  model,
  max_tokens: 100,
  system: 'Be brief.',
  messages: [{ role: 'user' as const, content: 'Weather in Paris?' }],
  tools: [anthropicTool(weather)],
});

function toolsBodyFromAnthropic(schema: Schema): unknown {
  const { model: _model, ...client } = anthropicToolsRequest(`chat-${schema}`);
  switch (schema) {
    case 'openai':
    case 'azure':
      return {
        model: UPSTREAM_MODEL[schema],
        messages: [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Weather in Paris?' },
        ],
        max_completion_tokens: 100,
        tools: [openAITool(weather)],
      };
    case 'anthropic':
      return { ...client, model: UPSTREAM_MODEL.anthropic };
    case 'gcp-anthropic':
      return { anthropic_version: 'vertex-2023-10-16', ...client };
    case 'aws-anthropic':
      return { anthropic_version: 'bedrock-2023-05-31', ...client };
    case 'bedrock':
      return converseToolsBody;
    case 'vertex':
      return geminiToolsBody;
  }
}

/** Ids the client sees: the upstream's own, or made from Envoy's request id where the upstream gives none. */
function ids(schema: Schema, seen: ReceivedRequest, stream: boolean) {
  const requestId = seen.headers['x-request-id']!;
  switch (FAKE_OF[schema]) {
    case 'openai':
    case 'azure':
      return stream
        ? { message: 'chatcmpl-fake-2', tools: ['call_fake_2', 'call_fake_3'] }
        : { message: 'chatcmpl-fake-1', tools: ['call_fake_1'] };
    case 'anthropic':
      return stream
        ? { message: 'msg_fake_2', tools: ['toolu_fake_2', 'toolu_fake_3'] }
        : { message: 'msg_fake_1', tools: ['toolu_fake_1'] };
    case 'bedrock':
      if (schema === 'aws-anthropic')
        return stream
          ? { message: 'msg_fake_2', tools: ['toolu_fake_2', 'toolu_fake_3'] }
          : { message: 'msg_fake_1', tools: ['toolu_fake_1'] };
      return stream
        ? { message: requestId, tools: ['tooluse_fake_2', 'tooluse_fake_3'] }
        : { message: requestId, tools: ['tooluse_fake_1'] };
    case 'vertex':
      if (schema === 'gcp-anthropic')
        return stream
          ? { message: 'msg_fake_2', tools: ['toolu_fake_2', 'toolu_fake_3'] }
          : { message: 'msg_fake_1', tools: ['toolu_fake_1'] };
      return stream
        ? { message: 'vertex-resp-2', tools: [`call_${requestId}_0`, `call_${requestId}_1`] }
        : { message: 'vertex-resp-1', tools: [`call_${requestId}_0`] };
  }
}

/** The native 429 each fake answers with, and the type the client should see. */
const RATE_LIMITS: Record<
  'openai' | 'azure' | 'anthropic' | 'vertex' | 'bedrock',
  { body: string; headers?: Record<string, string>; type: string; message: string }
> = {
  openai: {
    body: '{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"rate_limit_exceeded"}}',
    type: 'requests',
    message: 'Rate limit reached for requests',
  },
  azure: {
    body: '{"error":{"message":"Rate limit reached for requests","type":"requests","param":null,"code":"429"}}',
    type: 'requests',
    message: 'Rate limit reached for requests',
  },
  anthropic: {
    body: '{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}',
    type: 'rate_limit_error',
    message: 'Number of request tokens has exceeded your per-minute rate limit',
  },
  vertex: {
    body: '{"error":{"code":429,"message":"Resource exhausted. Please try again later.","status":"RESOURCE_EXHAUSTED"}}',
    type: 'RESOURCE_EXHAUSTED',
    message: 'Resource exhausted. Please try again later.',
  },
  bedrock: {
    body: '{"message":"Too many requests, please wait before trying again."}',
    headers: {
      'x-amzn-errortype': 'ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/',
    },
    type: 'ThrottlingException',
    message: 'Too many requests, please wait before trying again.',
  },
};

/** Anthropic on Vertex answers errors in Anthropic's shape. */
function rateLimitOf(schema: Schema) {
  return schema === 'gcp-anthropic' ? RATE_LIMITS.anthropic : RATE_LIMITS[FAKE_OF[schema]];
}

describe.each(SCHEMAS)('OpenAI chat completions client → %s', (schema) => {
  const model = `chat-${schema}`;

  test('a whole completion with tools: exact upstream request, the answer field by field', async () => {
    const completion = await openai.chat.completions.create({
      model,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather in Paris?' },
      ],
      tools: [openAITool(weather)],
      max_tokens: 100,
    });
    const seen = lastRequest(schema);
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe(chatPath(schema, false));
    expect(JSON.parse(seen.body)).toEqual(toolsBodyFromOpenAI(schema));
    expect(seen.headers['x-ai-eg-model']).toBe(model);
    expectUpstreamAuth(schema, seen);
    const { message, tools } = ids(schema, seen, false);
    if (schema === 'openai' || schema === 'azure') {
      // Passed through as the provider wrote it.
      expect(completion).toEqual(chatCompletion(UPSTREAM_MODEL[schema]));
      return;
    }
    expect(completion).toEqual({
      id: message,
      object: 'chat.completion',
      created: expect.any(Number),
      model,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Let me look that up.',
            tool_calls: [
              {
                id: tools[0],
                type: 'function',
                function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
              },
            ],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 21, completion_tokens: 13, total_tokens: 34 },
    });
  });

  test('a stream with two tools: text, each tool with its own arguments, finish and the usage chunk', async () => {
    const stream = await openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [openAITool(weather), openAITool(time)],
      stream: true,
      stream_options: { include_usage: true },
    });
    const collected = await collectChat(stream);
    const seen = lastRequest(schema);
    expect(seen.path).toBe(chatPath(schema, true));
    expectUpstreamAuth(schema, seen);
    expect(seen.headers['accept-encoding']).toBeUndefined(); // streams are asked uncompressed
    const { message, tools } = ids(schema, seen, true);
    expect(collected).toEqual({
      content: 'Sunny in Paris.',
      finish: 'tool_calls',
      usage: { prompt_tokens: 17, completion_tokens: 11, total_tokens: 28 },
      calls: [
        { id: tools[0], name: 'get_weather', arguments: '{"city":"Lyon"}' },
        { id: tools[1], name: 'get_time', arguments: '{"tz":"CET"}' },
      ],
      chunkIds: [message],
    });
  });

  test("an upstream 429 reaches the SDK as RateLimitError with the upstream's error type", async () => {
    const limit = rateLimitOf(schema);
    fakeOf(schema).failNext({ status: 429, body: limit.body, headers: limit.headers });
    const error = await openai.chat.completions
      .create({ model, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect(error).toMatchObject({ status: 429, type: limit.type, message: `429 ${limit.message}` });
  });
});

describe.each(SCHEMAS)('Anthropic Messages client (/anthropic/v1/messages) → %s', (schema) => {
  const model = `chat-${schema}`;
  const passthrough = schema === 'anthropic' || schema === 'gcp-anthropic' || schema === 'aws-anthropic';
  const upstreamName: Partial<Record<Schema, string>> = {
    anthropic: UPSTREAM_MODEL.anthropic,
    'gcp-anthropic': 'claude-vertex',
    'aws-anthropic': 'claude-bedrock',
  };

  test('a whole message with tools: exact upstream request, the answer field by field', async () => {
    const message = await anthropic.messages.create(anthropicToolsRequest(model));
    const seen = lastRequest(schema);
    expect(seen.path).toBe(chatPath(schema, false));
    expect(JSON.parse(seen.body)).toEqual(toolsBodyFromAnthropic(schema));
    expectUpstreamAuth(schema, seen);
    if (passthrough) {
      expect(message).toEqual(anthropicMessage(upstreamName[schema]));
      return;
    }
    const { message: id, tools } = ids(schema, seen, false);
    expect(message).toEqual({
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [
        { type: 'text', text: 'Let me look that up.' },
        { type: 'tool_use', id: tools[0], name: 'get_weather', input: { city: 'Paris' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 21, output_tokens: 13 },
    });
  });

  test('a stream with two tools assembles, in the SDK, into the same message', async () => {
    const stream = anthropic.messages.stream({
      model,
      max_tokens: 100,
      messages: [{ role: 'user', content: 'Weather?' }],
      tools: [anthropicTool(weather), anthropicTool(time)],
    });
    const events: string[] = [];
    stream.on('streamEvent', (event) => events.push(event.type));
    const message = await stream.finalMessage();
    const seen = lastRequest(schema);
    expect(seen.path).toBe(chatPath(schema, true));
    expectUpstreamAuth(schema, seen);
    const { message: id, tools } = ids(schema, seen, true);
    expect(message).toMatchObject({
      id,
      type: 'message',
      role: 'assistant',
      model: passthrough ? upstreamName[schema] : model,
      content: [
        { type: 'text', text: 'Sunny in Paris.' },
        { type: 'tool_use', id: tools[0], name: 'get_weather', input: { city: 'Lyon' } },
        { type: 'tool_use', id: tools[1], name: 'get_time', input: { tz: 'CET' } },
      ],
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 17, output_tokens: 11 },
    });
    expect(events[0]).toBe('message_start');
    expect(events.slice(-2)).toEqual(['message_delta', 'message_stop']);
    if (passthrough) {
      // The provider's own events, in order (Bedrock's frames re-framed as server-sent events).
      expect(events).toEqual(anthropicEvents(upstreamName[schema]).map((event) => event.type));
    }
  });

  test("an upstream 429 reaches the SDK as RateLimitError in Anthropic's shape with the upstream's type", async () => {
    const limit = rateLimitOf(schema);
    fakeOf(schema).failNext({ status: 429, body: limit.body, headers: limit.headers });
    const error = await anthropic.messages
      .create({ model, max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toEqual({
      type: 'error',
      error: { type: limit.type, message: limit.message },
    });
  });
});

describe('Anthropic token counting (/anthropic/v1/messages/count_tokens)', () => {
  const counting = ['anthropic', 'gcp-anthropic', 'aws-anthropic', 'bedrock'] as const;
  const request = (model: string) => {
    const { max_tokens: _max, ...rest } = anthropicToolsRequest(model);
    return rest;
  };

  /** What each upstream is asked: Anthropic's body, Vertex's count-tokens model, Bedrock's CountTokens wrapper. */
  function countBody(schema: (typeof counting)[number]): unknown {
    const { model: _model, ...client } = request(`chat-${schema}`);
    switch (schema) {
      case 'anthropic':
        return { ...client, model: UPSTREAM_MODEL.anthropic };
      case 'gcp-anthropic':
        return { anthropic_version: 'vertex-2023-10-16', ...client, model: UPSTREAM_MODEL[schema] };
      case 'aws-anthropic':
      case 'bedrock':
        return {
          input: {
            invokeModel: {
              body: { anthropic_version: 'bedrock-2023-05-31', max_tokens: 1, ...client },
            },
          },
        };
    }
  }

  test.each(counting)('→ %s: exact upstream request, the count the SDK reads', async (schema) => {
    const counted = await anthropic.messages.countTokens(request(`chat-${schema}`));
    const seen = lastRequest(schema);
    expect(seen.method).toBe('POST');
    expect(seen.path).toBe(
      {
        anthropic: '/v1/messages/count_tokens',
        'gcp-anthropic':
          '/v1/projects/proj-m/locations/europe-west1/publishers/anthropic/models/count-tokens:rawPredict',
        'aws-anthropic': `/model/${encodeURIComponent(UPSTREAM_MODEL['aws-anthropic'])}/count-tokens`,
        bedrock: `/model/${encodeURIComponent(UPSTREAM_MODEL.bedrock)}/count-tokens`,
      }[schema],
    );
    const body = JSON.parse(seen.body) as { input?: { invokeModel: { body: string } } };
    if (body.input !== undefined)
      body.input.invokeModel.body = JSON.parse(
        Buffer.from(body.input.invokeModel.body, 'base64').toString('utf8'),
      ) as string;
    expect(body).toEqual(countBody(schema));
    expectUpstreamAuth(schema, seen);
    expect(counted).toEqual({ input_tokens: CANONICAL.countedTokens });
  });

  test("at /v1/messages/count_tokens too; an upstream error reaches the SDK in Anthropic's shape with its type", async () => {
    const bare = new Anthropic({ baseURL: `http://127.0.0.1:${port}`, apiKey: 'client-key', maxRetries: 0 });
    expect(await bare.messages.countTokens(request('chat-anthropic'))).toEqual({
      input_tokens: CANONICAL.countedTokens,
    });
    expect(lastRequest('anthropic').path).toBe('/v1/messages/count_tokens');
    const limit = RATE_LIMITS.bedrock;
    fakeOf('bedrock').failNext({ status: 429, body: limit.body, headers: limit.headers });
    const error = await bare.messages.countTokens(request('chat-bedrock')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toEqual({
      type: 'error',
      error: { type: limit.type, message: limit.message },
    });
  });

  test.each(['openai', 'azure', 'vertex'] as const)(
    "→ %s: no token counting there, refused with 422 in Anthropic's shape, the provider untouched",
    async (schema) => {
      const before = fakeOf(schema).received.length;
      const error = await anthropic.messages.countTokens(request(`chat-${schema}`)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Anthropic.UnprocessableEntityError);
      expect((error as InstanceType<typeof Anthropic.APIError>).error).toEqual({
        type: 'error',
        error: {
          type: 'invalid_request_error',
          message: `backend '${schema}' (${{ openai: 'OpenAI', azure: 'AzureOpenAI', vertex: 'GCPVertexAI' }[schema]}) does not serve this API`,
        },
      });
      expect(fakeOf(schema).received.length).toBe(before);
    },
  );
});

describe('embeddings', () => {
  const cases = [
    [
      'openai',
      '/v1/embeddings',
      { model: 'text-embedding-3-small', input: 'hello', encoding_format: 'base64' },
    ],
    [
      'azure',
      '/openai/deployments/ada-deployment/embeddings?api-version=2024-10-21',
      { model: 'ada-deployment', input: 'hello', encoding_format: 'base64' },
    ],
    [
      'vertex',
      '/v1/projects/proj-m/locations/europe-west1/publishers/google/models/text-embedding-005:predict',
      { instances: [{ content: 'hello' }], parameters: {} },
    ],
    ['bedrock', '/model/amazon.titan-embed-text-v2%3A0/invoke', { inputText: 'hello' }],
  ] as const;

  test.each(cases)(
    '→ %s: exact upstream request, the vectors the SDK decodes',
    async (schema, path, body) => {
      const backend = `${schema}-emb` as const;
      const embeddings = await openai.embeddings.create({ model: `emb-${schema}`, input: 'hello' });
      const seen = lastRequest(backend);
      expect(seen.path).toBe(path);
      expect(JSON.parse(seen.body)).toEqual(body);
      expectUpstreamAuth(backend, seen);
      expect(embeddings.data).toEqual([{ object: 'embedding', index: 0, embedding: [0.25, -0.5] }]);
      expect(embeddings.usage).toEqual({ prompt_tokens: 3, total_tokens: 3 });
    },
  );

  test.each(cases.map(([schema]) => schema))(
    "→ %s: an upstream 429 reaches the SDK as RateLimitError with the upstream's error type",
    async (schema) => {
      const limit = RATE_LIMITS[FAKE_OF[`${schema}-emb`]];
      fakeOf(`${schema}-emb`).failNext({ status: 429, body: limit.body, headers: limit.headers });
      const error = await openai.embeddings
        .create({ model: `emb-${schema}`, input: 'hello' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect(error).toMatchObject({ status: 429, type: limit.type, message: `429 ${limit.message}` });
    },
  );
});

describe('completions, Responses and image generation on OpenAI-schema backends', () => {
  test.each(['openai', 'azure'] as const)('→ %s: legacy completions pass through', async (schema) => {
    const completion = await openai.completions.create({
      model: `chat-${schema}`,
      prompt: 'Capital of France?',
    });
    const seen = lastRequest(schema);
    expect(seen.path).toBe(
      schema === 'openai'
        ? '/v1/completions'
        : '/openai/deployments/gpt-4o-deployment/completions?api-version=2024-10-21',
    );
    expect(JSON.parse(seen.body)).toEqual({ model: UPSTREAM_MODEL[schema], prompt: 'Capital of France?' });
    expect(completion.choices[0]?.text).toBe(' Paris.');
  });

  test.each(['openai', 'azure'] as const)('→ %s: the Responses API, whole and streamed', async (schema) => {
    const path = schema === 'openai' ? '/v1/responses' : '/openai/responses?api-version=2024-10-21';
    const response = await openai.responses.create({ model: `chat-${schema}`, input: 'Say hello' });
    expect(lastRequest(schema).path).toBe(path);
    expect(JSON.parse(lastRequest(schema).body)).toEqual({
      model: UPSTREAM_MODEL[schema],
      input: 'Say hello',
    });
    expectUpstreamAuth(schema, lastRequest(schema));
    expect(response.output_text).toBe('Hello from Responses.');
    expect(response.usage).toMatchObject({ input_tokens: 12, output_tokens: 5, total_tokens: 17 });
    const stream = await openai.responses.create({
      model: `chat-${schema}`,
      input: 'Say hello',
      stream: true,
    });
    let text = '';
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    expect(text).toBe('Hello from Responses.');
    expect(completed?.usage?.total_tokens).toBe(17);
    expect(JSON.parse(lastRequest(schema).body)).toEqual({
      model: UPSTREAM_MODEL[schema],
      input: 'Say hello',
      stream: true,
    });
  });

  test.each(['openai', 'azure'] as const)('→ %s: image generation', async (schema) => {
    const images = await openai.images.generate({ model: `chat-${schema}`, prompt: 'a lighthouse' });
    expect(lastRequest(schema).path).toBe(
      schema === 'openai'
        ? '/v1/images/generations'
        : '/openai/deployments/gpt-4o-deployment/images/generations?api-version=2024-10-21',
    );
    expect(JSON.parse(lastRequest(schema).body)).toEqual({
      model: UPSTREAM_MODEL[schema],
      prompt: 'a lighthouse',
    });
    expect(images.data?.[0]?.b64_json).toBe('iVBORw0KGgo=');
    expect(images.usage).toMatchObject({ input_tokens: 8, output_tokens: 272, total_tokens: 280 });
  });

  test.each(['openai', 'azure'] as const)(
    '→ %s: speech, 2 MiB of audio (twice the listener buffer) passed on as it comes, and as server-sent events',
    async (schema) => {
      const request = { model: `chat-${schema}`, voice: 'alloy', input: 'Hello' } as const;
      const audio = await openai.audio.speech.create(request);
      const seen = lastRequest(schema);
      expect(seen.path).toBe(
        schema === 'openai'
          ? '/v1/audio/speech'
          : '/openai/deployments/gpt-4o-deployment/audio/speech?api-version=2024-10-21',
      );
      expect(JSON.parse(seen.body)).toEqual({ ...request, model: UPSTREAM_MODEL[schema] });
      expectUpstreamAuth(schema, seen);
      expect(audio.headers.get('content-type')).toBe('audio/mpeg');
      expect(Buffer.from(await audio.arrayBuffer()).equals(SPEECH_AUDIO)).toBe(true);
      const events = await openai.audio.speech.create({ ...request, stream_format: 'sse' });
      expect(events.headers.get('content-type')).toBe('text/event-stream');
      expect(await events.text()).toBe(SPEECH_EVENTS.join(''));
      const refused = await openai.audio.speech
        .create({ ...request, voice: 'nobody' })
        .catch((error) => error);
      expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
      expect(refused.error).toEqual({
        message: "voice 'nobody' does not exist",
        type: 'invalid_request_error',
        param: null,
        code: '400',
      });
    },
  );

  /** The multipart form the provider got: its text fields, and the uploaded file's name, type and bytes. */
  test.each(['openai', 'azure'] as const)(
    '→ %s: transcription and translation of a real file, the model field rewritten, the file untouched',
    async (schema) => {
      const dir = await mkdtemp(join(tmpdir(), 'switchyard-audio-'));
      const recording = join(dir, 'hello.wav');
      // A WAV header and 300 KB of samples: several HTTP/2 frames, under the listener's buffer limit.
      const audio = Buffer.concat([
        Buffer.from('RIFF\0\0\0\0WAVEfmt '),
        Buffer.from(Uint8Array.from({ length: 300_000 }, (_, i) => (i * 13) % 256)),
      ]);
      await writeFile(recording, audio);
      const transcription = await openai.audio.transcriptions.create({
        file: createReadStream(recording),
        model: `chat-${schema}`,
        language: 'en',
      });
      const seen = lastRequest(schema);
      const azurePath = (operation: string) =>
        `/openai/deployments/gpt-4o-deployment/audio/${operation}?api-version=2024-10-21`;
      expect(seen.path).toBe(schema === 'openai' ? '/v1/audio/transcriptions' : azurePath('transcriptions'));
      expectUpstreamAuth(schema, seen);
      expect(await upstreamForm(seen)).toEqual({
        fields: { model: UPSTREAM_MODEL[schema], language: 'en' },
        file: { name: 'hello.wav', type: expect.any(String), bytes: audio },
      });
      expect(transcription).toEqual({ text: 'Hello there.', usage: TRANSCRIPTION_USAGE });

      const events = await openai.audio.transcriptions.create({
        file: createReadStream(recording),
        model: `chat-${schema}`,
        stream: true,
      });
      const received: unknown[] = [];
      for await (const event of events) received.push(event);
      expect(received).toEqual(TRANSCRIPTION_EVENTS.map((event) => JSON.parse(event.slice('data: '.length))));

      const translation = await openai.audio.translations.create({
        file: createReadStream(recording),
        model: `chat-${schema}`,
        prompt: 'A greeting.',
      });
      expect(lastRequest(schema).path).toBe(
        schema === 'openai' ? '/v1/audio/translations' : azurePath('translations'),
      );
      expect((await upstreamForm(lastRequest(schema))).fields).toEqual({
        model: UPSTREAM_MODEL[schema],
        prompt: 'A greeting.',
      });
      expect(translation).toEqual({ text: 'Hello there.' });
      const text = await openai.audio.translations.create({
        file: createReadStream(recording),
        model: `chat-${schema}`,
        response_format: 'text',
      });
      expect(text).toBe('Hello there.\n');
    },
  );

  test("a form without a model is refused with 400 in OpenAI's shape, a JSON body with 415, the provider untouched", async () => {
    const before = fakes.openai.received.length;
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('RIFF')], { type: 'audio/wav' }), 'a.wav');
    const noModel = await fetch(`http://127.0.0.1:${port}/v1/audio/transcriptions`, {
      method: 'POST',
      body: form,
    });
    expect(noModel.status).toBe(400);
    expect(await noModel.json()).toMatchObject({
      error: { message: "the form has no 'model' field", code: 'missing_model' },
    });
    const json = await fetch(`http://127.0.0.1:${port}/v1/audio/translations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat-openai' }),
    });
    expect(json.status).toBe(415);
    expect(fakes.openai.received.length).toBe(before);
  });

  test("→ openai: /tokenize (vLLM's) passes through to the backend's /tokenize with the model overridden", async () => {
    const tokenize = (body: unknown) =>
      fetch(`http://127.0.0.1:${port}/tokenize`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer client-key' },
        body: JSON.stringify(body),
      });
    const prompt = await tokenize({ model: 'chat-openai', prompt: 'Hello world', return_token_strs: true });
    expect(prompt.status).toBe(200);
    expect(await prompt.json()).toEqual({
      count: 2,
      max_model_len: 8192,
      tokens: [9906, 1917],
      token_strs: ['<9906>', '<1917>'],
    });
    const seen = lastRequest('openai');
    expect(seen.path).toBe('/tokenize');
    expect(JSON.parse(seen.body)).toEqual({
      model: 'gpt-4o',
      prompt: 'Hello world',
      return_token_strs: true,
    });
    expectUpstreamAuth('openai', seen);
    const chat = await tokenize({
      model: 'chat-openai',
      messages: [{ role: 'user', content: 'Hello world' }],
    });
    expect(await chat.json()).toMatchObject({ count: 4 });
    const before = fakes.openai.received.length;
    const both = await tokenize({ model: 'chat-openai', prompt: 'a', messages: [] });
    expect(both.status).toBe(400);
    expect(await both.json()).toMatchObject({
      error: { message: "a tokenize request has either 'prompt' or 'messages', not both" },
    });
    const azure = await tokenize({ model: 'chat-azure', prompt: 'a' });
    expect(azure.status).toBe(422);
    expect(await azure.json()).toMatchObject({
      error: {
        message:
          "backend 'azure' (AzureOpenAI) has no tokenizer or token counting; /tokenize is served on OpenAI (vLLM), GCPVertexAI, GCPAnthropic, AWSBedrock and AWSAnthropic backends",
        code: 'unsupported_api',
      },
    });
    expect(fakes.openai.received.length).toBe(before);
  });

  test.each(['gcp-anthropic', 'aws-anthropic', 'vertex', 'bedrock'] as const)(
    "→ %s: /tokenize answered by token counting, the count alone (Envoy AI Gateway's shape)",
    async (schema) => {
      const response = await fetch(`http://127.0.0.1:${port}/tokenize`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer client-key' },
        body: JSON.stringify({
          model: `chat-${schema}`,
          messages: [
            { role: 'system', content: 'Be brief.' },
            { role: 'user', content: 'Hello world' },
          ],
        }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        count: CANONICAL.countedTokens,
        max_model_len: 0,
        tokens: null,
      });
      const seen = lastRequest(schema);
      expectUpstreamAuth(schema, seen);
      const counted = {
        system: [{ type: 'text', text: 'Be brief.' }],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello world' }] }],
      };
      if (schema === 'vertex') {
        // Gemini's countTokens: the generateContent body's contents and system instruction.
        expect(seen.path).toBe(
          `/v1/projects/proj-m/locations/europe-west1/publishers/google/models/${UPSTREAM_MODEL.vertex}:countTokens`,
        );
        expect(JSON.parse(seen.body)).toEqual({
          contents: [{ role: 'user', parts: [{ text: 'Hello world' }] }],
          systemInstruction: { parts: [{ text: 'Be brief.' }] },
        });
      } else if (schema === 'bedrock') {
        // CountTokens with a Converse input.
        expect(seen.path).toBe(`/model/${encodeURIComponent(UPSTREAM_MODEL.bedrock)}/count-tokens`);
        expect(JSON.parse(seen.body)).toEqual({
          input: {
            converse: {
              messages: [{ role: 'user', content: [{ text: 'Hello world' }] }],
              system: [{ text: 'Be brief.' }],
            },
          },
        });
      } else if (schema === 'gcp-anthropic') {
        expect(seen.path).toBe(
          '/v1/projects/proj-m/locations/europe-west1/publishers/anthropic/models/count-tokens:rawPredict',
        );
        expect(JSON.parse(seen.body)).toEqual({
          anthropic_version: 'vertex-2023-10-16',
          ...counted,
          model: UPSTREAM_MODEL[schema],
        });
      } else {
        expect(seen.path).toBe(`/model/${encodeURIComponent(UPSTREAM_MODEL[schema])}/count-tokens`);
        const invoke = JSON.parse(seen.body).input.invokeModel.body as string;
        expect(JSON.parse(Buffer.from(invoke, 'base64').toString('utf8'))).toEqual({
          anthropic_version: 'bedrock-2023-05-31',
          max_tokens: 1,
          ...counted,
        });
      }
    },
  );

  test.each(['openai', 'azure'] as const)("→ %s: the Responses API's input token count", async (schema) => {
    const counted = await openai.responses.inputTokens.count({ model: `chat-${schema}`, input: 'Say hello' });
    expect(lastRequest(schema).path).toBe(
      schema === 'openai'
        ? '/v1/responses/input_tokens'
        : '/openai/responses/input_tokens?api-version=2024-10-21',
    );
    expect(JSON.parse(lastRequest(schema).body)).toEqual({
      model: UPSTREAM_MODEL[schema],
      input: 'Say hello',
    });
    expectUpstreamAuth(schema, lastRequest(schema));
    expect(counted).toEqual({ object: 'response.input_tokens', input_tokens: 9 });
  });

  test('an API a backend has no equivalent of is refused with 422 in the client’s shape, the provider untouched', async () => {
    const before = fakes.anthropic.received.length;
    const error = await openai.responses
      .create({ model: 'chat-anthropic', input: 'x' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect(error).toMatchObject({
      status: 422,
      code: 'unsupported_api',
      message: "422 backend 'anthropic' (Anthropic) does not serve this API",
    });
    expect(fakes.anthropic.received.length).toBe(before);
  });
});

describe('Cohere rerank (/cohere/v2/rerank)', () => {
  const rerank = (body: Record<string, unknown>) =>
    fetch(`http://127.0.0.1:${port}/cohere/v2/rerank`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer client-key' },
      body: JSON.stringify(body),
    });
  const request = { query: 'Capital of France?', documents: ['Paris', 'Lyon'], top_n: 2 };

  test('→ Cohere: exact upstream request, the answer as Cohere wrote it', async () => {
    const response = await rerank({ model: 'rerank-cohere', ...request });
    expect(response.status).toBe(200);
    const seen = fakes.cohere.received.at(-1)!;
    expect(seen.path).toBe('/v2/rerank');
    expect(JSON.parse(seen.body)).toEqual({ model: 'rerank-v3.5', ...request });
    expect(seen.headers.authorization).toBe('Bearer co-upstream');
    expect(seen.headers['content-length']).toBe(String(seen.raw.length));
    expect(await response.json()).toEqual({
      id: 'rerank-fake-1',
      results: [
        { index: 0, relevance_score: 0.9 },
        { index: 1, relevance_score: 0.8 },
      ],
      meta: {
        api_version: { version: '2' },
        billed_units: { search_units: 1 },
        tokens: { input_tokens: 27, output_tokens: 0 },
      },
    });
  });

  test("errors in Cohere's shape: the upstream's own, an unknown model, a backend without rerank", async () => {
    fakes.cohere.failNext({ status: 429, body: '{"id":"e-1","message":"You are using a Trial key"}' });
    const limited = await rerank({ model: 'rerank-cohere', ...request });
    expect([limited.status, await limited.json()]).toEqual([
      429,
      { id: 'e-1', message: 'You are using a Trial key' },
    ]);
    const unknown = await rerank({ model: 'rerank-nobody', ...request });
    expect(unknown.status).toBe(404);
    expect(Object.keys((await unknown.json()) as object)).toEqual(['message']);
    const before = fakes.openai.received.length;
    const refused = await rerank({ model: 'chat-openai', ...request });
    expect([refused.status, await refused.json()]).toEqual([
      422,
      { message: "backend 'openai' (OpenAI) does not serve this API" },
    ]);
    expect(fakes.openai.received.length).toBe(before);
  });
});

describe('credentials the gateway does not hold', () => {
  const ask = (model: string, headers: Record<string, string> = {}) =>
    openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }] }, { headers });

  test('per-request AWS credentials with a session token sign the call; their headers never reach Bedrock', async () => {
    await ask('creds-per-request', {
      'x-aigw-aws-access-key-id': 'ASIATEMP',
      'x-aigw-aws-secret-access-key': 'temp-secret/+',
      'x-aigw-aws-session-token': 'session-token-1',
    });
    const seen = lastRequest('bedrock');
    expect(seen.path).toBe(chatPath('bedrock', false));
    expect(verifySigV4(seen, 'temp-secret/+')).toEqual({
      accessKeyId: 'ASIATEMP',
      region: 'us-east-1',
      service: 'bedrock',
    });
    expect(seen.headers['x-amz-security-token']).toBe('session-token-1');
    expect(Object.keys(seen.headers).filter((name) => name.startsWith('x-aigw-'))).toEqual([]);
  });

  test('without them the client gets 401 in its own shape, and Bedrock is never called unsigned', async () => {
    const before = fakes.bedrock.received.length;
    const error = await ask('creds-per-request').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(error).toMatchObject({
      status: 401,
      code: 'missing_upstream_credential',
      message: '401 missing upstream credential: the request carries none for this backend',
    });
    const partial = await ask('creds-per-request', { 'x-aigw-aws-access-key-id': 'ASIATEMP' }).catch(
      (e: unknown) => e,
    );
    expect(partial).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(fakes.bedrock.received.length).toBe(before);
  });

  test("a backend whose Secret cannot be read: 401 naming why, in Anthropic's shape for an Anthropic client", async () => {
    const before = fakes.anthropic.received.length;
    const error = await anthropic.messages
      .create({ model: 'creds-lost', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'Secret ai/anthropic-key not found' },
    });
    expect(fakes.anthropic.received.length).toBe(before);
  });
});

describe('model lists and unknown paths', () => {
  test('GET /v1/models lists every routed model; the Anthropic SDK lists them at /anthropic/v1/models', async () => {
    const names = [
      ...SCHEMAS.map((schema) => `chat-${schema}`),
      'emb-openai',
      'emb-azure',
      'emb-vertex',
      'emb-bedrock',
      'rerank-cohere',
      'creds-per-request',
      'creds-lost',
    ];
    expect((await openai.models.list()).data.map((model) => model.id)).toEqual(names);
    const page = await anthropic.models.list();
    expect(page.data.map((model) => [model.id, model.type, model.display_name])).toEqual(
      names.map((name) => [name, 'model', name]),
    );
  });

  test('an unknown path is a 404 naming it', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/v1/fine_tuning/jobs`, {
      method: 'POST',
      body: '{}',
    });
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('unsupported path: /v1/fine_tuning/jobs\n');
  });
});
