// HTTP header names, header values and hostnames as the data planes and the Gateway API CRDs accept them. A value
// Envoy's validation refuses makes it NACK the whole route configuration, so the model refuses it per rule first.
// Each function answers why the value is refused (a phrase to follow the field's name), or undefined.

/** RFC 9110 token characters: the Gateway API's HTTPHeaderName pattern. */
const TOKEN = /^[A-Za-z0-9!#$%&'*+\-.^_`|~]+$/;
/** The Gateway API's HTTPHeaderName maxLength. */
const MAX_NAME_LENGTH = 256;
/** The Gateway API's HTTPHeader value maxLength (Envoy's own bound is 16384 bytes). */
const MAX_VALUE_LENGTH = 4096;
/** Envoy's HTTP_HEADER_VALUE rule (`strict: false`): no NUL, CR or LF anywhere. */
const CONTROL = /[\0\r\n]/;
/** The Gateway API's PreciseHostname pattern (lower case, no wildcard). */
const PRECISE_HOSTNAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A header or query parameter name. */
export function headerNameError(name: unknown): string | undefined {
  if (typeof name !== 'string' || name === '') return 'required';
  if (name.length > MAX_NAME_LENGTH) return `longer than ${MAX_NAME_LENGTH} characters`;
  if (!TOKEN.test(name)) {
    const bad = [...name].find((c) => !TOKEN.test(c)) as string;
    return `${JSON.stringify(name)} is not a header name: ${JSON.stringify(bad)} is not a token character (RFC 9110)`;
  }
  return undefined;
}

/**
 * A header a modifier sets, adds or removes: a valid name that is neither a pseudo-header (`:path`) nor `host`,
 * which Envoy refuses to modify (`:-prefixed or host headers may not be modified`).
 */
export function modifiedHeaderNameError(name: unknown): string | undefined {
  if (typeof name === 'string' && (name.startsWith(':') || name.toLowerCase() === 'host'))
    return `${JSON.stringify(name)}: :-prefixed or host headers may not be modified (Envoy); rewrite the host with a URLRewrite filter's hostname`;
  return headerNameError(name);
}

/** A header value: no NUL, CR or LF (a header could be injected), at most 4096 characters. */
export function headerValueError(value: unknown, required = true): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (required && value === '') return 'required';
  if (value.length > MAX_VALUE_LENGTH) return `longer than ${MAX_VALUE_LENGTH} characters`;
  if (CONTROL.test(value)) return 'must not contain NUL, CR or LF characters';
  return undefined;
}

/** A hostname a redirect or rewrite sends (a Host header value): a precise DNS name. */
export function preciseHostnameError(hostname: unknown): string | undefined {
  if (typeof hostname !== 'string' || hostname === '') return 'must be a non-empty string';
  if (hostname.length > 253 || !PRECISE_HOSTNAME.test(hostname))
    return `${JSON.stringify(hostname)} is not a lower-case DNS name without wildcard`;
  return undefined;
}

/** A path a redirect or rewrite sends: no NUL, CR or LF (Envoy), at most 1024 characters (the CRD). */
export function pathValueError(path: unknown): string | undefined {
  if (typeof path !== 'string') return 'must be a string';
  if (path.length > 1024) return 'longer than 1024 characters';
  if (CONTROL.test(path)) return 'must not contain NUL, CR or LF characters';
  return undefined;
}
