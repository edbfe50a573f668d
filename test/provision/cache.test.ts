// The provisioning lock: concurrent test runs on one machine wait for one build of a part instead of racing it.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheDir, withCacheLock } from './cache.ts';

describe('withCacheLock', () => {
  const saved = process.env.SWITCHYARD_CACHE_DIR;
  beforeEach(() => {
    process.env.SWITCHYARD_CACHE_DIR = mkdtempSync(join(tmpdir(), 'switchyard-lock-'));
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.SWITCHYARD_CACHE_DIR;
    else process.env.SWITCHYARD_CACHE_DIR = saved;
  });

  it('runs one holder at a time; a waiter finds what the holder built', async () => {
    const events: string[] = [];
    let built = false;
    const build = (who: string) =>
      withCacheLock('part-1', async () => {
        events.push(`${who} enters`);
        if (!built) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          built = true;
          events.push(`${who} built`);
        }
        events.push(`${who} leaves`);
      });
    await Promise.all([build('a'), build('b')]);
    expect(events).toEqual(['a enters', 'a built', 'a leaves', 'b enters', 'b leaves']);
    expect(existsSync(join(cacheDir('locks'), 'part-1.lock'))).toBe(false);
  });

  it('takes over a lock whose owner process is gone', async () => {
    const dead = spawn(process.execPath, ['-e', '']);
    const pid = await new Promise<number>((resolve) => dead.on('exit', () => resolve(dead.pid!)));
    writeFileSync(join(cacheDir('locks'), 'part-2.lock'), String(pid));
    await expect(withCacheLock('part-2', async () => 'built')).resolves.toBe('built');
  });
});
