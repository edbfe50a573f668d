// Error bodies in the client's own schema, so SDKs raise their usual typed errors.
import type { ClientApi } from './translator.ts';
import { utf8 } from './utf8.ts';

const OPENAI_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'invalid_request_error',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
};

const ANTHROPIC_TYPES: Readonly<Record<number, string>> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};

export function openAIErrorType(status: number): string {
  return OPENAI_TYPES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error');
}

export function anthropicErrorType(status: number): string {
  return ANTHROPIC_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

export function openAIErrorBody(message: string, type: string, code: string | null = null): string {
  return JSON.stringify({ error: { message, type, param: null, code } });
}

export function anthropicErrorBody(message: string, type: string): string {
  return JSON.stringify({ type: 'error', error: { type, message } });
}

/** Cohere's error shape: a message (and, from Cohere itself, the request's id). */
export function cohereErrorBody(message: string): string {
  return JSON.stringify({ message });
}

/** An error we raise ourselves (bad JSON, unknown model, too large, …) in the client's schema. */
export function clientErrorBody(api: ClientApi, status: number, message: string, code?: string): string {
  if (api.startsWith('anthropic.')) return anthropicErrorBody(message, anthropicErrorType(status));
  if (api.startsWith('cohere.')) return cohereErrorBody(message);
  return openAIErrorBody(message, openAIErrorType(status), code ?? null);
}

/** Parses a JSON body, or undefined when it is not JSON. */
export function parseJsonObject(body: Uint8Array | string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(typeof body === 'string' ? body : utf8(body));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
