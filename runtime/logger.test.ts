import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED, silentLogger } from './logger.ts';

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

  it('redacts secret-looking values in every string of a line: fields, the message, its arguments, errors', async () => {
    const { lines, logger } = capture();
    const error = new Error('GET https://alice:s3cr3t@idp.example.com/jwks: 401');
    logger.warn(
      {
        err: error,
        nack: 'envoy refused: api_key: k-123 header Authorization: Bearer sk-live-123456',
        upstream: ['redis://default:pa55word@127.0.0.1:6379'],
        pem: '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----',
      },
      'upstream said %s',
      'token=abc123 for AKIAIOSFODNN7EXAMPLE',
    );
    logger.info('calling with Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig');
    await new Promise((resolve) => setImmediate(resolve));
    const text = JSON.stringify(lines);
    for (const planted of [
      's3cr3t',
      'sk-live-123456',
      'pa55word',
      'MHcCAQEEIB',
      'abc123',
      'AKIAIOSFODNN7EXAMPLE',
      'eyJhbGci',
    ])
      expect(text).not.toContain(planted);
    expect(lines[0]).toMatchObject({
      msg: `upstream said token=${REDACTED} for ${REDACTED}`,
      err: { type: 'Error', message: `GET https://alice:${REDACTED}@idp.example.com/jwks: 401` },
      upstream: [`redis://default:${REDACTED}@127.0.0.1:6379`],
    });
    expect((lines[0]!.err as { stack: string }).stack).toContain('logger.test.ts');
    expect(lines[1]).toMatchObject({ msg: `calling with Bearer ${REDACTED}` });
  });
});

describe('a silent logger', () => {
  it("answers what the code asks of a logger as pino's at level silent does, without pino", async () => {
    const silent = createLogger({ level: 'silent' });
    const lines: unknown[] = [];
    // With a destination, createLogger gives pino's own.
    const pinoSilent = createLogger({ level: 'silent', destination: sink(lines) });
    for (const logger of [silent, silentLogger(), pinoSilent]) {
      const child = logger.child({ actor: 'a' }).child({ more: 1 });
      for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const)
        child[level]({ x: 1 }, 'm');
      expect(child.level).toBe('silent');
      expect(child.isLevelEnabled('error')).toBe(false);
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
    }
    expect(lines).toEqual([]);
  });
});

function sink(lines: unknown[]) {
  return new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
}
