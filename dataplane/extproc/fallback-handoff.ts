// The hand-off between the two places the service runs for a fallback rule (backends at several priorities):
// the router filter reads the body and picks the rule, Envoy picks a backend by priority and retries the next
// priority on failure, and the upstream filter (on the rule's cluster) translates each attempt for the backend
// Envoy picked, which it learns from the endpoint's metadata. Envoy re-sends the router's buffered body on each
// attempt but keeps header changes an attempt made, so the router wraps the client's body with what an attempt
// must start from (the client's path and model, and the original value of every header an attempt may change),
// and each attempt restores those headers before translating. A JSON body is wrapped in JSON; an upload (a
// multipart form, binary) goes on as sent after one line of JSON naming the hand-off, and each attempt reads the
// form again and replaces its model field for its backend. Nothing is kept in memory between the two streams,
// which may reach different processes.

import { overrideHeaderNames } from './backend-auth.ts';
import { parseJsonObject } from './client-errors.ts';
import type { Backend } from './config.ts';

export {
  BACKEND_ATTRIBUTE,
  BACKEND_METADATA_KEY,
  BACKEND_METADATA_NAMESPACE,
  BODY_LIMIT_ATTRIBUTE,
} from '../../model/ai-gateway/extproc-config.ts';
/** ProcessingRequest.attributes is keyed by the filter's name. */
export const EXT_PROC_ATTRIBUTES_KEY = 'envoy.filters.http.ext_proc';

/** The wrapper's field; a body without it never came through the router filter. */
export const HANDOFF_FIELD = 'x-ai-eg-fallback';

export interface Handoff {
  /** The client's path (the client API). */
  readonly path: string;
  readonly model: string;
  /** Original value of each header an attempt may change; null: the client did not send it. */
  readonly headers: Readonly<Record<string, string | null>>;
  /** The client's body is a multipart form (an upload), after the hand-off's line (`wrapForm`). */
  readonly form?: true;
}

/** Headers any attempt may set or remove, besides those a rule's backends name (mutations, overrides). */
export const ATTEMPT_HEADERS = [
  ':authority',
  'authorization',
  'x-api-key',
  'api-key',
  'anthropic-version',
  'content-type',
  'accept-encoding',
  'x-amz-date',
  'x-amz-content-sha256',
  'x-amz-security-token',
];

/** The client's value (null: not sent) of each header an attempt for one of the rule's backends may change. */
export function originalHeaders(
  backends: readonly (Backend | undefined)[],
  requestHeaders: Readonly<Record<string, string>>,
): Handoff['headers'] {
  const keys = new Set(ATTEMPT_HEADERS);
  for (const backend of backends) {
    for (const header of backend?.headerMutation?.set ?? []) keys.add(header.name);
    for (const header of backend?.headerMutation?.remove ?? []) keys.add(header);
    for (const header of overrideHeaderNames(backend?.auth)) keys.add(header);
  }
  const headers: Record<string, string | null> = {};
  for (const key of keys) headers[key] = requestHeaders[key] ?? null;
  return headers;
}

/** The client's body (kept as sent) wrapped with the hand-off. */
export function wrapBody(raw: Buffer, handoff: Handoff): Buffer {
  return Buffer.concat([
    Buffer.from(`{"${HANDOFF_FIELD}":${JSON.stringify(handoff)},"body":`),
    raw,
    Buffer.from('}'),
  ]);
}

/**
 * An upload's form (binary, kept as sent) after one line holding the hand-off: `{"x-ai-eg-fallback":{…}}` and a
 * newline (JSON text has none of its own), then the form's bytes.
 */
export function wrapForm(raw: Buffer, handoff: Handoff): Buffer {
  const line = JSON.stringify({ [HANDOFF_FIELD]: { ...handoff, form: true } });
  return Buffer.concat([Buffer.from(`${line}\n`), raw]);
}

/** What an attempt starts from: the hand-off and the client's JSON body, or its form's bytes (an upload). */
export type Unwrapped =
  | { readonly handoff: Handoff; readonly body: Record<string, unknown>; readonly form?: undefined }
  | { readonly handoff: Handoff; readonly form: Buffer; readonly body?: undefined };

/** The hand-off and the client's body (or form), or undefined when the body is not a wrapper. */
export function unwrapAttempt(raw: Buffer): Unwrapped | undefined {
  const newline = raw.indexOf(10);
  // A form's wrapper: its first line is the whole hand-off. A JSON wrapper's first line never closes it (the
  // client's body follows the hand-off), so it does not parse as one.
  if (newline > 0) {
    const line = parseJsonObject(raw.subarray(0, newline));
    const handoff = line?.[HANDOFF_FIELD] as Handoff | undefined;
    if (isHandoff(handoff) && handoff.form === true) return { handoff, form: raw.subarray(newline + 1) };
  }
  const parsed = parseJsonObject(raw);
  if (parsed === undefined) return undefined;
  const handoff = parsed[HANDOFF_FIELD] as Handoff | undefined;
  const body = parsed.body as Record<string, unknown> | undefined;
  if (!isHandoff(handoff) || handoff.form === true) return undefined;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  return { handoff, body };
}

function isHandoff(value: unknown): value is Handoff {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Handoff).path === 'string' &&
    typeof (value as Handoff).model === 'string'
  );
}
