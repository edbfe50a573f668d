import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { attachRecorder } from '../replay/composition.ts';
import { ReplayDriver } from '../replay/driver.ts';
import { planeOutcome, replay } from '../replay/session.ts';
import { readEventLog } from '../runtime/EventLog.ts';
import { createLogger } from '../runtime/logger.ts';
import type { CommandIO } from './command.ts';
import { createControlPlane } from './control-plane.ts';
import { parseCommand } from './options.ts';
import { replayCommand } from './replay.ts';
import { edgeWithRoute } from './testdata/manifests.ts';

const replays = join(import.meta.dirname, '..', 'test', 'replays');
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchyard-replay-'));
  dirs.push(dir);
  return dir;
}

const manifests = edgeWithRoute;

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  if (!condition()) throw new Error(`gave up waiting for ${what}`);
}

interface Condition {
  type: string;
  status: string;
  reason: string;
  lastTransitionTime: string;
}
function io(): CommandIO & { out: () => string; err: () => string } {
  const chunks = { out: '', err: '' };
  const sink = (key: 'out' | 'err') =>
    new Writable({
      write(chunk, _encoding, done) {
        chunks[key] += String(chunk);
        done();
      },
    });
  return {
    stdout: sink('out'),
    stderr: sink('err'),
    env: {},
    stopRequested: new Promise(() => {}),
    out: () => chunks.out,
    err: () => chunks.err,
  };
}

async function runReplay(args: string[]) {
  const streams = io();
  const code = await replayCommand.run(parseCommand(replayCommand.options, args, {}), streams);
  return { code, stdout: streams.out(), stderr: streams.err() };
}

describe('recording a live controller', () => {
  it('replays a wall-clock run with a real file watcher to the statuses the live run ended with', async () => {
    const dir = tempDir();
    const logFile = join(tempDir(), 'events.jsonl');
    writeFileSync(join(dir, 'config.yaml'), manifests('/v1'));
    const plane = createControlPlane({
      logger: createLogger({ level: 'silent' }),
      files: { paths: [dir], watch: true },
      flushDelayMs: 20,
    });
    const recorder = attachRecorder(plane.system, { file: logFile, maxBytes: 1024 * 1024 });
    plane.system.start();
    const routeStatus = () => JSON.stringify(plane.store.get('HTTPRoute', 'apps', 'web')?.status ?? null);
    await until(() => routeStatus().includes('"Accepted"'), 'the HTTPRoute status');
    writeFileSync(join(dir, 'config.yaml'), manifests('/v2'));
    await until(
      () => routeStatus().includes('"observedGeneration":2') && plane.system.settled,
      'the updated HTTPRoute status',
    );
    await until(() => plane.system.idle, 'the live plane to come to rest');
    const live = planeOutcome(plane, recorder.recorded);
    const liveObjects = JSON.parse(JSON.stringify(live.objects)) as Record<string, unknown>[];
    plane.close();
    await plane.system.stop(5_000);
    recorder.close();

    const log = readEventLog(logFile);
    expect(log.records.some((r) => r.kind === 'send' && r.message.type === 'files.changed')).toBe(true);
    const replayed = await replay(log);
    expect(replayed.divergences).toEqual([]);
    // Condition times too: what an input leads to is stamped with the input's time, live as on replay.
    expect(JSON.stringify(replayed.objects)).toBe(JSON.stringify(liveObjects));
    const second = await replay(log);
    expect(JSON.stringify(second.objects)).toBe(JSON.stringify(replayed.objects));
    const conditions = (
      replayed.objects.find((o) => o.kind === 'HTTPRoute')!.status as {
        parents: { conditions: Condition[] }[];
      }
    ).parents[0]!.conditions;
    expect(conditions.find((c) => c.type === 'Accepted')?.status).toBe('True');
  });
});

