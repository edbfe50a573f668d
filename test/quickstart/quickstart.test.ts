// The README's first command, end to end: `npm start` runs the example backend and the controller on the
// bundled manifests, which runs a local Envoy for the Gateway; the banner's curl line goes through Envoy to the
// backend, its inspector and metrics URLs answer, the Gateway reports Programmed=True once Envoy has accepted the
// configuration, a killed Envoy comes back, and Ctrl-C stops everything without a warning. With the Gateway's port
// taken it says so at once and exits.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { parse } from 'yaml';
import { withCacheLock } from '../provision/cache.ts';
import { type NpmStart, npmStart } from './npm-start.ts';

const repository = fileURLToPath(new URL('../..', import.meta.url));

async function getEcho(): Promise<{ status: number; body: Record<string, unknown> } | undefined> {
  try {
    const response = await fetch('http://127.0.0.1:8080/echo/quickstart', {
      signal: AbortSignal.timeout(2_000),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  } catch {
    return undefined;
  }
}

/** The banner's rows: the curl line, the inspector URL, the metrics URL. */
function bannerRows(banner: string) {
  const row = (pattern: RegExp) =>
    banner
      .split('\n')
      .find((line) => pattern.test(line))
      ?.trim()
      .split(/\s{2,}/)[0];
  return { curl: row(/^\s+curl /), inspector: row(/inspector/), metrics: row(/metrics/) };
}

it('npm start serves the bundled example through a supervised local Envoy, prints where to look, and stops on Ctrl-C', async () => {
  // The quick start listens on the README's fixed ports: quick-start tests on this machine take turns.
  await withCacheLock('quickstart-ports', async () => {
    const statusDir = mkdtempSync(join(tmpdir(), 'switchyard-quickstart-status-'));
    const quickstart = npmStart({
      cwd: repository,
      args: ['--status-dir', statusDir, '--log-level', 'info'],
    });
    try {
      await serveAndStop(quickstart, statusDir);
    } finally {
      quickstart.kill(); // before the ports are given up
    }
  });
  // Its turn may come after the fresh-clone test's, whose npm install runs with the ports held.
}, 1_200_000);

it('says at once when the Gateway’s port is taken, instead of waiting for an Envoy that cannot listen', async () => {
  await withCacheLock('quickstart-ports', async () => {
    // Something else on 8080, on every interface (where Envoy would bind it).
    const taken = createNetServer();
    await new Promise<void>((resolve) => taken.listen(8080, resolve));
    const quickstart = npmStart({ cwd: repository });
    try {
      await expect(quickstart.banner()).rejects.toThrow(
        "quickstart: port 8080 is taken; the example Gateway's Envoy listens there (is another npm start running?)",
      );
      expect(quickstart.child.exitCode).toBe(1);
      expect(quickstart.stderr()).not.toMatch(/^\s+at /m);
    } finally {
      quickstart.kill();
      await new Promise((resolve) => taken.close(resolve));
    }
  });
}, 1_200_000);

async function serveAndStop(quickstart: NpmStart, statusDir: string): Promise<void> {
  const output = () => `${quickstart.stdout()}\n${quickstart.stderr()}`;

  const rows = bannerRows(await quickstart.banner());
  expect(rows).toEqual({
    curl: 'curl http://127.0.0.1:8080/echo',
    inspector: 'http://127.0.0.1:9901',
    metrics: 'http://127.0.0.1:8081/metrics',
  });
  // The banner comes once a request went through: its curl line answers at once.
  const answer = JSON.parse(
    execFileSync('sh', ['-c', rows.curl!], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
  ) as object;
  expect(answer).toMatchObject({ backend: 'quickstart-echo', path: '/echo' });
  expect(await (await fetch(rows.inspector!)).text()).toContain('Switchyard inspector');
  expect(await (await fetch(rows.metrics!)).text()).toContain(
    'switchyard_xds_connected_proxies{gateway="default/quickstart"} 1',
  );

  const programmed = () => {
    try {
      const gateway = parse(readFileSync(join(statusDir, 'Gateway', 'default', 'quickstart.yaml'), 'utf8'));
      return gateway.status.conditions.find((c: { type: string }) => c.type === 'Programmed');
    } catch {
      return undefined;
    }
  };
  for (let attempt = 0; attempt < 50 && programmed()?.status !== 'True'; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(programmed()).toMatchObject({ status: 'True', reason: 'Programmed' });
  // The controller supervises its local Envoy: killed, it is started again and traffic flows again.
  const startedPids = () =>
    quickstart
      .stderr()
      .split('\n')
      .filter((line) => line.includes('"msg":"local envoy started"'))
      .map((line) => (JSON.parse(line) as { pid: number }).pid);
  const [firstPid] = startedPids();
  expect(firstPid, output()).toBeGreaterThan(0);
  process.kill(firstPid!, 'SIGKILL');
  for (let attempt = 0; attempt < 100 && startedPids().length < 2; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(startedPids(), output()).toHaveLength(2);
  let again: Awaited<ReturnType<typeof getEcho>>;
  for (let attempt = 0; attempt < 100 && again?.status !== 200; attempt++) {
    again = await getEcho();
    if (again?.status !== 200) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  expect(again, output()).toMatchObject({ status: 200, body: { backend: 'quickstart-echo' } });

  const route = parse(readFileSync(join(statusDir, 'HTTPRoute', 'default', 'echo.yaml'), 'utf8'));
  expect(
    route.status.parents[0].conditions.map((c: { type: string; status: string }) => [c.type, c.status]),
  ).toEqual([
    ['Accepted', 'True'],
    ['ResolvedRefs', 'True'],
  ]);

  // Ctrl-C reaches npm, the script, the controller and Envoy at once: all of them end, quietly.
  const before = quickstart.stderr().length;
  // npm passes the signal on and, like any program stopped with Ctrl-C, ends by it (or exits 0).
  const ended = await quickstart.interrupt();
  expect(ended.signal === 'SIGINT' || ended.code === 0, JSON.stringify(ended)).toBe(true);
  const afterInterrupt = quickstart.stderr().slice(before);
  expect(afterInterrupt).toContain('"msg":"stopped"');
  const warnings = afterInterrupt
    .split('\n')
    .filter(
      (line) => /"level":(4|5|6)0/.test(line) || /^\s+at /.test(line) || /\]\[(warning|error)\]/.test(line),
    );
  expect(warnings).toEqual([]);
}
