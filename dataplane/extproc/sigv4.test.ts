import { createHmac } from 'node:crypto';
import { expect, test } from 'vitest';
import {
  amzDate,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  sha256Hex,
  signingKey,
  signSigV4,
} from './sigv4.ts';

// The worked example of AWS's Signature Version 4 documentation (IAM ListUsers, 2015-08-30).
test("reproduces the signature of AWS's documented example", () => {
  const headers = {
    'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    host: 'iam.amazonaws.com',
    'x-amz-date': '20150830T123600Z',
  };
  const canonical = canonicalRequest(
    'GET',
    '/?Action=ListUsers&Version=2010-05-08',
    headers,
    ['content-type', 'host', 'x-amz-date'],
    sha256Hex(''),
  );
  expect(sha256Hex(canonical)).toBe('f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59');
  const key = signingKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20150830', 'us-east-1', 'iam');
  expect(key.toString('hex')).toBe('c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9');
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    '20150830T123600Z',
    '20150830/us-east-1/iam/aws4_request',
    sha256Hex(canonical),
  ].join('\n');
  expect(createHmac('sha256', key).update(stringToSign).digest('hex')).toBe(
    '5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
  );
});

// AWS's S3 "GET Object" example (Signature Calculations for the Authorization Header, payload in a single chunk),
// the documented signature reproduced by signSigV4 itself: payload hash header, canonical request, key and HMAC.
// Signed twice: the second time the date, the canonical path and the signing key come from what the first kept.
test("signSigV4 reproduces AWS's documented S3 GET Object signature, fresh and from its caches", () => {
  for (let i = 0; i < 2; i++) {
    const headers = signSigV4(
      {
        method: 'GET',
        host: 'examplebucket.s3.amazonaws.com',
        path: '/test.txt',
        headers: { Range: 'bytes=0-9' },
        body: '',
        region: 'us-east-1',
        service: 's3',
        time: Date.UTC(2013, 4, 24),
      },
      { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    );
    expect(headers).toEqual({
      authorization:
        'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
      'x-amz-date': '20130524T000000Z',
      'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
  }
});

test('encodes path segments a second time and sorts the query', () => {
  expect(canonicalUri('/model/anthropic.claude-v2%3A1/converse')).toBe(
    '/model/anthropic.claude-v2%253A1/converse',
  );
  expect(canonicalQuery('/x?b=2&a=1&a=0&c=x y')).toBe('a=0&a=1&b=2&c=x%20y');
  expect(amzDate(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe('20260102T030405Z');
  // The second formatted last is kept: another time within it gives it, the next second a new one.
  expect(amzDate(Date.UTC(2026, 0, 2, 3, 4, 5, 999))).toBe('20260102T030405Z');
  expect(amzDate(Date.UTC(2026, 0, 2, 3, 4, 6))).toBe('20260102T030406Z');
});

test('signs host, date, payload hash, content type and the session token', () => {
  const headers = signSigV4(
    {
      method: 'POST',
      host: 'bedrock-runtime.us-east-1.amazonaws.com',
      path: '/model/m/converse',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
      region: 'us-east-1',
      service: 'bedrock',
      time: Date.UTC(2026, 0, 1),
    },
    { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' },
  );
  expect(headers['x-amz-date']).toBe('20260101T000000Z');
  expect(headers['x-amz-content-sha256']).toBe(sha256Hex('{}'));
  expect(headers['x-amz-security-token']).toBe('token');
  expect(headers.authorization).toMatch(
    /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20260101\/us-east-1\/bedrock\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
  );
});

test('the signing key kept per day, region, service and secret signs as a freshly derived one', () => {
  const request = (time: number, region = 'us-east-1') => ({
    method: 'POST',
    host: 'bedrock-runtime.us-east-1.amazonaws.com',
    path: '/model/m/converse',
    headers: { 'content-type': 'application/json' },
    body: '{}',
    region,
    service: 'bedrock',
    time,
  });
  const signatureOf = (headers: Record<string, string>) => headers.authorization!.split('Signature=')[1];
  const expected = (time: number, secret: string, region = 'us-east-1') => {
    const date = amzDate(time);
    const signed = ['content-type', 'host', 'x-amz-content-sha256', 'x-amz-date'];
    const headers = {
      'content-type': 'application/json',
      host: 'bedrock-runtime.us-east-1.amazonaws.com',
      'x-amz-content-sha256': sha256Hex('{}'),
      'x-amz-date': date,
    };
    const canonical = canonicalRequest('POST', '/model/m/converse', headers, signed, sha256Hex('{}'));
    const scope = `${date.slice(0, 8)}/${region}/bedrock/aws4_request`;
    const stringToSign = ['AWS4-HMAC-SHA256', date, scope, sha256Hex(canonical)].join('\n');
    return createHmac('sha256', signingKey(secret, date.slice(0, 8), region, 'bedrock'))
      .update(stringToSign)
      .digest('hex');
  };
  const day1 = Date.parse('2026-12-07T23:59:59Z');
  const day2 = Date.parse('2026-12-08T00:00:01Z');
  const credentials = { accessKeyId: 'AKID', secretAccessKey: 'secret-1' };
  for (const [time, secret, region] of [
    [day1, 'secret-1', 'us-east-1'],
    [day1, 'secret-1', 'us-east-1'],
    [day2, 'secret-1', 'us-east-1'],
    [day1, 'secret-2', 'us-east-1'],
    [day1, 'secret-1', 'eu-west-1'],
  ] as const) {
    const headers = signSigV4(request(time, region), { ...credentials, secretAccessKey: secret });
    expect(signatureOf(headers)).toBe(expected(time, secret, region));
  }
});
