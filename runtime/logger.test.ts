import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED } from './logger.ts';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'info', destination }) };
}

describe('createLogger', () => {
  it('redacts secret-named fields at any depth and the data of Secrets', async () => {
    const { lines, logger } = capture();
    const child = logger.child({ actor: 'secrets-resolver' });
    child.info(
      {
        token: 'tok-123',
        upstream: { apiKey: 'sk-live', headers: { authorization: 'Bearer abc', accept: 'json' } },
        tls: { 'tls.key': 'PEM' },
        password: 'hunter2',
        resource: {
          kind: 'Secret',
          metadata: { name: 'cert' },
          data: { 'tls.key': 'a2V5' },
          stringData: { x: 'y' },
        },
      },
      'resolved',
    );
    await new Promise((resolve) => setImmediate(resolve));
    const text = JSON.stringify(lines);
    for (const planted of ['tok-123', 'sk-live', 'Bearer abc', 'hunter2', 'a2V5', 'PEM'])
      expect(text).not.toContain(planted);
    expect(lines[0]).toMatchObject({
      actor: 'secrets-resolver',
      token: REDACTED,
      upstream: { apiKey: REDACTED, headers: { authorization: REDACTED, accept: 'json' } },
      resource: { metadata: { name: 'cert' }, data: REDACTED, stringData: REDACTED },
      msg: 'resolved',
    });
  });
});
