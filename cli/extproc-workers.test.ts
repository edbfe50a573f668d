// `switchyard extproc --workers 2` as a real process tree: two worker processes share the port, the primary
// sums their metrics, replaces a worker that dies and stops them all on SIGTERM.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, expect, test, vi } from 'vitest';
import { listModels } from '../dataplane/extproc/testdata/ext-proc-client.ts';

const CLI = new URL('./switchyard.ts', import.meta.url).pathname;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

interface LogEntry {
  readonly msg?: string;
  readonly address?: string;
  readonly workers?: number[];
  readonly pid?: number;
}

function startCli(configPath: string, workers = 2): { child: ChildProcess; logs: LogEntry[] } {
  const child = spawn(
    process.execPath,
    [
      CLI,
      'extproc',
      '--listen=127.0.0.1:0',
      `--config=${configPath}`,
      `--workers=${workers}`,
      '--http-address=127.0.0.1:0',
      '--log-level=info',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  cleanups.push(() => child.kill('SIGKILL'));
  const logs: LogEntry[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    if (line.startsWith('{')) logs.push(JSON.parse(line) as LogEntry);
  });
  return { child, logs };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('two worker processes serve one port; the primary sums their metrics, replaces a dead worker and stops them all', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'extproc-workers-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'extproc.yaml');
  writeFileSync(configPath, 'models: [{name: m1}, {name: m2}]\n');
  const { child, logs } = startCli(configPath);
  const listening = await vi.waitFor(
    () => {
      const entry = logs.find((e) => e.msg === 'switchyard extproc listening' && e.workers !== undefined);
      if (entry === undefined) throw new Error(`not listening yet: ${JSON.stringify(logs)}`);
      return entry;
    },
    { timeout: 20_000, interval: 50 },
  );
  const http = logs.find((e) => e.msg === 'extproc http server listening')!.address!;
  expect(listening.workers).toHaveLength(2);
  const [first, second] = listening.workers!;
  expect(first).not.toBe(child.pid);
  expect(second).not.toBe(first);

  // The primary hands connections to the workers in turn: each request opens its own connection.
  for (let i = 0; i < 6; i++) expect(await listModels(listening.address!)).toEqual(['m1', 'm2']);
  const scrape = async () => {
    const response = await fetch(`http://${http}/metrics`);
    const text = await response.text();
    return Number(/^switchyard_extproc_request_processing_seconds_count (\d+)$/m.exec(text)?.[1]);
  };
  expect(await scrape()).toBe(6);
  expect((await fetch(`http://${http}/readyz`)).status).toBe(200);

  // A worker that dies is replaced; the service keeps answering meanwhile and after.
  process.kill(first!, 'SIGKILL');
  await vi.waitFor(() => expect(logs.some((e) => e.msg === 'ext_proc worker replaced')).toBe(true), {
    timeout: 20_000,
    interval: 50,
  });
  expect(logs.some((e) => e.msg === 'ext_proc worker exited; starting another')).toBe(true);
  await vi.waitFor(async () => expect((await fetch(`http://${http}/readyz`)).status).toBe(200), {
    timeout: 5_000,
  });
  expect(await listModels(listening.address!)).toEqual(['m1', 'm2']);
  const replacement = logs.find((e) => e.msg === 'ext_proc worker replaced')!.pid!;
  expect(alive(replacement)).toBe(true);

  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(alive(second!)).toBe(false);
  expect(alive(replacement)).toBe(false);
}, 60_000);

test('one process serves /readyz and its own metrics on --http-address', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'extproc-workers-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'extproc.yaml');
  writeFileSync(configPath, 'models: [{name: m1}]\n');
  const { child, logs } = startCli(configPath, 1);
  const listening = await vi.waitFor(
    () => {
      const entry = logs.find((e) => e.msg === 'switchyard extproc listening');
      if (entry === undefined) throw new Error('not listening yet');
      return entry;
    },
    { timeout: 20_000, interval: 50 },
  );
  const http = logs.find((e) => e.msg === 'extproc http server listening')!.address!;
  expect((await fetch(`http://${http}/readyz`)).status).toBe(200);
  expect((await fetch(`http://${http}/livez`)).status).toBe(200);
  for (let i = 0; i < 3; i++) expect(await listModels(listening.address!)).toEqual(['m1']);
  await vi.waitFor(async () => {
    const text = await (await fetch(`http://${http}/metrics`)).text();
    expect(text).toMatch(/^switchyard_extproc_request_processing_seconds_count 3$/m);
    expect(text).toMatch(/^switchyard_extproc_streams_open 0$/m);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
}, 30_000);

test('refuses a bad config file before starting any worker', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'extproc-workers-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'extproc.yaml');
  writeFileSync(configPath, 'rules: [{ models: [x], backends: [missing] }]\n');
  const child = spawn(
    process.execPath,
    [CLI, 'extproc', '--listen=127.0.0.1:0', `--config=${configPath}`, '--workers=2'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(2);
  expect(stderr).toMatch(/^switchyard extproc: --config: .*missing/m);
  expect(stderr).not.toContain('ext_proc server listening');
}, 30_000);

test('gives up with exit 1 when the workers cannot listen (the port is taken), instead of restarting them forever', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'extproc-workers-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const configPath = join(dir, 'extproc.yaml');
  writeFileSync(configPath, 'models: [{name: m1}]\n');
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => taken.close());
  const { port } = taken.address() as AddressInfo;
  const child = spawn(
    process.execPath,
    [CLI, 'extproc', `--listen=127.0.0.1:${port}`, `--config=${configPath}`, '--workers=2'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  cleanups.push(() => child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(code).toBe(1);
  expect(stderr).toMatch(/--listen: .*EADDRINUSE/);
  expect(stderr).toContain('before the service listened');
}, 30_000);
