// `switchyard replay` as users run it: the real CLI process, several runs per Kubernetes-mode log, each compared
// byte for byte with the log's expected output (test/replays/<name>.expected.yaml); and a replay that has
// nothing to show never exits 0.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { renderReplay } from '../replay/output.ts';
import type { ReplayResult } from '../replay/session.ts';
import { checkpointsOf } from '../test/replays/expected.ts';
import { spawnCli } from './testdata/spawn-cli.ts';

const replays = join(import.meta.dirname, '..', 'test', 'replays');
const kubeLogs = readdirSync(replays)
  .filter((name) => name.startsWith('kube-') && name.endsWith('.jsonl'))
  .sort();

/** Each test starts Node processes that load the whole CLI: a budget for a loaded machine, not a timing. */
const SPAWN_TIMEOUT_MS = 120_000;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-replay-command-'));
  dirs.push(dir);
  return dir;
}

/** The sections of an expected file after its last checkpoint: statuses, Gateway IR, xDS snapshots. */
function lastSections(expected: string, seq: number) {
  const statusStart = expected.lastIndexOf(`---\n# checkpoint seq=${seq}:`);
  const irStart = expected.indexOf(`---\n# gateway IR at seq=${seq}\n`);
  const xdsStart = expected.indexOf(`---\n# xDS snapshots at seq=${seq}\n`);
  const body = (from: number, to: number) => expected.slice(expected.indexOf('\n', from + 4) + 1, to);
  return {
    status: body(statusStart, irStart),
    ir: body(irStart, xdsStart === -1 ? expected.length : xdsStart),
    xds: xdsStart === -1 ? '' : body(xdsStart, expected.length),
  };
}

/** Statuses as the expected file shows them: without the metadata the API server assigns on every recording. */
function withoutServerMetadata(objects: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return objects.map((object) => {
    const {
      uid: _u,
      resourceVersion: _r,
      creationTimestamp: _c,
      managedFields: _m,
      ...kept
    } = object.metadata as Record<string, unknown>;
    return { ...object, metadata: kept };
  });
}

describe('switchyard replay of a Kubernetes-mode log, as a process', () => {
  it('has the Kubernetes-mode logs', () => {
    expect(kubeLogs.length).toBeGreaterThanOrEqual(10);
  });

  for (const file of kubeLogs) {
    const name = file.replace(/\.jsonl$/, '');
    it(`${name}: every run prints the expected statuses, IR and xDS, byte for byte`, {
      timeout: SPAWN_TIMEOUT_MS,
    }, async () => {
      const expected = readFileSync(join(replays, `${name}.expected.yaml`), 'utf8');
      const seq = checkpointsOf(expected).at(-1)!.seq;
      const log = join(replays, file);
      const out = tempDir();
      const until = ['--until', String(seq)];
      // Two runs at once, as two users might: stdout, and the files --out writes.
      const [printed, written] = await Promise.all([
        spawnCli(['replay', log, ...until, '--show', 'status']),
        spawnCli(['replay', log, ...until, '--out', out]),
      ]);
      expect(printed.code, printed.stderr).toBe(0);
      expect(written.code, written.stderr).toBe(0);
      expect(printed.stderr).toBe('');
      const sections = lastSections(expected, seq);
      expect(printed.stdout).not.toBe('');
      expect(readFileSync(join(out, 'status.yaml'), 'utf8')).toBe(printed.stdout);
      expect(readFileSync(join(out, 'ir.yaml'), 'utf8')).toBe(sections.ir);
      expect(readFileSync(join(out, 'xds.yaml'), 'utf8')).toBe(sections.xds);
      const objects = parseAllDocuments(printed.stdout).map((d) => d.toJS() as Record<string, unknown>);
      const shown = { objects: withoutServerMetadata(objects) } as unknown as ReplayResult;
      expect(renderReplay(shown, 'status', 'yaml')).toBe(sections.status);
    });
  }
});

describe('switchyard replay with nothing to show', () => {
  const log = join(replays, 'kube-httproute-lifecycle.jsonl');

  it('exits 1 for a log that holds only its header', { timeout: SPAWN_TIMEOUT_MS }, async () => {
    const header = readFileSync(log, 'utf8').split('\n')[0]!;
    const empty = join(tempDir(), 'empty.jsonl');
    writeFileSync(empty, `${header}\n`);
    const run = await spawnCli(['replay', empty]);
    expect(run).toEqual({
      code: 1,
      stdout: '',
      stderr: 'switchyard replay: nothing to show: the log holds no records, only its header\n',
    });
  });

  it('exits 1 when --until stops before the first record, with or without --out', {
    timeout: SPAWN_TIMEOUT_MS,
  }, async () => {
    const out = tempDir();
    const runs = await Promise.all([
      spawnCli(['replay', log, '--until', '0']),
      spawnCli(['replay', log, '--until', '0', '--out', out]),
    ]);
    for (const run of runs) {
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(
        'switchyard replay: nothing to show: --until stops before the first record (seq 1)\n',
      );
    }
    expect(readdirSync(out)).toEqual([]);
  });

  it('exits 1 for --show xds of a plane that had no data-plane backend, saying so', {
    timeout: SPAWN_TIMEOUT_MS,
  }, async () => {
    const run = await spawnCli(['replay', join(replays, 'httproute-lifecycle.jsonl'), '--show', 'xds']);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('the recorded plane had no data-plane backend, so no xDS was published');
  });
});
