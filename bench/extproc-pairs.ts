// The pairs of client API and backend schema the ext_proc benchmarks measure (extproc.chat over gRPC,
// extproc.phases in process): the service's configuration, and per pair a ~4 KB chat request and the backend's
// answer, as the four ext_proc phases of one request.
import type { ProcessingRequest } from '../dataplane/extproc/processing-messages.ts';
import { requestHeaders } from '../dataplane/extproc/testdata/ext-proc-client.ts';

export const CONFIG = `
llmRequestCosts: [{ metadataKey: llm_total_token, type: TotalToken }, { metadataKey: llm_cost, type: CEL, cel: "input_tokens * 3u + output_tokens * 15u" }]
rules:
  - { models: [claude-client], backends: [anthropic] }
  - { models: [bedrock-client], backends: [bedrock] }
  - { models: [gpt-client], backends: [openai] }
backends:
  - { name: anthropic, schema: Anthropic, modelNameOverride: claude-3-5-haiku-20241022, auth: { anthropicAPIKey: { key: sk-bench } } }
  - name: bedrock
    schema: AWSBedrock
    modelNameOverride: anthropic.claude-3-5-haiku-20241022-v1:0
    host: bedrock-runtime.us-east-1.amazonaws.com
    auth: { aws: { region: us-east-1, accessKeyId: AKIDBENCH, secretAccessKey: bench-secret } }
  - { name: openai, schema: OpenAI, modelNameOverride: gpt-4o-mini, auth: { apiKey: { key: sk-bench } } }
`;
/** ~4 KB of conversation, as a typical chat request; Anthropic clients put the system prompt apart. */
function conversation(): { role: string; content: string }[] {
  const messages: { role: string; content: string }[] = [];
  let i = 0;
  while (JSON.stringify(messages).length < 4_000) {
    messages.push({
      role: i % 2 === 0 ? 'user' : 'assistant',
      content: `Turn ${i}: ${'lorem ipsum dolor sit amet '.repeat(6)}`,
    });
    i++;
  }
  return messages;
}
const SYSTEM = 'You are a helpful assistant that answers briefly.';
const ANSWER = 'A short answer. '.repeat(20);

/** An OpenAI chat completion, as the upstream of the pairs whose backend speaks OpenAI answers. */
const OPENAI_ANSWER = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1767225600,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: ANSWER }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 1100, completion_tokens: 80, total_tokens: 1180 },
});

const openAIChat = (model: string) =>
  JSON.stringify({
    model,
    messages: [{ role: 'system', content: SYSTEM }, ...conversation()],
    max_tokens: 512,
    temperature: 0.3,
  });

export interface Pair {
  readonly name: string;
  readonly path: string;
  readonly request: string;
  readonly response: string;
}

export const PAIRS: readonly Pair[] = [
  {
    name: 'openai_to_anthropic',
    path: '/v1/chat/completions',
    request: openAIChat('claude-client'),
    response: JSON.stringify({
      id: 'msg_bench',
      type: 'message',
      role: 'assistant',
      model: 'claude-3-5-haiku-20241022',
      content: [{ type: 'text', text: ANSWER }],
      stop_reason: 'end_turn',
      usage: { input_tokens: 1100, output_tokens: 80 },
    }),
  },
  {
    name: 'openai_to_bedrock',
    path: '/v1/chat/completions',
    request: openAIChat('bedrock-client'),
    response: JSON.stringify({
      output: { message: { role: 'assistant', content: [{ text: ANSWER }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 1100, outputTokens: 80, totalTokens: 1180 },
      metrics: { latencyMs: 300 },
    }),
  },
  {
    name: 'anthropic_to_openai',
    path: '/v1/messages',
    request: JSON.stringify({
      model: 'gpt-client',
      system: SYSTEM,
      messages: conversation(),
      max_tokens: 512,
      temperature: 0.3,
    }),
    response: OPENAI_ANSWER,
  },
  {
    name: 'openai_passthrough',
    path: '/v1/chat/completions',
    request: openAIChat('gpt-client'),
    response: OPENAI_ANSWER,
  },
];

export function phasesOf(pair: Pair): ProcessingRequest[] {
  const body = Buffer.from(pair.request);
  const response = Buffer.from(pair.response);
  return [
    requestHeaders({
      ':path': pair.path,
      ':method': 'POST',
      ':authority': 'gateway',
      'content-type': 'application/json',
      'content-length': String(body.length),
      'x-request-id': 'bench',
    }),
    { request_body: { body, end_of_stream: true } },
    {
      response_headers: requestHeaders({
        ':status': '200',
        'content-type': 'application/json',
        'content-length': String(response.length),
      }).request_headers,
    },
    { response_body: { body: response, end_of_stream: true } },
  ];
}
