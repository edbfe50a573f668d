// `switchyard extproc` as a real process: with --workers 2 a process tree whose workers share the port, whose
// primary sums their metrics, replaces a worker that dies and stops them all on SIGTERM; alone, its own probes
// and metrics.
import { type AddressInfo, createServer } from 'node:net';
import { afterEach, expect, test, vi } from 'vitest';
import { listModels } from '../dataplane/extproc/testdata/ext-proc-client.ts';
import { freePort } from '../test/harness/envoy/free-port.ts';
import { type ExtProcProcess, type ExtProcProcessOptions, spawnExtProc } from './testdata/extproc-process.ts';

const started: ExtProcProcess[] = [];
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const service of started.splice(0)) service.child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function start(options: ExtProcProcessOptions): ExtProcProcess {
  const service = spawnExtProc(options);
  started.push(service);
  return service;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function processedRequests(http: string): Promise<number> {
  const text = await (await fetch(`http://${http}/metrics`)).text();
  return Number(/^switchyard_extproc_request_processing_seconds_count (\d+)$/m.exec(text)?.[1]);
}

test('two worker processes serve one port; the primary sums their metrics, replaces a dead worker and stops them all', async () => {
  const service = start({ config: 'models: [{name: m1}, {name: m2}]\n', workers: 2 });
  const { address, workers, http } = await service.listening();
  expect(workers).toHaveLength(2);
  const [first, second] = workers;
  expect(first).not.toBe(service.child.pid);
  expect(second).not.toBe(first);

  // The primary hands connections to the workers in turn: each request opens its own connection.
  for (let i = 0; i < 6; i++) expect(await listModels(address)).toEqual(['m1', 'm2']);
  expect(await processedRequests(http!)).toBe(6);
  expect((await fetch(`http://${http}/readyz`)).status).toBe(200);

  // A worker that dies is replaced; the service keeps answering meanwhile and after.
  process.kill(first!, 'SIGKILL');
  await vi.waitFor(() => expect(service.logs.some((e) => e.msg === 'ext_proc worker replaced')).toBe(true), {
    timeout: 20_000,
    interval: 50,
  });
  expect(service.logs.some((e) => e.msg === 'ext_proc worker exited; starting another')).toBe(true);
  await vi.waitFor(async () => expect((await fetch(`http://${http}/readyz`)).status).toBe(200), {
    timeout: 5_000,
  });
  expect(await listModels(address)).toEqual(['m1', 'm2']);
  const replacement = service.logs.find((e) => e.msg === 'ext_proc worker replaced')!.pid!;
  expect(alive(replacement)).toBe(true);

  expect(await service.stop()).toBe(0);
  expect(alive(second!)).toBe(false);
  expect(alive(replacement)).toBe(false);
}, 60_000);

test('one process serves /readyz and its own metrics on --http-address', async () => {
  const service = start({ config: 'models: [{name: m1}]\n' });
  const { address, http } = await service.listening();
  expect((await fetch(`http://${http}/readyz`)).status).toBe(200);
  expect((await fetch(`http://${http}/livez`)).status).toBe(200);
  for (let i = 0; i < 3; i++) expect(await listModels(address)).toEqual(['m1']);
  await vi.waitFor(async () => expect(await processedRequests(http!)).toBe(3));
  expect(await (await fetch(`http://${http}/metrics`)).text()).toMatch(
    /^switchyard_extproc_streams_open 0$/m,
  );
  expect(await service.stop()).toBe(0);
}, 30_000);

test('settings from SWITCHYARD_EXTPROC_* variables: with --workers 2 only the primary serves the probes', async () => {
  // The workers inherit the environment; a worker that read the probes' address too would fail on the taken port.
  const probes = await freePort();
  const service = start({
    config: 'models: [{name: m1}]\n',
    workers: 2,
    http: false,
    env: { SWITCHYARD_EXTPROC_HTTP_ADDRESS: `127.0.0.1:${probes}` },
  });
  const { address, workers, http } = await service.listening();
  expect(workers).toHaveLength(2);
  expect(http).toBe(`127.0.0.1:${probes}`);
  expect((await fetch(`http://${http}/readyz`)).status).toBe(200);
  expect(await listModels(address)).toEqual(['m1']);
  expect(service.stderr()).not.toContain('EADDRINUSE');
  expect(await service.stop()).toBe(0);
}, 60_000);

test('refuses a bad config file before starting any worker', async () => {
  const service = start({
    config: 'rules: [{ models: [x], backends: [missing] }]\n',
    workers: 2,
    http: false,
  });
  expect(await service.exited).toBe(2);
  expect(service.stderr()).toMatch(/^switchyard extproc: --config: .*missing/m);
  expect(service.stderr()).not.toContain('ext_proc server listening');
}, 30_000);

test('gives up with exit 1 when the workers cannot listen (the port is taken), instead of restarting them forever', async () => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => taken.close());
  const { port } = taken.address() as AddressInfo;
  const service = start({
    config: 'models: [{name: m1}]\n',
    workers: 2,
    listen: `127.0.0.1:${port}`,
    http: false,
  });
  expect(await service.exited).toBe(1);
  expect(service.stderr()).toMatch(/--listen: .*EADDRINUSE/);
  expect(service.stderr()).toContain('before the service listened');
}, 30_000);
