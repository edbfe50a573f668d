// Record and replay of the control plane (docs/record-replay.md): `attachRecorder` for `controller --record`,
// `replay` / `switchyard replay` to run a recorded log again on a virtual clock with fake edges.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { GATEWAY_DEPLOYER } from '../actors/gateway-deployer/index.ts';
import type { DeployedGateway } from '../actors/gateway-deployer/machine.ts';
import { PATCHED_KINDS } from '../actors/patchers/index.ts';
import { startInspector } from '../inspector/InspectorServer.ts';
import type { ReplayControls, ReplayRecordSummary, ReplayState } from '../inspector/ReplayControls.ts';
import { DEFAULT_CONTROLLER_NAME } from '../model/gateway-class.ts';
import type { GatewayIR } from '../model/gateway-ir.ts';
import { formatResourceKey } from '../model/resource-key.ts';
import type { KindName } from '../model/resources.ts';
import { GROUP_OF_KIND } from '../model/resources.ts';
import { ActorSystem } from '../runtime/ActorSystem.ts';
import { type EventLog, parseEventLog, readEventLog } from '../runtime/EventLog.ts';
import { sequentialIds } from '../runtime/ids.ts';
import { createLogger } from '../runtime/logger.ts';
import { Recorder } from '../runtime/Recorder.ts';
import { Replayer } from '../runtime/Replayer.ts';
import { VirtualClock } from '../runtime/VirtualClock.ts';
import type { Command, CommandIO } from './command.ts';
import { type ControlPlane, createControlPlane } from './control-plane.ts';

/** What a control-plane recording stores in its header so replay builds the same composition. */
export interface RecordedComposition {
  readonly kind: 'control-plane';
  readonly controllerName: string;
  readonly files: { readonly watch: boolean };
  readonly flushDelayMs: number;
}

export const DEFAULT_RECORD_MAX_BYTES = 256 * 1024 * 1024;

/**
 * Effects whose port still runs on replay: they are the fake edges that keep what replay reports (the status
 * store standing in for the API server, the problem list). Every other port — reading files, watching,
 * later Kubernetes and xDS I/O — is answered from the log only.
 */
export const REPLAY_RUNS_PORTS = ['write-status', 'report-problem', 'report-rejection'] as const;

export interface AttachRecorderOptions {
  readonly file: string;
  /** Size cap of one log segment; at the cap the log rotates (file → file.1 …). */
  readonly maxBytes?: number;
  /** Rotated segments kept besides the current one. */
  readonly keep?: number;
  /** How the recorded plane was built (default: the standalone controller's settings). */
  readonly composition?: Partial<Omit<RecordedComposition, 'kind'>>;
}

/**
 * Records every outside input of `system` to a JSONL event log. Call it right after `createControlPlane` and
 * before `system.start()`; close the returned recorder after `system.stop()`.
 */
export function attachRecorder(system: ActorSystem, options: AttachRecorderOptions): Recorder {
  const composition: RecordedComposition = {
    kind: 'control-plane',
    controllerName: options.composition?.controllerName ?? DEFAULT_CONTROLLER_NAME,
    files: { watch: options.composition?.files?.watch ?? true },
    flushDelayMs: options.composition?.flushDelayMs ?? 20,
  };
  const recorder = new Recorder({
    clock: system.clock,
    composition: composition as unknown as Record<string, unknown>,
    file: {
      path: options.file,
      maxBytes: options.maxBytes ?? DEFAULT_RECORD_MAX_BYTES,
      ...(options.keep === undefined ? {} : { keep: options.keep }),
    },
  });
  system.attachInputs(recorder);
  return recorder;
}

export interface ReplaySession {
  readonly plane: ControlPlane;
  readonly clock: VirtualClock;
  readonly replayer: Replayer;
}

