// Which translator serves a (client API, backend schema) pair; undefined when the pair is not supported. The
// matrix is documented in docs/extproc.md ("What is translated").
import {
  anthropicCountTokensTranslator,
  awsAnthropicCountTokensTranslator,
  gcpAnthropicCountTokensTranslator,
} from './anthropic-count-tokens.ts';
import {
  anthropicMessagesTranslator,
  awsAnthropicMessagesTranslator,
  gcpAnthropicMessagesTranslator,
} from './anthropic-messages-translator.ts';
import {
  ANTHROPIC_CLIENT,
  anthropicUpstream,
  awsAnthropicUpstream,
  BEDROCK_ANTHROPIC_VERSION,
  type ChatClient,
  type ChatUpstream,
  chatTranslator,
  converseUpstream,
  gcpAnthropicUpstream,
  geminiUpstream,
  OPENAI_CHAT_CLIENT,
  openAIChatUpstream,
  prefixPath,
} from './chat-translators.ts';
import { cohereRerankTranslator } from './cohere-translator.ts';
import type { Backend } from './config.ts';
import { bedrockEmbeddingsTranslator, vertexEmbeddingsTranslator } from './embeddings-translators.ts';
import {
  azureOpenAIPath,
  azureOpenAITranslator,
  type OpenAIApi,
  openAITranslator,
} from './openai-translator.ts';
import {
  anthropicCounter,
  converseCounter,
  geminiCounter,
  tokenizeByCounting,
} from './tokenize-by-counting.ts';
import type { ClientApi, Translator } from './translator.ts';

const cache = new WeakMap<Backend, Map<ClientApi, Translator | undefined>>();

/** Translators are stateless, so one per (backend, API) is built and reused. */
export function selectTranslator(api: ClientApi, backend: Backend): Translator | undefined {
  let byApi = cache.get(backend);
  if (byApi === undefined) {
    byApi = new Map();
    cache.set(backend, byApi);
  }
  if (!byApi.has(api)) byApi.set(api, build(api, backend));
  return byApi.get(api);
}

/** The upstream side of chat translation for a backend, when its schema has a chat API. */
function chatUpstream(backend: Backend): ChatUpstream | undefined {
  switch (backend.schema) {
    case 'OpenAI': {
      const path = `${prefixPath(backend.prefix ?? 'v1')}/chat/completions`;
      return openAIChatUpstream(() => path);
    }
    case 'AzureOpenAI':
      return openAIChatUpstream(azureOpenAIPath('openai.chat', backend.version!));
    case 'Anthropic':
      return anthropicUpstream(backend.prefix ?? 'v1');
    case 'GCPAnthropic':
      return gcpAnthropicUpstream(backend.vertex!, backend.version!);
    case 'AWSAnthropic':
      return awsAnthropicUpstream(backend.version!);
    case 'AWSBedrock':
      return converseUpstream();
    case 'GCPVertexAI':
      return geminiUpstream(backend.vertex!);
  }
}

function translated(client: ChatClient, backend: Backend): Translator | undefined {
  const upstream = chatUpstream(backend);
  return upstream === undefined ? undefined : chatTranslator(client, upstream);
}

/** Token counting (Envoy AI Gateway's pairs): Bedrock counts Anthropic bodies only, as AWSAnthropic does. */
function countTokens(backend: Backend): Translator | undefined {
  switch (backend.schema) {
    case 'Anthropic':
      return anthropicCountTokensTranslator(backend.prefix ?? 'v1');
    case 'GCPAnthropic':
      return gcpAnthropicCountTokensTranslator(backend.vertex!, backend.version!);
    case 'AWSAnthropic':
    case 'AWSBedrock':
      return awsAnthropicCountTokensTranslator(backend.version ?? BEDROCK_ANTHROPIC_VERSION);
  }
  return undefined;
}

/**
 * vLLM's /tokenize where the upstream only counts (Envoy AI Gateway's pairs): Anthropic on Vertex and Bedrock by
 * their Anthropic count, Gemini by countTokens, Bedrock's Converse models by CountTokens. Not Azure, Anthropic or
 * Cohere (Envoy AI Gateway has no such pair either).
 */
function tokenize(backend: Backend): Translator | undefined {
  const counter =
    backend.schema === 'GCPAnthropic' || backend.schema === 'AWSAnthropic'
      ? anthropicCounter(countTokens(backend)!)
      : backend.schema === 'GCPVertexAI'
        ? geminiCounter(backend.vertex!)
        : backend.schema === 'AWSBedrock'
          ? converseCounter()
          : undefined;
  const chat = counter === undefined ? undefined : translated(OPENAI_CHAT_CLIENT, backend);
  return chat === undefined || counter === undefined ? undefined : tokenizeByCounting(chat, counter);
}

function build(api: ClientApi, backend: Backend): Translator | undefined {
  if (api === 'anthropic.count_tokens') return countTokens(backend);
  if (api === 'openai.tokenize' && backend.schema !== 'OpenAI') return tokenize(backend);
  if (api === 'cohere.rerank')
    return backend.schema === 'Cohere' ? cohereRerankTranslator(backend.version) : undefined;
  if (api === 'anthropic.messages') {
    if (backend.schema === 'Anthropic') return anthropicMessagesTranslator(backend.prefix ?? 'v1');
    if (backend.schema === 'GCPAnthropic')
      return gcpAnthropicMessagesTranslator(backend.vertex!, backend.version!);
    if (backend.schema === 'AWSAnthropic') return awsAnthropicMessagesTranslator(backend.version!);
    return translated(ANTHROPIC_CLIENT, backend);
  }
  switch (backend.schema) {
    case 'OpenAI':
      return openAITranslator(api, backend.prefix ?? 'v1');
    case 'AzureOpenAI':
      return azureOpenAITranslator(api as OpenAIApi, backend.version!);
  }
  if (api === 'openai.chat') return translated(OPENAI_CHAT_CLIENT, backend);
  if (api === 'openai.embeddings') {
    if (backend.schema === 'GCPVertexAI') return vertexEmbeddingsTranslator(backend.vertex!);
    if (backend.schema === 'AWSBedrock') return bedrockEmbeddingsTranslator();
  }
  return undefined;
}
