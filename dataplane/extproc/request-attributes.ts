// What Envoy sends beside the headers and body of a request: the attributes the route sets for this service
// (the backend of a fallback attempt, the listener's body limit) and the dynamic metadata it forwards.
import type { CredentialSources } from './backend-auth.ts';
import { BACKEND_ATTRIBUTE, BODY_LIMIT_ATTRIBUTE, EXT_PROC_ATTRIBUTES_KEY } from './fallback-handoff.ts';
import { type HttpBody, type ProcessingRequest, protoValue } from './processing-messages.ts';

const NO_BYTES = Buffer.alloc(0);

/** protobufjs decodes an empty `bytes` field as an empty plain array, not a Uint8Array. */
export function bodyBytes(message: HttpBody): Uint8Array {
  const body = message.body;
  return body instanceof Uint8Array ? body : NO_BYTES;
}

/** The backend Envoy picked for this attempt, when the stream is the upstream filter's. */
export function attemptBackend(request: ProcessingRequest): string | undefined {
  const value = request.attributes?.[EXT_PROC_ATTRIBUTES_KEY]?.fields?.[BACKEND_ATTRIBUTE];
  const name = protoValue(value);
  return typeof name === 'string' && name !== '' ? name : undefined;
}

/**
 * The request body limit of the listener the request came in on, when Envoy names one: decimal digits (a string,
 * as Envoy prints a number attribute in six significant digits).
 */
export function listenerBodyLimit(request: ProcessingRequest): number | undefined {
  const value = protoValue(request.attributes?.[EXT_PROC_ATTRIBUTES_KEY]?.fields?.[BODY_LIMIT_ATTRIBUTE]);
  if (typeof value !== 'string' || !/^[1-9][0-9]{0,15}$/.test(value)) return undefined;
  const limit = Number(value);
  return Number.isSafeInteger(limit) ? limit : undefined;
}

/** Dynamic metadata Envoy forwarded, as plain values per namespace. */
export function forwardedMetadata(request: ProcessingRequest): CredentialSources['metadata'] {
  const namespaces = request.metadata_context?.filter_metadata;
  if (namespaces === undefined || namespaces === null) return {};
  const out: Record<string, Record<string, unknown>> = {};
  for (const [namespace, struct] of Object.entries(namespaces)) {
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(struct.fields ?? {})) fields[key] = protoValue(value);
    out[namespace] = fields;
  }
  return out;
}
