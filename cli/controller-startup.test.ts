// `switchyard controller` as users start it (a spawned process): what goes wrong at start-up is named by the flag
// at fault, in one line, with the exit code the README promises, and Ctrl-C never prints a stack trace.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { runCli } from './testdata/run-cli.ts';

const CLI = new URL('./switchyard.ts', import.meta.url).pathname;
// Generous: only a hang reaches it (a loaded machine takes seconds to load the CLI).
const EXIT_WITHIN_MS = 90_000;

interface Run {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Runs the controller; SIGINT once stderr matches `interrupt`, or once `interrupt` resolves. */
function controller(
  args: readonly string[],
  interrupt?: RegExp | Promise<void>,
  env: NodeJS.ProcessEnv = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'controller', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '', ...env },
    });
    let stderr = '';
    let interrupted = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (interrupt instanceof RegExp && !interrupted && interrupt.test(stderr)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    if (interrupt instanceof Promise) void interrupt.then(() => child.kill('SIGINT'));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the controller did not exit within ${EXIT_WITHIN_MS} ms; stderr: ${stderr}`));
    }, EXIT_WITHIN_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr });
    });
  });
}

/** The messages of the JSON log lines that say something about --crds. */
const aboutCrds = (stderr: string) =>
  stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((entry) => entry.msg.includes('--crds'))
    .map((entry) => [entry.level, entry.msg]);

/** Lines a user reads (JSON log lines and grpc-js's own log line aside). */
const plainLines = (stderr: string) =>
  stderr.split('\n').filter((line) => line !== '' && !line.startsWith('{') && !/^E \S/.test(line));

describe('controller start-up errors', () => {
  let taken: Server;
  let takenAddress: string;
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-startup-'));
  const unreachable = join(dir, 'unreachable.kubeconfig');
  // Accepts connections and never answers: an API server that hangs.
  let silent: Server;
  let connected: Promise<void>;
  const hanging = join(dir, 'hanging.kubeconfig');
  const kubeconfig = (server: string) =>
    `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server}"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n`;

  beforeAll(async () => {
    const listen = (server: Server) =>
      new Promise<number>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
      );
    taken = createServer();
    takenAddress = `127.0.0.1:${await listen(taken)}`;
    let onConnection = () => {};
    connected = new Promise((resolve) => {
      onConnection = resolve;
    });
    silent = createServer(() => onConnection());
    writeFileSync(hanging, kubeconfig(`https://127.0.0.1:${await listen(silent)}`));
    writeFileSync(unreachable, kubeconfig('https://127.0.0.1:1'));
  });
  afterAll(() => {
    taken.close();
    silent.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const free = ['--xds-address', '127.0.0.1:0', '--http-address', '127.0.0.1:0', '--inspector', 'off'];
  const withFlag = (flag: string, value: string) => {
    const args = [...free];
    const at = args.indexOf(flag);
    if (at >= 0) args[at + 1] = value;
    else args.push(flag, value);
    return args;
  };

  it(
    'names --xds-address when its port is in use, and exits 2',
    async () => {
      const run = await controller(['--files', dir, ...withFlag('--xds-address', takenAddress)]);
      expect(plainLines(run.stderr)).toEqual([
        `switchyard controller: --xds-address: ${takenAddress} is in use by another process; stop it or choose another address`,
      ]);
      expect(run.code).toBe(2);
    },
    EXIT_WITHIN_MS,
  );

  // The same rule for every address flag, run in this process (one spawned run above shows the command's exit).
  it.each(['--http-address', '--inspector', '--agentgateway-xds-address'])(
    'names %s when its port is in use, and exits 2',
    async (flag) => {
      const run = await runCli(['controller', '--files', dir, ...withFlag(flag, takenAddress)]);
      expect(run.stderr).toBe(
        `switchyard controller: ${flag}: ${takenAddress} is in use by another process; stop it or choose another address\n`,
      );
      expect(run.code).toBe(2);
    },
  );

  it.each([
    [
      '--files',
      ['--files', join(dir, 'nowhere')],
      2,
      /^switchyard controller: --files: .*nowhere: no such file or directory$/,
    ],
    [
      '--kubeconfig',
      ['--kubeconfig', join(dir, 'nowhere')],
      2,
      /^switchyard controller: --kubeconfig: .*nowhere: no such file or directory$/,
    ],
    [
      'an API server that refuses connections',
      ['--kubeconfig', unreachable],
      1,
      /^switchyard controller: the API server at https:\/\/127\.0\.0\.1:1\/ \(from --kubeconfig .*\) cannot be reached: connect ECONNREFUSED/,
    ],
  ] as const)(
    'names %s when it is wrong, in one line',
    async (_what, args, code, line) => {
      const run = await controller([...args, ...free]);
      const lines = plainLines(run.stderr);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(line);
      expect(run.code).toBe(code);
    },
    EXIT_WITHIN_MS,
  );

  it(
    'stops at once on Ctrl-C while the API server does not answer, without a stack trace',
    async () => {
      // SIGINT once the controller is waiting for the API server (its signal handlers are in place by then).
      const run = await controller(['--kubeconfig', hanging, ...free], connected);
      expect(plainLines(run.stderr)).toEqual(['switchyard controller: stopped by SIGINT while starting']);
      expect(run.code).toBe(130);
    },
    EXIT_WITHIN_MS,
  );

  it(
    'says why a local Envoy cannot start (a binary whose interpreter is gone), and stops on Ctrl-C',
    async () => {
      const manifests = mkdtempSync(join(tmpdir(), 'switchyard-startup-envoy-'));
      onTestFinished(() => rmSync(manifests, { recursive: true, force: true }));
      writeFileSync(
        join(manifests, 'gateway.yaml'),
        'apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: sy}\nspec: {controllerName: switchyard.dev/gateway-controller}\n---\n' +
          'apiVersion: gateway.networking.k8s.io/v1\nkind: Gateway\nmetadata: {name: edge, namespace: default}\nspec:\n  gatewayClassName: sy\n  listeners: [{name: http, protocol: HTTP, port: 8080}]\n',
      );
      // As a virtualenv's script whose Python moved: it exists, and will not run.
      const envoy = join(manifests, 'envoy');
      writeFileSync(envoy, '#!/nonexistent/bin/python\n', { mode: 0o755 });
      const run = await controller(
        ['--files', manifests, '--local-envoy', envoy, '--log-level', 'warn', ...free],
        /local envoy could not start/,
      );
      const warning = run.stderr
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .find((entry) => entry.msg === 'local envoy could not start');
      expect(warning).toMatchObject({ level: 40, gateway: 'default/edge', binary: envoy });
      expect(String(warning?.err)).toContain('ENOENT');
      expect(plainLines(run.stderr)).toEqual([]);
      expect(run.code).toBe(0);
    },
    EXIT_WITHIN_MS,
  );

  it(
    'stops on Ctrl-C once running, without a stack trace; says once what is not checked when the upstream CRDs cannot be had',
    async () => {
      // No cached CRDs, no Go module cache holding them, no proxy: Gateway API's kinds go unchecked, and it says so.
      const offline = mkdtempSync(join(tmpdir(), 'switchyard-offline-'));
      const run = await controller(['--files', dir, ...free], /"msg":"switchyard controller started"/, {
        SWITCHYARD_CACHE_DIR: join(offline, 'cache'),
        GOMODCACHE: join(offline, 'mod'),
        GOPROXY: 'off',
      });
      expect(plainLines(run.stderr)).toEqual([]);
      expect(run.stderr).toContain('"msg":"stopped"');
      const said = aboutCrds(run.stderr);
      expect(said).toHaveLength(1);
      expect(said[0]![0]).toBe(40);
      expect(said[0]![1]).toMatch(
        /^the CRDs of Gateway API v1\.6\.3 and Gateway API Inference Extension v1\.6\.0 are not in the cache .* could not be fetched \(.*GOPROXY: off.*\): objects of the gateway\.networking\.k8s\.io kinds .* are not checked against their CRDs' schemas and CEL validation rules.*fix: run `switchyard fetch-crds` .*--crds/,
      );
      expect(run.code).toBe(0);
      rmSync(offline, { recursive: true, force: true });
      // With the CRDs at hand (the user's cache, or the Go module cache the test parts came from), nothing to say.
      const checked = await controller(['--files', dir, ...free], /switchyard controller started/);
      expect(aboutCrds(checked.stderr)).toEqual([]);
      expect(checked.code).toBe(0);
    },
    2 * EXIT_WITHIN_MS,
  );
});
