import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, expect, test, vi } from 'vitest';
import type { ExtProcServer } from './extproc-server.ts';
import { runExtProc } from './run-ext-proc.ts';
import { listModels } from './testdata/ext-proc-client.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function modelsConfig(...names: string[]): string {
  return JSON.stringify({ models: names.map((name) => ({ name })) });
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
  // A dozen streams one after another through a pool of four: each ended stream gives its actor back.
  for (let i = 0; i < 12; i++) expect(await listModels(server!.address)).toEqual(['first']);
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

/**
 * A Secret volume as the kubelet writes it (its AtomicWriter): the files live in a timestamped folder, `..data`
 * links to that folder and each key is a link through `..data`. An update writes a new folder, points a
 * `..data_tmp` link at it, renames that over `..data` (the one atomic step) and removes the old folder.
 */
function kubeletVolume(dir: string, key: string) {
  let generation = 0;
  const publish = (content: string) => {
    const previous = generation === 0 ? undefined : `..2026_11_24_10_00_0${generation}.000000001`;
    generation++;
    const folder = `..2026_11_24_10_00_0${generation}.000000001`;
    mkdirSync(join(dir, folder));
    writeFileSync(join(dir, folder, key), content, { mode: 0o600 });
    symlinkSync(folder, join(dir, '..data_tmp'));
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
    if (previous === undefined) symlinkSync(join('..data', key), join(dir, key));
    else rmSync(join(dir, previous), { recursive: true });
  };
  return { publish };
}

test('follows a mounted Secret that the kubelet updates by swapping the ..data link', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'extproc-secret-volume-'));
  dirs.push(dir);
  const volume = kubeletVolume(dir, 'extproc.yaml');
  volume.publish('models: [{ name: first }]');
  let stop!: () => void;
  const stopRequested = new Promise<void>((resolve) => (stop = resolve));
  let server: ExtProcServer | undefined;
  const running = runExtProc({
    listen: '127.0.0.1:0',
    configPath: join(dir, 'extproc.yaml'),
    logger: pino({ level: 'silent' }),
    stopRequested,
    // Each probe's stream stays open (the probe never half-closes it), holding an actor: room for them.
    poolSize: 64,
    onListening: (started) => {
      server = started;
    },
  });
  await vi.waitFor(() => expect(server).toBeDefined());
  expect(await listModels(server!.address)).toEqual(['first']);
  // The file the service was given (the `extproc.yaml` link) never changes itself: only `..data` moves.
  volume.publish('models: [{ name: second }]');
  await vi.waitFor(async () => expect(await listModels(server!.address)).toEqual(['second']), {
    timeout: 10_000,
    interval: 100,
  });
  volume.publish('models: [{ name: third }, { name: fourth }]');
  await vi.waitFor(async () => expect(await listModels(server!.address)).toEqual(['third', 'fourth']), {
    timeout: 10_000,
    interval: 100,
  });
  stop();
  await running;
});
