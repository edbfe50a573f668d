// Which translator serves a (client API, backend schema) pair; undefined when the pair is not supported.
import {
  anthropicMessagesTranslator,
  gcpAnthropicMessagesTranslator,
} from './anthropic-messages-translator.ts';
import { anthropicTranslator } from './anthropic-translator.ts';
import { azureOpenAITranslator } from './azure-openai-translator.ts';
import { bedrockTranslator } from './bedrock-translator.ts';
import type { Backend } from './config.ts';
import { gcpAnthropicTranslator } from './gcp-anthropic-translator.ts';
import { geminiTranslator } from './gemini-translator.ts';
import { openAITranslator } from './openai-translator.ts';
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

function build(api: ClientApi, backend: Backend): Translator | undefined {
  if (api === 'anthropic.messages') {
    if (backend.schema === 'Anthropic') return anthropicMessagesTranslator();
    if (backend.schema === 'GCPAnthropic') return gcpAnthropicMessagesTranslator(backend.vertex!);
    return undefined;
  }
  switch (backend.schema) {
    case 'OpenAI':
      return openAITranslator(api);
    case 'AzureOpenAI':
      return azureOpenAITranslator(api, backend.apiVersion!);
    case 'Anthropic':
      return api === 'openai.chat' ? anthropicTranslator() : undefined;
    case 'GCPAnthropic':
      return api === 'openai.chat' ? gcpAnthropicTranslator(backend.vertex!) : undefined;
    case 'AWSBedrock':
      return api === 'openai.chat' ? bedrockTranslator() : undefined;
    case 'GCPVertexAI':
      return api === 'openai.chat' ? geminiTranslator(backend.vertex!) : undefined;
  }
}