/** A fresh control plane, built as the recording describes, with a replayer attached (not started). */
export function createReplay(log: EventLog): ReplaySession {
  const composition = log.header.composition as Partial<RecordedComposition>;
  if (composition.kind !== 'control-plane')
    throw new Error(
      `the log records a "${String(composition.kind)}" composition; replay knows "control-plane"`,
    );
  const clock = new VirtualClock(log.header.start);
  const plane = createControlPlane({
    clock,
    ids: sequentialIds(),
    logger: createLogger({ level: 'silent' }),
    controllerName: composition.controllerName ?? DEFAULT_CONTROLLER_NAME,
    files: { paths: [], watch: composition.files?.watch ?? true },
    flushDelayMs: composition.flushDelayMs ?? 0,
  });
  const replayer = new Replayer({ log, system: plane.system, clock, runPorts: REPLAY_RUNS_PORTS });
  return { plane, clock, replayer };
}

export interface ReplayResult {
  /** Objects of the kinds Switchyard writes status to, by kind, namespace and name, with their statuses. */
  readonly objects: readonly Record<string, unknown>[];
  readonly irs: readonly GatewayIR[];
  readonly problems: readonly { origin: string; message: string }[];
  readonly divergences: readonly string[];
  /** The last sequence number applied. */
  readonly position: number;
}

/** Replays `log` up to `until` (default: the end) and reports what the plane holds then. */
export async function replay(log: EventLog, until?: number): Promise<ReplayResult> {
  const session = createReplay(log);
  await session.replayer.runUntil(until);
  const result = planeOutcome(session.plane, session.replayer.position, session.replayer.divergences);
  await session.replayer.stop();
  session.plane.close();
  return result;
}

/** What a plane holds now: after a replay, or at the end of the live run that was recorded. */
export function planeOutcome(
  plane: ControlPlane,
  position: number,
  divergences: readonly string[] = [],
): ReplayResult {
  const objects = PATCHED_KINDS.flatMap((kind) =>
    plane.store.list(kind as KindName).map((object) => object as unknown as Record<string, unknown>),
  );
  return {
    objects,
    irs: gatewayIRs(plane),
    problems: [...plane.problems],
    divergences: [...divergences],
    position,
  };
}

export function gatewayIRs(plane: ControlPlane): GatewayIR[] {
  const deployer = plane.system.actor(GATEWAY_DEPLOYER)?.context as
    | { gateways: Map<string, DeployedGateway> }
    | undefined;
  return [...(deployer?.gateways.values() ?? [])]
    .map((entry) => entry.ir)
    .filter((ir): ir is GatewayIR => ir !== undefined)
    .sort((a, b) => formatResourceKey(a.gateway).localeCompare(formatResourceKey(b.gateway)));
}

