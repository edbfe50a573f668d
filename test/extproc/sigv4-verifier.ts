// An independent AWS SigV4 verifier for the fake Bedrock: recomputes the signature from the request as
// the upstream received it (written from AWS's published algorithm, separately from the signer).
import { createHash, createHmac } from 'node:crypto';
import type { ReceivedRequest } from './fake-providers.ts';

const encode = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256 = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** Throws, saying what differs, unless `request` carries a valid signature by `secret`. */
export function verifySigV4(
  request: ReceivedRequest,
  secret: string,
): { accessKeyId: string; region: string; service: string } {
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      request.headers.authorization ?? '',
    );
  if (match === null) throw new Error(`not a SigV4 authorization header: ${request.headers.authorization}`);
  const [, accessKeyId, day, region, service, signedHeaders, signature] = match as unknown as string[];
  const date = request.headers['x-amz-date'] ?? '';
  if (!date.startsWith(day!)) throw new Error(`x-amz-date ${date} is not in the credential scope day ${day}`);
  const payloadHash = sha256(request.body);
  if (
    request.headers['x-amz-content-sha256'] !== undefined &&
    request.headers['x-amz-content-sha256'] !== payloadHash
  ) {
    throw new Error('x-amz-content-sha256 does not match the body received');
  }
  const [pathname = '', query = ''] = request.path.split('?');
  const canonicalQuery = query
    .split('&')
    .filter(Boolean)
    .map((pair) =>
      pair
        .split('=')
        .map((part) => encode(decodeURIComponent(part)))
        .join('='),
    )
    .sort()
    .join('&');
  const canonicalPath = pathname.split('/').map(encode).join('/');
  const names = signedHeaders!.split(';');
  if (!names.includes('host')) throw new Error('host is not signed');
  const canonicalHeaders = names.map((name) => `${name}:${(request.headers[name] ?? '').trim()}\n`).join('');
  const canonical = [
    'POST',
    canonicalPath,
    canonicalQuery,
    canonicalHeaders,
    signedHeaders,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day!), region!), service!), 'aws4_request');
  const expected = createHmac('sha256', key)
    .update(['AWS4-HMAC-SHA256', date, scope, sha256(canonical)].join('\n'))
    .digest('hex');
  if (expected !== signature)
    throw new Error(`SigV4 signature mismatch for canonical request:\n${canonical}`);
  return { accessKeyId: accessKeyId!, region: region!, service: service! };
}
