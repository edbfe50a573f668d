import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('./switchyard.ts', import.meta.url));
/** What `npx switchyard` runs (package.json "bin"). */
const installed = fileURLToPath(new URL('./switchyard.mjs', import.meta.url));
const quickstart = fileURLToPath(new URL('../examples/quickstart', import.meta.url));
const dirs: string[] = [];
/**
 * Each test spawns two to four whole `translate` runs, each with an empty cache (its CRDs' JSON derived again:
 * ~1.1 s of CPU on a quiet machine, several seconds each on a loaded one), so the unit project's 20 s budget for
 * in-process tests is too short for a test here; a run that hangs still fails, at SPAWN_TIMEOUT_MS.
 */
const SPAWN_TIMEOUT_MS = 60_000;
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** `switchyard translate` on the quickstart with `cacheHome` as XDG_CACHE_HOME; its stdout and stderr. */
function run(
  cacheHome: string,
  env: NodeJS.ProcessEnv = {},
  entry = cli,
  nodeArgs: readonly string[] = [],
): { stdout: string; stderr: string } {
  const { NODE_COMPILE_CACHE: _dir, NODE_DISABLE_COMPILE_CACHE: _off, ...inherited } = process.env;
  const result = spawnSync(
    process.execPath,
    [...nodeArgs, entry, 'translate', '-f', quickstart, '--allow-ignored-kinds'],
    { env: { ...inherited, XDG_CACHE_HOME: cacheHome, ...env }, encoding: 'utf8', timeout: SPAWN_TIMEOUT_MS },
  );
  expect(result.error, `translate did not finish within ${SPAWN_TIMEOUT_MS} ms`).toBeUndefined();
  expect(result.stderr).toMatch(/translate: \d+ accepted/);
  return result;
}

function translate(cacheHome: string, env: NodeJS.ProcessEnv = {}): string {
  return run(cacheHome, env).stdout;
}

/** Node's own modules the process loaded that match `pattern`, printed by the process itself as it exits. */
const LOADED_AT_EXIT = `data:text/javascript,process.on('exit', () => process.stderr.write('loaded: ' + JSON.stringify(process.moduleLoadList.filter((name) => /amaro|undici/.test(name))) + '\\n'))`;

describe('the compile cache (bench/translate.startup)', { timeout: 4 * SPAWN_TIMEOUT_MS }, () => {
  it("keeps the modules a command loaded in the user's cache, and a run from it prints the same", () => {
    const home = mkdtempSync(join(tmpdir(), 'switchyard-cache-'));
    dirs.push(home);
    const cache = join(home, 'switchyard', 'node-compile-cache');
    const cold = translate(home);
    expect(readdirSync(cache).length).toBeGreaterThan(0);
    expect(translate(home)).toBe(cold);
  });

  it('is off with NODE_DISABLE_COMPILE_CACHE', () => {
    const home = mkdtempSync(join(tmpdir(), 'switchyard-cache-'));
    dirs.push(home);
    translate(home, { NODE_DISABLE_COMPILE_CACHE: '1' });
    expect(existsSync(join(home, 'switchyard', 'node-compile-cache'))).toBe(false);
  });

  it("run as installed, a second run takes every module from the cache: Node's TypeScript stripper never loads", () => {
    const home = mkdtempSync(join(tmpdir(), 'switchyard-cache-'));
    dirs.push(home);
    const first = run(home, {}, installed, ['--import', LOADED_AT_EXIT]);
    // The first run stripped our files (and undici: no command of a translate needs fetch or WebSocket).
    expect(first.stderr).toContain('loaded: ["NativeModule internal/deps/amaro/dist/index"]');
    const second = run(home, {}, installed, ['--import', LOADED_AT_EXIT]);
    expect(second.stderr).toContain('loaded: []');
    expect(second.stdout).toBe(first.stdout);
    expect(second.stdout).toBe(translate(mkdtempSync(join(tmpdir(), 'switchyard-cache-'))));
  });

  it('runs as without it where the cache cannot be written', () => {
    const home = mkdtempSync(join(tmpdir(), 'switchyard-cache-'));
    dirs.push(home);
    // A file where the cache's folder would be: nothing can be created below it.
    mkdirSync(join(home, 'switchyard'));
    writeFileSync(join(home, 'switchyard', 'node-compile-cache'), 'not a folder');
    const unwritable = run(home, {}, installed);
    expect(unwritable.stderr).not.toMatch(/compile cache|Error/);
    expect(unwritable.stdout).toBe(translate(mkdtempSync(join(tmpdir(), 'switchyard-cache-'))));
  });
});
