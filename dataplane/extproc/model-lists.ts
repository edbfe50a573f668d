// `GET /v1/models` (OpenAI's list) and `GET /anthropic/v1/models` (Anthropic's), answered from the configuration:
// the models the routes of the request's host serve.
import type { ModelInfo } from './config.ts';
import { type ProcessingResponse, setHeaders } from './processing-messages.ts';

/** The model list in the client API's own shape, as an immediate 200 reply. */
export function modelListResponse(
  flavour: 'openai' | 'anthropic',
  configured: readonly ModelInfo[],
  authority: string | undefined,
): ProcessingResponse {
  const models = modelsForHost(configured, authority);
  const body =
    flavour === 'openai'
      ? {
          object: 'list',
          data: models.map((model) => ({
            id: model.name,
            object: 'model',
            created: model.created,
            owned_by: model.ownedBy,
          })),
        }
      : {
          data: models.map((model) => ({
            id: model.name,
            type: 'model',
            display_name: model.name,
            created_at: new Date(model.created * 1000).toISOString().replace('.000Z', 'Z'),
          })),
          has_more: false,
          ...(models.length > 0 ? { first_id: models[0]!.name, last_id: models.at(-1)!.name } : {}),
        };
  return {
    immediate_response: {
      status: { code: 200 },
      headers: { set_headers: setHeaders({ 'content-type': 'application/json' }) },
      body: Buffer.from(JSON.stringify(body)),
    },
  };
}

/** A hostname pattern matches the host exactly, or `*.suffix` matches one more label. */
function hostMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith('*.')) return pattern === host;
  const suffix = pattern.slice(1);
  return host.endsWith(suffix) && !host.slice(0, -suffix.length).includes('.') && host.length > suffix.length;
}

/** The models the routes of this host serve (and those of routes without hostnames); every model if none match. */
export function modelsForHost(
  models: readonly ModelInfo[],
  authority: string | undefined,
): readonly ModelInfo[] {
  if (authority === undefined || models.every((model) => model.hostnames === undefined)) return models;
  const host = authority
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
  const matching = models.filter((model) => model.hostnames?.some((pattern) => hostMatches(pattern, host)));
  if (matching.length === 0) return models;
  return models.filter((model) => model.hostnames === undefined || matching.includes(model));
}
