// `switchyard` installed into another project, as npm installs a package: the packed tarball unpacked under
// node_modules/switchyard, its dependencies beside it, its `bin` linked into node_modules/.bin — and run as users run
// it there (`npx switchyard …`), where Node strips no TypeScript of its own accord (cli/installed-types.mjs).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = dirname(dirname(fileURLToPath(import.meta.url)));
const project = mkdtempSync(join(tmpdir(), 'switchyard-installed-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));
// This checkout's Node 24 first, as the project's own would be.
const env = { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}` };

/** Runs the installed `switchyard` (what `npx switchyard` runs) in the project. */
function installed(args: readonly string[]) {
  return spawnSync(join(project, 'node_modules', '.bin', 'switchyard'), args, {
    cwd: project,
    env,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

// Generous: packing reads the whole checkout, and each run loads the CLI on a shared, loaded machine.
describe('switchyard installed as a dependency', { timeout: 120_000 }, () => {
  beforeAll(() => {
    const packed = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', project, ROOT], {
      cwd: project,
      env,
      encoding: 'utf8',
    });
    expect(packed.status, packed.stderr).toBe(0);
    const tarball = join(project, packed.stdout.trim().split('\n').at(-1)!);
    const modules = join(project, 'node_modules');
    mkdirSync(join(modules, '.bin'), { recursive: true });
    const unpacked = spawnSync('tar', ['-xzf', tarball, '-C', modules], { encoding: 'utf8' });
    expect(unpacked.status, unpacked.stderr).toBe(0);
    renameSync(join(modules, 'package'), join(modules, 'switchyard'));
    // The dependencies npm would install beside it: this checkout's (no registry needed).
    for (const entry of readdirSync(join(ROOT, 'node_modules')))
      if (!entry.startsWith('.')) symlinkSync(join(ROOT, 'node_modules', entry), join(modules, entry));
    symlinkSync('../switchyard/cli/switchyard.mjs', join(modules, '.bin', 'switchyard'));
    writeFileSync(join(project, 'package.json'), '{"name":"consumer","version":"1.0.0","private":true}\n');
  }, 180_000);

  it('runs --help, from npx too', () => {
    const help = installed(['--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: switchyard <command> [options]');
    const npx = spawnSync('npx', ['--no-install', 'switchyard', '--help'], {
      cwd: project,
      env,
      encoding: 'utf8',
    });
    expect(npx.status, npx.stderr).toBe(0);
    expect(npx.stdout).toContain('Usage: switchyard <command> [options]');
  });

  it('translates the example it ships, with no warning', () => {
    const example = join(project, 'node_modules', 'switchyard', 'examples', 'quickstart');
    const run = installed(['translate', example, '--show', 'status']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('kind: Gateway');
    expect(run.stderr).toMatch(/^translate: \d+ accepted, 0 rejected, 0 ignored\n$/m);
    expect(run.stderr).not.toMatch(/Warning|ERR_/);
  });

  it('parses a large manifest on its worker thread, which gets the same hook', () => {
    const big = join(project, 'big.yaml');
    // Over the size a file is parsed off the main thread at (MANIFEST_LIMITS.workerThresholdChars).
    writeFileSync(
      big,
      `# ${'x'.repeat(1_200_000)}\napiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata: {name: big}\nspec: {controllerName: switchyard.dev/gateway-controller}\n`,
    );
    const run = installed(['translate', big, '--show', 'status']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('name: big');
  });
});
