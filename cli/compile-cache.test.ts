import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('./switchyard.ts', import.meta.url));
const quickstart = fileURLToPath(new URL('../examples/quickstart', import.meta.url));
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** `switchyard translate` on the quickstart with `cacheHome` as XDG_CACHE_HOME; its stdout. */
function translate(cacheHome: string, env: NodeJS.ProcessEnv = {}): string {
  const { NODE_COMPILE_CACHE: _dir, NODE_DISABLE_COMPILE_CACHE: _off, ...inherited } = process.env;
  const result = spawnSync(process.execPath, [cli, 'translate', '-f', quickstart, '--allow-ignored-kinds'], {
    env: { ...inherited, XDG_CACHE_HOME: cacheHome, ...env },
    encoding: 'utf8',
  });
  expect(result.stderr).toMatch(/translate: \d+ accepted/);
  return result.stdout;
}

describe('the compile cache (bench/translate.startup)', () => {
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
});
