// The client's request body read for routing: inflated when gzip-compressed (within the body limit), parsed as
// a JSON object, and its `model` named.
import { parseJsonObject } from './client-errors.ts';
import { gunzipRequestBody } from './gzip-body.ts';
import type { MultipartForm } from './multipart-form.ts';
import { formBoundary, formField, parseForm } from './multipart-form.ts';

/** A body the service can route, or why the client is answered with an error instead. */
export type ClientBody =
  | {
      readonly ok: true;
      /** The body as JSON text (inflated when it came gzip-compressed). */
      readonly json: Buffer;
      readonly body: Record<string, unknown>;
      readonly model: string;
      /** The multipart form of an upload; `body` then holds its model and whether it asks for a stream. */
      readonly form?: MultipartForm;
    }
  | { readonly ok: false; readonly tooLarge: true }
  | { readonly ok: false; readonly tooLarge?: false; readonly message: string; readonly code?: string };

/** `contentType` is given for uploads (a multipart form), left out for JSON. */
export function readClientBody(
  raw: Buffer,
  gzip: boolean,
  maxBytes: number,
  contentType?: string,
): ClientBody {
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
  if (contentType !== undefined) return readForm(json, contentType);
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

/** An upload: the form's `model` field routes it, as Envoy AI Gateway reads it; a form without a file is refused. */
function readForm(raw: Buffer, contentType: string): ClientBody {
  const form = parseForm(raw, formBoundary(contentType) ?? '');
  if (typeof form === 'string')
    return { ok: false, message: `the request body is not a valid form: ${form}` };
  const model = formField(form, 'model');
  if (model === undefined || model === '')
    return { ok: false, message: "the form has no 'model' field", code: 'missing_model' };
  if (!form.parts.some((part) => part.name === 'file'))
    return { ok: false, message: "the form has no 'file' part", code: 'missing_file' };
  const stream = formField(form, 'stream')?.toLowerCase() === 'true';
  return { ok: true, json: raw, body: { model, stream }, model, form };
}
