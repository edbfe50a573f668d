// `switchyard controller` hands back the heap pages V8 keeps after a burst: once the plane has been quiet for
// --quiet-gc seconds it runs a memory-reducing collection (runtime/quiet-collection.ts), started as users start
// it (the installed launcher, cli/switchyard.mjs, which passes Node no --expose-gc).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ENVOY_AND_AGENTGATEWAY_CLASSES, httpGateway } from './testdata/manifests.ts';

const LAUNCHER = fileURLToPath(new URL('./switchyard.mjs', import.meta.url));
// Generous: only a hang reaches it (a loaded machine takes seconds to load the CLI).
const EXIT_WITHIN_MS = 90_000;
const COLLECTED = 'memory-reducing collection after a quiet period';

interface LogEntry {
  readonly msg: string;
  readonly rssBeforeMiB?: number;
  readonly rssAfterMiB?: number;
  readonly ms?: number;
}

describe('controller: memory-reducing collection when quiet', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-quiet-gc-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'runs one after the start-up sync once the plane is quiet, and it hands memory back',
    async () => {
      writeFileSync(
        join(dir, 'gateway.yaml'),
        `${ENVOY_AND_AGENTGATEWAY_CLASSES}---\n${httpGateway('web', 'envoy', 8080)}`,
      );
      const child = spawn(
        process.execPath,
        [
          LAUNCHER,
          'controller',
          '--files',
          dir,
          ...['--xds-address', '127.0.0.1:0', '--http-address', '127.0.0.1:0', '--inspector', 'off'],
          ...['--log-level', 'debug', '--quiet-gc', '1'],
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      const entries: LogEntry[] = [];
      const exited = new Promise<number | null>((resolve, reject) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(
            new Error(`no memory-reducing collection logged within ${EXIT_WITHIN_MS} ms; stderr: ${stderr}`),
          );
        }, EXIT_WITHIN_MS);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
      });
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
        stderr += chunk;
        const lines = stderr.split('\n');
        stderr = lines.pop()!;
        for (const line of lines) {
          if (!line.startsWith('{')) continue;
          const entry = JSON.parse(line) as LogEntry;
          entries.push(entry);
          if (entry.msg === COLLECTED) child.kill('SIGINT');
        }
      });
      expect(await exited).toBe(0);
      const collections = entries.filter((entry) => entry.msg === COLLECTED);
      expect(collections).toHaveLength(1);
      const [collection] = collections;
      // After the start-up sync the process holds far less than the pages its collections kept.
      expect(collection!.rssAfterMiB).toBeLessThan(collection!.rssBeforeMiB!);
      expect(collection!.ms).toBeGreaterThanOrEqual(0);
      // It ran after the controller had started and synced, not in place of it.
      const started = entries.findIndex((entry) => entry.msg === 'switchyard controller started');
      expect(started).toBeGreaterThanOrEqual(0);
      expect(entries.indexOf(collection!)).toBeGreaterThan(started);
    },
    EXIT_WITHIN_MS,
  );
});
