// The README, followed on a fresh clone with an empty Switchyard cache (only the Go-built binaries — etcd,
// kube-apiserver, the conformance echo server — are taken from this machine's cache; Go, npm and pip keep their
// own download caches): its first command (`npm install && npm start`) exactly as written, until the banner;
// then the README's curl line and its `npx switchyard` lines; a save of gateway.yaml that breaks the route, and its
// undoing, as the terminal shows them; Ctrl-C. Then its second command. `npm install &&
// npm test` runs the whole suite, this test included, so it runs with the test run narrowed to one file
// (`-- --project unit verify-architecture.test.ts`): installing again, typechecking and linting the clone,
// provisioning every real part from the empty cache, then Vitest. The clone must stay clean throughout.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { cacheDir, runCommand, withCacheLock } from '../provision/cache.ts';
import { type NpmStart, npmStart } from './npm-start.ts';

const repository = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'switchyard-fresh-clone-'));
const clone = join(work, 'switchyard');
const cache = join(work, 'cache');
const cleanups: (() => void)[] = [() => rmSync(work, { recursive: true, force: true })];
afterAll(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** The README's shell lines, comments dropped: the quick start's two commands, its curl, the CLI's lines. */
function readmeCommands() {
  const readme = readFileSync(join(repository, 'README.md'), 'utf8');
  const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('## The CLI'));
  const shellLines = (text: string) =>
    [...text.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((block) =>
      block[1]!
        .split('\n')
        .map((line) => line.replace(/\s+#.*$/, '').trim())
        .filter((line) => line !== '' && !line.startsWith('#')),
    );
  const [first, second] = shellLines(quickStart);
  return {
    first: first!,
    second: second!,
    curl: shellLines(quickStart).find((line) => line.startsWith('curl ')),
    cli: shellLines(readme).filter((line) => line.startsWith('npx switchyard ')),
  };
}

/** Waits until the quick start's terminal (stderr) shows a line matching `pattern`; fails showing what it showed. */
async function printed(quickstart: NpmStart, pattern: RegExp): Promise<void> {
  for (let attempt = 0; attempt < 600 && !pattern.test(quickstart.stderr()); attempt++)
    await new Promise((resolve) => setTimeout(resolve, 100));
  expect(quickstart.stderr()).toMatch(pattern);
}

/** A new user's shell: system Node and npm, Debian's Python, nothing of this checkout or of the test run. */
function userEnvironment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(npm_|VITEST|SWITCHYARD_)/i.test(name) || name === 'NODE_ENV' || name === 'NODE_OPTIONS') continue;
    env[name] = value;
  }
  env.PATH = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => !dir.includes('node_modules') && !dir.includes('.pyenv'))
    .join(delimiter);
  env.SWITCHYARD_CACHE_DIR = cache;
  return env;
}

it('the README on a fresh clone: npm install && npm start, its curl, npx switchyard --help, then npm install && npm test', async () => {
  const commands = readmeCommands();
  expect(commands.first).toBe('npm install && npm start');
  expect(commands.second).toBe('npm install && npm test');
  expect(commands.curl).toBe('curl http://127.0.0.1:8080/echo');
  expect(commands.cli).toContain('npx switchyard --help');

  execFileSync('git', ['clone', '--quiet', repository, clone]);
  // The Go-built parts only; Envoy and everything else must come from the README's commands.
  const machineBin = join(cacheDir(), 'bin');
  mkdirSync(join(cache, 'bin'), { recursive: true });
  for (const part of existsSync(machineBin) ? readdirSync(machineBin) : [])
    symlinkSync(join(machineBin, part), join(cache, 'bin', part));
  const env = userEnvironment();
  const status = () => execFileSync('git', ['status', '--porcelain'], { cwd: clone, encoding: 'utf8' });

  // The quick start listens on the README's fixed ports: quick-start tests on this machine take turns.
  await withCacheLock('quickstart-ports', async () => {
    const first = npmStart({ cwd: clone, env, command: commands.first });
    try {
      await first.banner();
      expect(first.stderr()).toContain('quickstart: installing Envoy');
      expect(existsSync(join(cache, 'envoy'))).toBe(true);

      const curl = spawnSync('sh', ['-c', commands.curl!], { cwd: clone, env, encoding: 'utf8' });
      expect(curl.status, curl.stderr).toBe(0);
      expect(JSON.parse(curl.stdout)).toMatchObject({ backend: 'quickstart-echo', path: '/echo' });
      for (const line of commands.cli) {
        const run = spawnSync('sh', ['-c', line], { cwd: clone, env, encoding: 'utf8' });
        expect(run.status, `${line}\n${run.stderr}`).toBe(0);
        if (line === 'npx switchyard --help') {
          expect(run.stdout).toContain('Usage: switchyard <command> [options]');
          for (const name of ['controller', 'translate', 'replay', 'extproc'])
            expect(run.stdout).toContain(name);
        }
      }
      // The banner's "edit gateway.yaml": a save that breaks the route is one line in the terminal naming the file,
      // the route and why; undoing it says so, and the curl answers again.
      const example = join(clone, 'examples', 'quickstart', 'gateway.yaml');
      execFileSync('sed', ['-i', 's/- name: echo$/- name: echo-typo/', example]);
      await printed(
        first,
        /^warning: \S+\/gateway\.yaml:\d+: HTTPRoute default\/echo: parent quickstart: ResolvedRefs False BackendNotFound: .*echo-typo/m,
      );
      execFileSync('git', ['checkout', '--', 'examples/quickstart/gateway.yaml'], { cwd: clone });
      await printed(first, /^ok: \S+\/gateway\.yaml:\d+: HTTPRoute default\/echo works again$/m);
      const again = spawnSync('sh', ['-c', commands.curl!], { cwd: clone, env, encoding: 'utf8' });
      expect(JSON.parse(again.stdout)).toMatchObject({ backend: 'quickstart-echo', path: '/echo' });
      await first.interrupt();
    } finally {
      first.kill(); // before the ports are given up
    }
  });
  expect(status()).toBe('');

  const second = await runCommand(
    'sh',
    ['-c', `${commands.second} -- --project unit verify-architecture.test.ts`],
    { cwd: clone, env },
  );
  const output = `${second.stdout}\n${second.stderr}`;
  expect(second.code, output).toBe(0);
  for (const part of [
    'etcd',
    'kube-apiserver and kube-controller-manager',
    'Gateway API conformance suite and echo server',
    'Gateway API and Inference Extension CRDs',
    'envoy',
    'rate limit service and redis-server',
    'chromium',
  ])
    expect(output).toContain(`provisioned ${part} in`);
  expect(output).toMatch(/^[1-9]\d* passed, 0 failed$/m); // test/summary-reporter.ts
  expect(status()).toBe('');
}, 1_800_000);
