// Azure OpenAI: the OpenAI schema behind a deployment path with an api-version query parameter.
import { openAICompatibleTranslator } from './openai-translator.ts';
import type { ClientApi, Translator } from './translator.ts';

const AZURE_OPERATIONS: Readonly<Record<Exclude<ClientApi, 'anthropic.messages'>, string>> = {
  'openai.chat': 'chat/completions',
  'openai.completions': 'completions',
  'openai.embeddings': 'embeddings',
};

/** The deployment is the (overridden) model name, as Azure names deployments after models by default. */
export function azureOpenAITranslator(
  api: Exclude<ClientApi, 'anthropic.messages'>,
  apiVersion: string,
): Translator {
  return openAICompatibleTranslator(
    (context) =>
      `/openai/deployments/${encodeURIComponent(context.model)}/${AZURE_OPERATIONS[api]}?api-version=${encodeURIComponent(apiVersion)}`,
  );
}
