import { expect, test } from 'vitest';
import {
  EXTPROC_CONFIG_SECRET_KEY,
  extProcConfigSecret,
  parseSecretTarget,
} from './extproc-config-writer.ts';

test('--extproc-config-secret takes <namespace>/<name> and names the expected shape otherwise', () => {
  expect(parseSecretTarget('switchyard-system/ai-config')).toEqual({
    namespace: 'switchyard-system',
    name: 'ai-config',
  });
  for (const bad of ['ai-config', 'a/b/c', 'Upper/name', 'ns/', '/name', 'ns/under_score']) {
    expect(() => parseSecretTarget(bad), bad).toThrow(`'${bad}' is not <namespace>/<name> of a Secret`);
  }
});

test('the Secret carries the document under one key, base64, as an Opaque Secret', () => {
  const secret = extProcConfigSecret({ namespace: 'ns', name: 'cfg' }, 'rules: []\n# ünïcode\n') as {
    metadata: { namespace: string; name: string };
    type: string;
    data: Record<string, string>;
  };
  expect(secret.metadata).toMatchObject({ namespace: 'ns', name: 'cfg' });
  expect(secret.type).toBe('Opaque');
  expect(Object.keys(secret.data)).toEqual([EXTPROC_CONFIG_SECRET_KEY]);
  expect(Buffer.from(secret.data[EXTPROC_CONFIG_SECRET_KEY]!, 'base64').toString('utf8')).toBe(
    'rules: []\n# ünïcode\n',
  );
});
