import { describe, expect, it } from 'vitest';
import { REDACTED, redactText } from './secret-text.ts';

const PEM_BODY = 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\nq2Fz9xYk1hZ3lVq0bQ==';

describe('redactText', () => {
  // [what, text, expected]: each secret is gone, what says what it was stays.
  const cases: [string, string, string][] = [
    [
      'a bearer token',
      'calling upstream with Bearer sk-abc123DEF456ghi',
      `calling upstream with Bearer ${REDACTED}`,
    ],
    [
      'an Authorization header line',
      'request headers: authorization: Basic dXNlcjpodW50ZXIy\naccept: */*',
      `request headers: authorization: ${REDACTED}\naccept: */*`,
    ],
    [
      'an Authorization header in JSON text, any scheme',
      '{"Authorization":"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"}',
      `{"Authorization":"${REDACTED}"}`,
    ],
    [
      'a Proxy-Authorization header',
      'Proxy-Authorization: Negotiate YIIJvwYGKwYBBQUCoIIJszCCCa',
      `Proxy-Authorization: ${REDACTED}`,
    ],
    [
      'a PEM private key block',
      `key:\n-----BEGIN RSA PRIVATE KEY-----\n${PEM_BODY}\n-----END RSA PRIVATE KEY-----\ncert follows`,
      `key:\n-----BEGIN RSA PRIVATE KEY-----${REDACTED}-----END RSA PRIVATE KEY-----\ncert follows`,
    ],
    [
      'a PEM private key cut short',
      `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}`,
      `-----BEGIN PRIVATE KEY-----${REDACTED}`,
    ],
    [
      'an encrypted PKCS#8 key',
      `-----BEGIN ENCRYPTED PRIVATE KEY-----\n${PEM_BODY}\n-----END ENCRYPTED PRIVATE KEY-----`,
      `-----BEGIN ENCRYPTED PRIVATE KEY-----${REDACTED}-----END ENCRYPTED PRIVATE KEY-----`,
    ],
    ['an AWS access key id', 'using key AKIAIOSFODNN7EXAMPLE for s3', `using key ${REDACTED} for s3`],
    ['a temporary AWS access key id', 'ASIAY34FZKBOKMUTVV7A expired', `${REDACTED} expired`],
    [
      'an AWS secret key in an env line',
      'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      `AWS_SECRET_ACCESS_KEY=${REDACTED}`,
    ],
    [
      'an AWS secret key in an ini file',
      'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      `aws_secret_access_key = ${REDACTED}`,
    ],
    [
      'an AWS secret key in JSON',
      '{"SecretAccessKey":"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY","Expiration":"2026-12-07"}',
      `{"SecretAccessKey":"${REDACTED}","Expiration":"2026-12-07"}`,
    ],
    [
      'an AWS session token in a query string',
      'GET /?X-Amz-Security-Token=IQoJb3JpZ2luX2VjEJr%2F%2F%2F&X-Amz-Date=20261207',
      `GET /?X-Amz-Security-Token=${REDACTED}&X-Amz-Date=20261207`,
    ],
    [
      'basic-auth userinfo in a URL',
      'fetch https://alice:s3cr3t@auth.example.com/jwks failed',
      `fetch https://alice:${REDACTED}@auth.example.com/jwks failed`,
    ],
    [
      'userinfo in a Redis URL',
      'connect redis://default:pa55word@127.0.0.1:6379/0',
      `connect redis://default:${REDACTED}@127.0.0.1:6379/0`,
    ],
    [
      'a JSON Web Token on its own',
      'token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl rejected',
      `token ${REDACTED} rejected`,
    ],
    [
      'secrets as name=value in a query string',
      'GET /cb?code=1&client_secret=abc&api_key=k-123&access_token=xyz',
      `GET /cb?code=1&client_secret=${REDACTED}&api_key=${REDACTED}&access_token=${REDACTED}`,
    ],
    [
      'a password in a connection string',
      'host=db user=app password=hunter2 sslmode=require',
      `host=db user=app password=${REDACTED} sslmode=require`,
    ],
  ];
  it.each(cases)('redacts %s', (_what, text, expected) => {
    expect(redactText(text)).toBe(expected);
  });

  // What looks near a secret but is not one stays as it was (and the same string is returned).
  const kept = [
    'the route uses basic authentication and a bearer scheme',
    'http://127.0.0.1:8080/path@v1 and https://example.com/a:b@c',
    'listener http:80 refused: port 80 in use',
    '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
    'sha1 0123456789abcdef0123456789abcdef01234567',
    'spec.rules[0].filters[0].requestHeaderModifier.set[0].name: Invalid value: "authorization-mode"',
    'mailto:alice@example.com',
    '',
  ];
  it.each(kept)('keeps %j', (text) => {
    expect(redactText(text)).toBe(text);
  });
});
