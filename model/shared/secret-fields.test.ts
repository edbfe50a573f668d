import { describe, expect, it } from 'vitest';
import {
  REDACTED,
  REDACTED_KEY,
  redactShown,
  SECRET_FIELDS,
  type SecretField,
  secretValuesOf,
} from './secret-fields.ts';

/** An object carrying `secret` at the entry's place, beside a value that is no secret. */
function carrying(entry: SecretField, secret: string): Record<string, unknown> {
  let inner: unknown = secret;
  for (const step of [...entry.path].reverse()) inner = { [step === '*' ? 'any' : step]: inner };
  const carried = inner as Record<string, unknown>;
  const carrier = entry.carrier;
  if ('kind' in carrier) return { apiVersion: 'v1', kind: carrier.kind, ...carried, shown: 'plain' };
  if ('type' in carrier)
    return { typedConfig: { '@type': `type.googleapis.com/${carrier.type}`, ...carried, shown: 'plain' } };
  return { outer: { [carrier.field]: carried, shown: 'plain' } };
}

describe('redactShown', () => {
  it.each(SECRET_FIELDS.map((entry, i) => [`${i}: ${entry.what}`, entry] as const))(
    'redacts %s and nothing beside it',
    (_, entry) => {
      const secret = `s3cret-value-${entry.path.join('.')}`;
      const input = carrying(entry, secret);
      const shown = JSON.stringify(redactShown(input));
      expect(shown).not.toContain(secret);
      expect(shown).toMatch(/\[REDACTED(: private key)?\]/);
      expect(shown).toContain('"shown":"plain"');
      expect(JSON.stringify(input)).toContain(secret);
    },
  );

  it('reaches list items with *, keeps DataSource shapes and the names of Secret keys', () => {
    const shown = redactShown({
      secrets: {
        a: {
          name: 'a',
          tlsCertificate: { certificateChain: { inlineString: 'CERT' }, privateKey: { inlineString: 'KEY' } },
        },
      },
      transportSocket: {
        typedConfig: {
          commonTlsContext: {
            tlsCertificates: [{ privateKey: { filename: '/k' }, certificateChain: { inlineString: 'C2' } }],
          },
        },
      },
      objects: [{ apiVersion: 'v1', kind: 'Secret', data: { password: 'aGk=' } }],
    });
    expect(shown).toEqual({
      secrets: {
        a: {
          name: 'a',
          tlsCertificate: {
            certificateChain: { inlineString: 'CERT' },
            privateKey: { inlineString: REDACTED_KEY },
          },
        },
      },
      transportSocket: {
        typedConfig: {
          commonTlsContext: {
            tlsCertificates: [
              { privateKey: { filename: REDACTED_KEY }, certificateChain: { inlineString: 'C2' } },
            ],
          },
        },
      },
      objects: [{ apiVersion: 'v1', kind: 'Secret', data: { password: REDACTED } }],
    });
  });

  it("shows a policy's reference to a Secret where the IR's same-named field holds the value", () => {
    const spec = {
      oidc: { clientSecret: { name: 'oidc' } },
      credentialInjection: { credential: { valueRef: { name: 't' } } },
    };
    expect(redactShown({ kind: 'SecurityPolicy', spec })).toEqual({ kind: 'SecurityPolicy', spec });
  });

  it('replaces any string holding a secret value of the inputs, in a field no table lists (fail closed)', () => {
    const inputs = [
      {
        kind: 'Secret',
        data: {
          token: Buffer.from('tok-123456').toString('base64'),
          'tls.crt': Buffer.from('PUBLIC-CERT').toString('base64'),
        },
        stringData: { credentials: '[default]\naws_secret_access_key = AWS-SECRET-9\n' },
      },
      {
        kind: 'MCPRoute',
        spec: { backendRefs: [{ securityPolicy: { apiKey: { inline: 'inline-key-1' } } }] },
      },
      { kind: 'Service', spec: { clusterIP: '10.0.0.1' } },
    ];
    const values = secretValuesOf(inputs);
    const shown = redactShown(
      {
        headers: [{ key: 'authorization', value: 'Bearer tok-123456' }],
        signing: { secret: 'AWS-SECRET-9' },
        query: 'k=inline-key-1',
        certificate: 'PUBLIC-CERT',
        pem: '-----BEGIN EC PRIVATE KEY-----\nMHc\n-----END EC PRIVATE KEY-----\n',
        service: '10.0.0.1',
      },
      values,
    );
    expect(shown).toEqual({
      headers: [{ key: 'authorization', value: REDACTED }],
      signing: { secret: REDACTED },
      query: REDACTED,
      certificate: 'PUBLIC-CERT',
      pem: REDACTED,
      service: '10.0.0.1',
    });
  });
});