describe('switchyard replay', () => {
  const log = join(replays, 'httproute-lifecycle.jsonl');

  it('prints the final statuses as translate does, and the same bytes twice', async () => {
    const first = await runReplay([log]);
    expect(first.code).toBe(0);
    const documents = parseAllDocuments(first.stdout).map((d) => d.toJS() as { kind: string });
    expect(documents.map((d) => d.kind)).toEqual(['GatewayClass', 'Gateway']);
    expect((await runReplay([log])).stdout).toBe(first.stdout);
  });

  it('stops at --until: before the route was deleted its status is there', async () => {
    const expected = readFileSync(join(replays, 'httproute-lifecycle.expected.yaml'), 'utf8');
    const seq = Number(/# checkpoint seq=(\d+): create the HTTPRoute/.exec(expected)![1]);
    const result = await runReplay([log, '--until', String(seq), '-o', 'json']);
    expect(result.code).toBe(0);
    const objects = JSON.parse(result.stdout) as { kind: string; status?: unknown }[];
    expect(objects.find((o) => o.kind === 'HTTPRoute')?.status).toBeDefined();
  });

  it('writes status and IR files with --out', async () => {
    const out = tempDir();
    const result = await runReplay([log, '--out', out]);
    expect(result.code).toBe(0);
    expect(readFileSync(join(out, 'status.yaml'), 'utf8')).toContain('kind: Gateway');
    expect(readFileSync(join(out, 'ir.yaml'), 'utf8')).toContain('kind: GatewayIR');
  });

  it('exits 1 naming the record when the system no longer asks for what the log answers', async () => {
    const dir = tempDir();
    const lines = readFileSync(log, 'utf8').trimEnd().split('\n');
    const last = JSON.parse(lines.at(-1)!) as { seq: number; time: number };
    lines.push(
      JSON.stringify({
        seq: last.seq + 1,
        time: last.time,
        kind: 'effect',
        actor: 'source.files',
        effect: 'read-files',
        call: 99,
        outcome: 'done',
      }),
    );
    writeFileSync(join(dir, 'edited.jsonl'), `${lines.join('\n')}\n`);
    const result = await runReplay([join(dir, 'edited.jsonl')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `replay diverged at seq ${last.seq + 1} (effect): source.files did not request effect read-files #99`,
    );
  });

  it('serves the inspector over the replay with --inspect until asked to stop', async () => {
    let stop: (signal: NodeJS.Signals) => void = () => {};
    const streams = { ...io(), stopRequested: new Promise<NodeJS.Signals>((resolve) => (stop = resolve)) };
    let stderr = '';
    const parsed = parseCommand(
      replayCommand.options,
      [log, '--inspect', '--inspector-address', '127.0.0.1:0', '--until', '5'],
      {},
    );
    const running = replayCommand.run(parsed, streams);
    await until(() => {
      stderr = streams.err();
      return stderr.includes('inspector on');
    }, 'the inspector');
    const url = /inspector on (\S+)/.exec(stderr)![1]!;
    const state = (await (await fetch(`${url}/api/replay`)).json()) as { loaded: boolean; position: number };
    expect(state).toMatchObject({ loaded: true, position: 5 });
    stop('SIGINT');
    expect(await running).toBe(0);
  });

  it('explains a file that is not an event log', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'not-a-log.jsonl'), '{"hello":"world"}\n');
    const result = await runReplay([join(dir, 'not-a-log.jsonl')]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/record before the header/);
    expect((await runReplay([])).code).toBe(2);
  });
});

describe('replay driver (the inspector replay controls)', () => {
  it('steps, scrubs back and forth and lands on the same state as a straight replay', async () => {
    const log = readEventLog(join(replays, 'gateway-added-late.jsonl'));
    const driver = new ReplayDriver();
    const systems: unknown[] = [];
    driver.onSystem((system) => systems.push(system));
    await driver.open(log, 'gateway-added-late');
    expect(driver.state()).toMatchObject({ loaded: true, position: 0, end: log.records.at(-1)!.seq });
    await driver.step();
    expect(driver.state().position).toBe(1);
    await driver.seek(12);
    const forward = JSON.stringify(planeOutcome(driver.plane!, 12).objects);
    await driver.seek(3);
    expect(systems).toHaveLength(2);
    expect(driver.state().position).toBe(3);
    await driver.seek(12);
    expect(JSON.stringify(planeOutcome(driver.plane!, 12).objects)).toBe(forward);
    const straight = await replay(log, 12);
    expect(JSON.stringify(straight.objects)).toBe(forward);
    expect(driver.records(1, 3).map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(JSON.stringify(driver.records(1, 1000))).not.toContain('apiVersion');
    await driver.close();
  });

  it('plays to the end of the log and stops there', async () => {
    const log = readEventLog(join(replays, 'tls-secret-rotated.jsonl'));
    const driver = new ReplayDriver({ stepDelayMs: 1 });
    await driver.open(log, 'tls-secret-rotated');
    driver.play();
    expect(driver.state().playing).toBe(true);
    await until(() => !driver.state().playing, 'the replay to play to the end');
    expect(driver.state()).toMatchObject({ position: log.records.at(-1)!.seq, divergences: [] });
    const straight = await replay(log);
    expect(JSON.stringify(planeOutcome(driver.plane!, 0).objects)).toBe(JSON.stringify(straight.objects));
    await driver.close();
  });
});