/** The replay output in translate's formats: the statuses, and the Gateway IR as `GatewayIR` documents. */
export function renderReplay(
  result: ReplayResult,
  show: 'status' | 'ir' | 'all',
  output: 'yaml' | 'json',
): string {
  const documents: unknown[] = [];
  if (show === 'status' || show === 'all') documents.push(...result.objects);
  if (show === 'ir' || show === 'all')
    documents.push(
      ...result.irs.map((ir) => ({ apiVersion: 'switchyard.dev/v1alpha1', kind: 'GatewayIR', ir })),
    );
  if (output === 'json') return `${JSON.stringify(documents, null, 2)}\n`;
  return documents
    .map((document) => stringify(document, { lineWidth: 0, aliasDuplicateObjects: false }))
    .join('---\n');
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'run a recorded event log again on a virtual clock and print the statuses it leads to',
  usage:
    'switchyard replay <file.jsonl> [--until <seq>] [--out <dir>] [-o yaml|json] [--show status|ir|all] [--inspect]',
  options: {
    until: {
      kind: 'integer',
      min: 0,
      valueLabel: '<seq>',
      description: 'stop after the record with this sequence number (default: the end of the log)',
    },
    out: {
      kind: 'string',
      valueLabel: '<dir>',
      description: 'write status.yaml and ir.yaml into this directory instead of printing',
    },
    output: {
      kind: 'enum',
      short: 'o',
      values: ['yaml', 'json'],
      default: 'yaml',
      description: 'output format',
    },
    show: {
      kind: 'enum',
      values: ['status', 'ir', 'all'],
      default: 'status',
      description: 'what to print: the statuses, the Gateway IR, or both',
    },
    inspect: {
      kind: 'boolean',
      description: 'serve the inspector with replay controls (step, play, scrub) until interrupted',
    },
    'inspector-address': {
      kind: 'address',
      default: '127.0.0.1:9901',
      valueLabel: '<host:port>',
      description: 'with --inspect: where the inspector listens (loopback only)',
    },
  },
  async run(parsed, io) {
    const file = parsed.positionals[0];
    if (file === undefined || parsed.positionals.length > 1) {
      io.stderr.write('switchyard replay: give exactly one event log: switchyard replay <file.jsonl>\n');
      return 2;
    }
    let log: EventLog;
    try {
      log = readEventLog(file);
    } catch (error) {
      io.stderr.write(`switchyard replay: ${error instanceof Error ? error.message : String(error)}\n`);
      return 1;
    }
    const until = parsed.values.until as number | undefined;
    if (parsed.values.inspect === true)
      return inspectReplay(log, until, parsed.values['inspector-address'] as string, io);
    const result = await replay(log, until);
    for (const divergence of result.divergences) io.stderr.write(`replay diverged at ${divergence}\n`);
    for (const problem of result.problems) {
      const where = problem.message.startsWith(problem.origin) ? '' : `${problem.origin}: `;
      io.stderr.write(`${where}${problem.message}\n`);
    }
    const output = parsed.values.output as 'yaml' | 'json';
    const extension = output === 'json' ? 'json' : 'yaml';
    const out = parsed.values.out as string | undefined;
    if (out === undefined) {
      io.stdout.write(renderReplay(result, parsed.values.show as 'status' | 'ir' | 'all', output));
    } else {
      await mkdir(out, { recursive: true });
      await writeFile(join(out, `status.${extension}`), renderReplay(result, 'status', output));
      await writeFile(join(out, `ir.${extension}`), renderReplay(result, 'ir', output));
      io.stderr.write(`replayed ${result.position} of ${log.records.at(-1)?.seq ?? 0} records into ${out}\n`);
    }
    return result.divergences.length === 0 ? 0 : 1;
  },
};

async function inspectReplay(
  log: EventLog,
  until: number | undefined,
  address: string,
  io: CommandIO,
): Promise<number> {
  const driver = new ReplayDriver();
  const inspector = await startInspector({ ...inspectDriver(driver), address });
  await driver.open(log, 'recorded log');
  if (until !== undefined) await driver.seek(until);
  io.stderr.write(
    `inspector on ${inspector.url} (replay at seq ${driver.state().position}); Ctrl-C to stop\n`,
  );
  await io.stopRequested;
  driver.pause();
  await inspector.close();
  await driver.close();
  return 0;
}

/** What the inspector reads from a control plane: its objects, its Gateways' IR and programmed state, problems. */
export function inspectPlane(plane: () => ControlPlane | undefined) {
  return {
    resources: () => {
      const current = plane();
      if (current === undefined) return [];
      return (Object.keys(GROUP_OF_KIND) as KindName[]).flatMap((kind) => current.store.list(kind));
    },
    gateways: () => {
      const current = plane();
      const deployer = current?.system.actor(GATEWAY_DEPLOYER)?.context as
        | { gateways: Map<string, DeployedGateway> }
        | undefined;
      return [...(deployer?.gateways.values() ?? [])]
        .map((entry) => ({
          gateway: entry.key,
          backend: entry.backendActor,
          revision: entry.revision,
          programmed: entry.programmed,
          proxies: entry.proxies,
          ir: entry.ir,
        }))
        .sort((a, b) => formatResourceKey(a.gateway).localeCompare(formatResourceKey(b.gateway)));
    },
    problems: () => plane()?.problems ?? [],
  };
}

/** Inspector options for a replay driver: the current replayed plane, and the driver as replay controls. */
export function inspectDriver(driver: ReplayDriver) {
  return { system: () => driver.system, ...inspectPlane(() => driver.plane), replay: driver };
}

