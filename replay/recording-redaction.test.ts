// What a recording holds in place of secret values: markers whose digest follows the value within one recording
// and tells nothing across recordings; public certificates and everything else kept; the input never changed.
import { describe, expect, it } from 'vitest';
import { RECORDED_MARKER_PREFIX, recordingRedaction, redactedObjects } from './recording-redaction.ts';

const base64 = (text: string) => Buffer.from(text).toString('base64');
const decoded = (text: string) => Buffer.from(text, 'base64').toString('utf8');

function secret(data: Record<string, string>) {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'creds', namespace: 'apps' },
    type: 'Opaque',
    data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, base64(value)])),
  };
}

describe('recordingRedaction', () => {
  it('replaces Secret data with a marker whose digest changes with the value, and keeps certificates', () => {
    const { redact } = recordingRedaction();
    const first = redact({ items: [secret({ token: 'hunter2-token', 'tls.crt': 'CERT' })] });
    const same = redact({
      type: 'watch.event',
      object: secret({ token: 'hunter2-token', 'tls.crt': 'CERT' }),
    });
    const changed = redact({
      type: 'watch.event',
      object: secret({ token: 'hunter3-token', 'tls.crt': 'CERT' }),
    });
    const marker = decoded(first.items[0]!.data.token!);
    expect(marker).toMatch(/^\[REDACTED digest:[0-9a-f]{20}\]$/);
    expect(decoded(same.object.data.token!)).toBe(marker);
    expect(decoded(changed.object.data.token!)).not.toBe(marker);
    expect(decoded(first.items[0]!.data['tls.crt']!)).toBe('CERT');
    expect(JSON.stringify([first, same, changed])).not.toContain('hunter');
  });

  it('draws a key per recording: the same value has another digest in another recording', () => {
    const a = recordingRedaction().redact(secret({ password: 'correct horse' }));
    const b = recordingRedaction().redact(secret({ password: 'correct horse' }));
    expect(a.data.password).not.toBe(b.data.password);
  });

  it('keeps the names, sections and users of a file of lines', () => {
    const { redact } = recordingRedaction();
    const aws = '[default]\naws_access_key_id = AKIAEXAMPLE000000001\naws_secret_access_key = s3cr3t-value\n';
    const shown = decoded(
      redact(secret({ credentials: aws, '.htpasswd': `alice:{SHA}${'abcdefgh'.repeat(3)}abc=\n` })).data
        .credentials!,
    );
    expect(shown).toMatch(
      /^\[default\]\naws_access_key_id = \[REDACTED digest:\w+\]\naws_secret_access_key = \[REDACTED digest:\w+\]\n$/,
    );
    const htpasswd = decoded(
      redact(secret({ '.htpasswd': `alice:{SHA}${'abcdefgh'.repeat(3)}abc=\n` })).data['.htpasswd']!,
    );
    // A SHA-1 hash keeps its shape (so the file still parses on replay), not its value.
    expect(htpasswd).toMatch(/^alice:\{SHA\}[A-Za-z0-9+/]{27}=\n$/);
    expect(htpasswd).not.toContain('abcdefgh');
  });

  it('redacts inline keys, credential-named strings and secret-shaped text, not references', () => {
    const { redact } = recordingRedaction();
    const input = {
      mcp: {
        kind: 'MCPRoute',
        metadata: { name: 'tools', namespace: 'apps' },
        spec: { backendRefs: [{ name: 'web', securityPolicy: { apiKey: { inline: 'inline-key-0001' } } }] },
      },
      token: { accessToken: 'ya29.access-token-0002', expiresInMs: 3_600_000 },
      policy: { spec: { oidc: { clientSecret: { name: 'oidc' } } } },
      error: 'GET https://api/ failed: Authorization: Bearer abcdefghijklmnop',
    };
    const before = JSON.stringify(input);
    const out = JSON.stringify(redact(input));
    expect(JSON.stringify(input)).toBe(before);
    for (const value of ['inline-key-0001', 'ya29.access-token-0002', 'abcdefghijklmnop'])
      expect(out).not.toContain(value);
    expect(out).toContain('"clientSecret":{"name":"oidc"}');
    expect(out).toContain('"expiresInMs":3600000');
  });

  it('shares what holds no secret: a record without one is the same object', () => {
    const route = { kind: 'HTTPRoute', metadata: { name: 'r' }, spec: { hostnames: ['a.example.com'] } };
    expect(recordingRedaction().redact({ items: [route] }).items[0]).toBe(route);
  });
});

it('redactedObjects names each object a recording holds markers for', () => {
  const { redact } = recordingRedaction();
  const records = [
    redact({
      kind: 'effect',
      result: { items: [secret({ token: 'abc-def-ghi' }), { kind: 'Service', metadata: { name: 'web' } }] },
    }),
  ];
  expect(JSON.stringify(records)).not.toContain(RECORDED_MARKER_PREFIX);
  expect(redactedObjects(records)).toEqual(['Secret apps/creds']);
});
