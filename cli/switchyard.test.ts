import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('./switchyard.ts', import.meta.url));
const quickstart = fileURLToPath(new URL('../examples/quickstart', import.meta.url));

const children: ChildProcess[] = [];
afterEach(() => {
  // A failed assertion must not leave a controller running.
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function run(args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return track(
    spawn(process.execPath, [cli, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}

function track(child: ChildProcess): ChildProcess {
  children.push(child);
  return child;
}

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Collects a child's output; `line` waits for a stderr line matching a pattern. */
function watch(child: ChildProcess) {
  const output = { stdout: '', stderr: '' };
  const waiters: (() => void)[] = [];
  child.stdout?.on('data', (chunk) => {
    output.stdout += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output.stderr += chunk;
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = once(child, 'exit').then(([code]) => ({ code: code as number | null, ...output }));
  async function line(pattern: RegExp): Promise<string> {
    for (;;) {
      const found = output.stderr.split('\n').find((l) => pattern.test(l));
      if (found !== undefined) return found;
      const ended = await Promise.race([
        new Promise<false>((resolve) => waiters.push(() => resolve(false))),
        exited.then(() => true),
      ]);
      if (ended && output.stderr.split('\n').every((l) => !pattern.test(l))) {
        throw new Error(`process ended without a line matching ${pattern}; stderr:\n${output.stderr}`);
      }
    }
  }
  return { exited, line };
}

function finish(child: ChildProcess): Promise<Finished> {
  return watch(child).exited;
}

describe('switchyard CLI', () => {
  it('documents every subcommand in --help', async () => {
    const { code, stdout } = await finish(run(['--help']));
    expect(code).toBe(0);
    for (const name of ['controller', 'translate', 'replay', 'extproc']) expect(stdout).toContain(name);
    const sub = await finish(run(['controller', '--help']));
    expect(sub.code).toBe(0);
    expect(sub.stdout).toContain('--shutdown-timeout');
    expect(sub.stdout).toContain('SWITCHYARD_HTTP_ADDRESS');
  });

  it('exits 2 with a message naming a bad flag', async () => {
    // The processes start together: each loads the whole CLI, and one after another they would take long.
    const cases: [string[], string][] = [
      [['controller', '--no-such-flag'], 'unknown flag --no-such-flag'],
      [['controller', '--http-address', 'localhost'], '--http-address: invalid address "localhost"'],
      [
        ['extproc', '--config', '/nonexistent/extproc.yaml'],
        '--config: cannot read /nonexistent/extproc.yaml',
      ],
      [
        ['controller', '--otlp-endpoint', 'collector:4318'],
        '--otlp-endpoint: collector:4318 must be an http:// or https:// URL',
      ],
      [['frobnicate'], 'unknown command "frobnicate"; commands: controller,'],
      [['contoller'], 'unknown command "contoller" (did you mean "controller"?)'],
      [['controller', '--file', 'examples'], 'unknown flag --file (did you mean --files?); see --help'],
    ];
    const results = await Promise.all(cases.map(([args]) => finish(run(args))));
    results.forEach((result, i) => {
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(cases[i]?.[1]);
    });
  }, 60_000);

  it('serves probes and metrics, exports traces, then stops gracefully on SIGTERM with readiness flipped first', async () => {
    const collector = await startCollector();
    const child = run([
      'controller',
      '--files',
      quickstart,
      '--http-address',
      '127.0.0.1:0',
      '--shutdown-timeout',
      '5',
      '--log-level',
      'info',
      '--inspector',
      '127.0.0.1:0',
      '--xds-address',
      '127.0.0.1:0',
      '--otlp-endpoint',
      collector.url,
    ]);
    const { exited, line } = watch(child);
    const started = JSON.parse(await line(/switchyard controller started/)) as { httpAddress: string };
    const base = `http://${started.httpAddress}`;
    expect((await fetch(`${base}/livez`)).status).toBe(200);
    // Ready once the files are listed and every actor reports ready.
    let ready = 0;
    for (let i = 0; i < 100 && ready !== 200; i++) {
      ready = (await fetch(`${base}/readyz`)).status;
      if (ready !== 200) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(ready).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('# TYPE switchyard_actor_message_handling_seconds histogram');
    expect(metrics).toContain('# TYPE switchyard_xds_connected_proxies gauge');
    child.kill('SIGTERM');
    const { code, stderr } = await exited;
    expect(code).toBe(0);
    expect(stderr).toContain('"msg":"stopping"');
    expect(stderr).toContain('"drained":true');
    // Spans queued at shutdown are flushed before the process exits.
    await collector.close();
    const spans = collector.payloads.flatMap((p) =>
      p.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)),
    );
    // What happens before the controller reports ready: the files read and the resolvers' kinds synced (statuses
    // may still be a debounce away when SIGTERM arrives on a loaded machine).
    expect(spans.map((s) => s.name)).toEqual(expect.arrayContaining(['effect read-files', 'kinds.synced']));
  });
});

interface OtlpPayload {
  resourceSpans: { scopeSpans: { spans: { name: string }[] }[] }[];
}

/** A stand-in OpenTelemetry collector: accepts OTLP/HTTP JSON trace exports on loopback. */
async function startCollector(): Promise<{ url: string; payloads: OtlpPayload[]; close(): Promise<void> }> {
  const payloads: OtlpPayload[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      payloads.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpPayload);
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    payloads,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
