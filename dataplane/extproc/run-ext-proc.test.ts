import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, expect, test, vi } from 'vitest';
import type { ExtProcServer } from './extproc-server.ts';
import { runExtProc } from './run-ext-proc.ts';
import { extProcClient, requestHeaders } from './testdata/ext-proc-client.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function modelsConfig(...names: string[]): string {
  return JSON.stringify({ models: names.map((name) => ({ name })) });
}

async function listModels(address: string): Promise<string[]> {
  const client = extProcClient(address);
  try {
    const reply = await client
      .open()
      .exchange(requestHeaders({ ':path': '/v1/models', ':method': 'GET' }, true));
    const body = JSON.parse(Buffer.from(reply!.immediate_response!.body!).toString()) as {
      data?: { id: string }[];
      error?: { message: string };
    };
    if (body.data === undefined) throw new Error(`no model list: ${JSON.stringify(body)}`);
    return body.data.map((model) => model.id);
  } finally {
    client.close();
  }
}

test('serves from the config file, reloads it when it changes, keeps the last good one after a bad edit, and stops', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'extproc-config-'));
  dirs.push(dir);
  const configPath = join(dir, 'extproc.json');
  writeFileSync(configPath, modelsConfig('first'));
  let stop!: () => void;
  const stopRequested = new Promise<void>((resolve) => (stop = resolve));
  let server: ExtProcServer | undefined;
  const logged: string[] = [];
  const running = runExtProc({
    listen: '127.0.0.1:0',
    configPath,
    logger: pino({ level: 'info' }, { write: (line: string) => void logged.push(line) }),
    stopRequested,
    poolSize: 4,
    onListening: (started) => {
      server = started;
    },
  });
  await vi.waitFor(() => expect(server).toBeDefined());
  expect(await listModels(server!.address)).toEqual(['first']);
  writeFileSync(configPath, modelsConfig('second', 'third'));
  await vi.waitFor(async () => expect(await listModels(server!.address)).toEqual(['second', 'third']), {
    timeout: 10_000,
    interval: 100,
  });
  writeFileSync(configPath, '{"models": [{"name": ""}]}');
  await vi.waitFor(() => expect(logged.join('')).toContain('models[0].name must be a non-empty string'), {
    timeout: 10_000,
  });
  // Each probe above opened a stream; under load their actors may still be on their way back to the pool,
  // which then answers 503 — ask until a stream gets through, the answer must be the last good config.
  await vi.waitFor(async () => expect(await listModels(server!.address)).toEqual(['second', 'third']), {
    timeout: 10_000,
    interval: 100,
  });
  stop();
  await running;
});

test('refuses to start with an invalid config, naming the field', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'extproc-config-'));
  dirs.push(dir);
  const configPath = join(dir, 'extproc.yaml');
  writeFileSync(configPath, 'rules: [{ models: [m], backends: [] }]');
  await expect(
    runExtProc({
      listen: '127.0.0.1:0',
      configPath,
      logger: pino({ level: 'silent' }),
      stopRequested: new Promise(() => {}),
    }),
  ).rejects.toThrow('rules[0].backends must name at least one backend');
});
