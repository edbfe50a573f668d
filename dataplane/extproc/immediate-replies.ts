// Replies the service gives in Envoy's place (ext_proc immediate responses): errors in the client API's shape,
// and the plain-text 404 of a path no client API is served on.
import { clientErrorBody } from './client-errors.ts';
import { type ProcessingResponse, setHeaders } from './processing-messages.ts';
import type { ClientApi } from './translator.ts';

/** An error in the client's schema (OpenAI's when the API is not known yet). */
export function clientErrorResponse(
  api: ClientApi | undefined,
  status: number,
  message: string,
  code?: string,
  extra: Record<string, string> = {},
): ProcessingResponse {
  return {
    immediate_response: {
      status: { code: status },
      headers: { set_headers: setHeaders({ 'content-type': 'application/json', ...extra }) },
      body: Buffer.from(clientErrorBody(api ?? 'openai.chat', status, message, code)),
      details: message,
    },
  };
}

/** 404 with a plain-text answer naming the path. */
export function unknownPathResponse(path: string): ProcessingResponse {
  const message = `unsupported path: ${path}`;
  return {
    immediate_response: {
      status: { code: 404 },
      headers: { set_headers: setHeaders({ 'content-type': 'text/plain; charset=utf-8' }) },
      body: Buffer.from(`${message}\n`),
      details: message,
    },
  };
}
