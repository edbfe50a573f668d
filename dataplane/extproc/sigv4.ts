// AWS Signature Version 4 (header form) over the translated request, written with node:crypto.
import { createHmac, createSecretKey, hash, type KeyObject } from 'node:crypto';

export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface SigV4Request {
  readonly method: string;
  readonly host: string;
  /** Path and query exactly as sent (path segments already percent-encoded once). */
  readonly path: string;
  /** Extra headers to sign (e.g. content-type); host and x-amz-* are added. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
  readonly region: string;
  readonly service: string;
  /** Milliseconds since the epoch: the signing time. */
  readonly time: number;
}

/** RFC 3986 unreserved characters stay; everything else is %XX (uppercase), as SigV4 requires. */
export function awsUriEncode(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** Non-S3 services sign each path segment encoded again (so `%3A` in the path is signed as `%253A`). */
export function canonicalUri(path: string): string {
  const [pathname = '/'] = path.split('?', 1);
  return pathname.split('/').map(awsUriEncode).join('/') || '/';
}

export function canonicalQuery(path: string): string {
  const at = path.indexOf('?');
  if (at < 0) return '';
  const pairs = [...new URLSearchParams(path.slice(at + 1))].map(
    ([k, v]) => [awsUriEncode(k), awsUriEncode(v)] as const,
  );
  pairs.sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** One-shot: no Hash object per call (two hashes per signed request, the body's and the canonical request's). */
export function sha256Hex(data: string | Uint8Array): string {
  return hash('sha256', data, 'hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

/** The second formatted last: requests signed within one second share it. */
let datedSecond = Number.NaN;
let dated = '';

/** 20260101T000000Z */
export function amzDate(time: number): string {
  const second = Math.floor(time / 1000);
  if (second !== datedSecond) {
    datedSecond = second;
    dated = new Date(second * 1000)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
  }
  return dated;
}

export function canonicalRequest(
  method: string,
  path: string,
  headers: Readonly<Record<string, string>>,
  signedHeaders: readonly string[],
  payloadHash: string,
): string {
  const canonicalHeaders = signedHeaders
    .map((name) => `${name}:${(headers[name] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  return `${method}\n${canonicalPathAndQuery(path)}\n${canonicalHeaders}\n${signedHeaders.join(';')}\n${payloadHash}`;
}

/**
 * The canonical path and query of a request path, encoded once per path: a backend is called at a few paths (its
 * model, streamed or not), and encoding each segment again was a tenth of signing. Emptied past
 * `CANONICAL_PATHS_KEPT`, as the signing keys are.
 */
const canonicalPaths = new Map<string, string>();
const CANONICAL_PATHS_KEPT = 256;

function canonicalPathAndQuery(path: string): string {
  let canonical = canonicalPaths.get(path);
  if (canonical === undefined) {
    if (canonicalPaths.size >= CANONICAL_PATHS_KEPT) canonicalPaths.clear();
    canonical = `${canonicalUri(path)}\n${canonicalQuery(path)}`;
    canonicalPaths.set(path, canonical);
  }
  return canonical;
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

/**
 * The signing key as a KeyObject, derived once per secret, day, region and service (as the AWS SDKs cache it):
 * deriving it is four HMACs, and an HMAC keyed by a Buffer makes a key object each time — together ~60 µs of a
 * request's CPU, where one HMAC keyed by a ready KeyObject is ~2 µs. A new day (or secret) derives a new key; the
 * cache is emptied when it holds more than `SIGNING_KEYS_KEPT` (old days, rotated secrets).
 */
const signingKeys = new Map<string, KeyObject>();
const SIGNING_KEYS_KEPT = 256;

function cachedSigningKey(secret: string, day: string, region: string, service: string): KeyObject {
  const id = `${day}\n${region}\n${service}\n${secret}`;
  let key = signingKeys.get(id);
  if (key === undefined) {
    if (signingKeys.size >= SIGNING_KEYS_KEPT) signingKeys.clear();
    key = createSecretKey(signingKey(secret, day, region, service));
    signingKeys.set(id, key);
  }
  return key;
}

/** The headers to add to the request: authorization, x-amz-date, x-amz-content-sha256 and the session token. */
export function signSigV4(request: SigV4Request, credentials: AwsCredentials): Record<string, string> {
  const date = amzDate(request.time);
  const day = date.slice(0, 8);
  const payloadHash = sha256Hex(request.body);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
  headers.host = request.host;
  headers['x-amz-date'] = date;
  headers['x-amz-content-sha256'] = payloadHash;
  if (credentials.sessionToken !== undefined) headers['x-amz-security-token'] = credentials.sessionToken;
  const signed = Object.keys(headers).sort();
  const scope = `${day}/${request.region}/${request.service}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    date,
    scope,
    sha256Hex(canonicalRequest(request.method, request.path, headers, signed, payloadHash)),
  ].join('\n');
  const signature = createHmac(
    'sha256',
    cachedSigningKey(credentials.secretAccessKey, day, request.region, request.service),
  )
    .update(stringToSign)
    .digest('hex');
  const added: Record<string, string> = {
    authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`,
    'x-amz-date': date,
    'x-amz-content-sha256': payloadHash,
  };
  if (credentials.sessionToken !== undefined) added['x-amz-security-token'] = credentials.sessionToken;
  return added;
}