/**
 * Drives replays for the inspector: load a log, step, play (one record per `stepDelayMs` of real time), pause,
 * and scrub — backwards by rebuilding a fresh system and replaying up to the chosen record.
 */
export class ReplayDriver implements ReplayControls {
  private log: EventLog | undefined;
  private name: string | undefined;
  private session: ReplaySession | undefined;
  /** Shown until a log is loaded: a system with no actors. */
  private readonly idle = new ActorSystem();
  private readonly listeners: ((system: ActorSystem) => void)[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private playing = false;
  private readonly stepDelayMs: number;

  constructor(options: { readonly stepDelayMs?: number } = {}) {
    this.stepDelayMs = options.stepDelayMs ?? 150;
  }

  get system(): ActorSystem {
    return this.session?.plane.system ?? this.idle;
  }

  get plane(): ControlPlane | undefined {
    return this.session?.plane;
  }

  onSystem(listener: (system: ActorSystem) => void): void {
    this.listeners.push(listener);
  }

  state(): ReplayState {
    const replayer = this.session?.replayer;
    return {
      loaded: this.log !== undefined,
      name: this.name,
      position: replayer?.position ?? 0,
      end: this.log?.records.at(-1)?.seq ?? 0,
      playing: this.playing,
      time: this.session?.clock.now() ?? 0,
      divergences: [...(replayer?.divergences ?? [])],
    };
  }

  records(from: number, limit: number): ReplayRecordSummary[] {
    const records = this.log?.records ?? [];
    return records
      .filter((record) => record.seq >= from)
      .slice(0, Math.max(0, limit))
      .map((record) => {
        if (record.kind === 'send')
          return {
            seq: record.seq,
            time: record.time,
            kind: record.kind,
            actor: record.to,
            what: record.message.type,
          };
        if (record.kind === 'timer')
          return {
            seq: record.seq,
            time: record.time,
            kind: record.kind,
            actor: record.actor,
            what: `timer #${record.timer}`,
          };
        return {
          seq: record.seq,
          time: record.time,
          kind: record.kind,
          actor: record.actor,
          what: record.effect,
          outcome: record.outcome,
        };
      });
  }

  load(text: string, name: string): Promise<void> {
    return this.open(parseEventLog(text, name), name);
  }

  open(log: EventLog, name: string): Promise<void> {
    return this.serialize(async () => {
      this.playing = false;
      this.log = log;
      this.name = name;
      await this.rebuild();
    });
  }

  step(): Promise<void> {
    return this.serialize(async () => {
      await this.session?.replayer.step();
    });
  }

  seek(seq: number): Promise<void> {
    return this.serialize(async () => {
      if (this.session === undefined) throw new Error('no log loaded');
      if (seq < this.session.replayer.position) await this.rebuild();
      await this.session!.replayer.runUntil(seq);
    });
  }

  play(): void {
    if (this.playing || this.session === undefined) return;
    this.playing = true;
    const next = () => {
      if (!this.playing) return;
      this.step().then(
        () => {
          if (this.session === undefined || this.session.replayer.done) this.playing = false;
          else setTimeout(next, this.stepDelayMs).unref();
        },
        () => {
          this.playing = false;
        },
      );
    };
    next();
  }

  pause(): void {
    this.playing = false;
  }

  async close(): Promise<void> {
    this.playing = false;
    await this.queue;
    await this.dispose();
  }

  private async rebuild(): Promise<void> {
    await this.dispose();
    if (this.log === undefined) return;
    const session = createReplay(this.log);
    this.session = session;
    for (const listener of this.listeners) listener(session.plane.system);
    await session.replayer.start();
  }

  private async dispose(): Promise<void> {
    const old = this.session;
    this.session = undefined;
    if (old !== undefined) {
      await old.replayer.stop();
      old.plane.close();
    }
  }

  private serialize(action: () => Promise<void>): Promise<void> {
    const run = this.queue.then(action, action);
    this.queue = run.catch(() => {});
    return run;
  }
}
