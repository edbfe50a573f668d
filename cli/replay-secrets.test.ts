// `switchyard replay` as users run it (a child process) on a log recorded from a plane that read every kind of
// secret, kept as `--record-secrets` keeps them (cli/record-secrets.test.ts for the default, which keeps none):
// the log holds them, what replay prints — statuses and the Gateway IR — does not.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { attachRecorder } from '../replay/composition.ts';
import { createLogger } from '../runtime/logger.ts';
import { createControlPlane } from './control-plane.ts';
import { secretFixture } from './testdata/secret-fixture.ts';
import { spawnCli } from './testdata/spawn-cli.ts';

const fixture = secretFixture();
const logDir = mkdtempSync(join(tmpdir(), 'switchyard-replay-secrets-'));
afterAll(() => rmSync(logDir, { recursive: true, force: true }));

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 4_000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error(`gave up waiting for ${what}`);
}

it('prints no secret of the log it replays, in statuses or the IR', async () => {
  const logFile = join(logDir, 'events.jsonl');
  const plane = createControlPlane({
    logger: createLogger({ level: 'silent' }),
    files: { paths: [fixture.dir], watch: false },
    flushDelayMs: 20,
  });
  const recorder = attachRecorder(plane.system, {
    file: logFile,
    maxBytes: 16 * 1024 * 1024,
    secrets: 'keep',
  });
  plane.system.start();
  await until(
    () => plane.store.get('MCPRoute', 'apps', 'tools')?.status !== undefined && plane.system.idle,
    'the plane to read the manifests and come to rest',
  );
  plane.close();
  await plane.system.stop(5_000);
  recorder.close();
  // The log carries the secrets: replay rebuilds what the plane computed from them.
  expect(readFileSync(logFile, 'utf8')).toContain(fixture.secrets['MCP API key (inline)']);

  for (const output of ['yaml', 'json']) {
    const { code, stdout, stderr } = await spawnCli(['replay', logFile, '--show', 'all', '-o', output]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('GatewayIR');
    expect(stdout).toContain('[REDACTED]');
    for (const [what, secret] of Object.entries(fixture.secrets)) {
      const lines = secret.split('\n').filter((line) => line.trim().length >= 16);
      for (const form of [secret.trim(), Buffer.from(secret).toString('base64'), ...lines])
        expect(stdout + stderr, `${what} shown as ${form}`).not.toContain(form);
    }
  }
});
