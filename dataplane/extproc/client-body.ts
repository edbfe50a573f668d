// The client's request body read for routing: inflated when gzip-compressed (within the body limit), parsed as
// a JSON object, and its `model` named.
import { parseJsonObject } from './client-errors.ts';
import { gunzipRequestBody } from './gzip-body.ts';

/** A body the service can route, or why the client is answered with an error instead. */
export type ClientBody =
  | {
      readonly ok: true;
      /** The body as JSON text (inflated when it came gzip-compressed). */
      readonly json: Buffer;
      readonly body: Record<string, unknown>;
      readonly model: string;
    }
  | { readonly ok: false; readonly tooLarge: true }
  | { readonly ok: false; readonly tooLarge?: false; readonly message: string; readonly code?: string };

export function readClientBody(raw: Buffer, gzip: boolean, maxBytes: number): ClientBody {
  let json: Buffer = raw;
  if (gzip) {
    try {
      json = gunzipRequestBody(raw, maxBytes);
    } catch (error) {
      return error instanceof RangeError
        ? { ok: false, tooLarge: true }
        : { ok: false, message: 'the request body is not valid gzip (content-encoding: gzip)' };
    }
  }
  const body = parseJsonObject(json);
  if (body === undefined) return { ok: false, message: 'the request body is not a valid JSON object' };
  const model = body.model;
  if (model === undefined || model === null || model === '')
    return { ok: false, message: "the request body has no 'model'", code: 'missing_model' };
  if (typeof model !== 'string') {
    const kind = Array.isArray(model) ? 'an array' : `a ${typeof model}`;
    return {
      ok: false,
      message: `'model' must be a string naming the model, not ${kind}`,
      code: 'invalid_model',
    };
  }
  return { ok: true, json, body, model };
}
