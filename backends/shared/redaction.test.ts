import { describe, expect, it } from 'vitest';
import { REDACTED_KEY, redactKeys } from './redaction.ts';

describe('redactKeys', () => {
  it('replaces private keys, inline or not, at any depth and leaves everything else', () => {
    const resources = {
      secrets: {
        a: {
          tlsCertificate: { certificateChain: { inlineString: 'CERT' }, privateKey: { inlineString: 'KEY' } },
        },
      },
      list: [{ private_key: 'KEY' }, { name: 'n' }],
    };
    expect(redactKeys(resources)).toEqual({
      secrets: {
        a: {
          tlsCertificate: {
            certificateChain: { inlineString: 'CERT' },
            privateKey: { inlineString: REDACTED_KEY },
          },
        },
      },
      list: [{ private_key: REDACTED_KEY }, { name: 'n' }],
    });
    expect(resources.secrets.a.tlsCertificate.privateKey.inlineString).toBe('KEY');
  });
});
