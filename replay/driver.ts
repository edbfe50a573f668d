// Replay in the inspector: the driver behind its replay controls (load, step, play, pause, scrub backwards by
// rebuilding), what the inspector reads from a replayed plane, and serving it for `switchyard replay --inspect`.

import { GATEWAY_DEPLOYER } from '../actors/gateway-deployer/index.ts';
import type { DeployedGateway } from '../actors/gateway-deployer/machine.ts';
import type { ControlPlane } from '../cli/control-plane.ts';
import { startInspector } from '../inspector/InspectorServer.ts';
import type { ReplayControls, ReplayRecordSummary, ReplayState } from '../inspector/ReplayControls.ts';
import type { KindName } from '../model/resources/kinds.ts';
import { GROUP_OF_KIND } from '../model/resources/kinds.ts';
import { formatResourceKey } from '../model/resources/resource-key.ts';
import { ActorSystem } from '../runtime/ActorSystem.ts';
import { type EventLog, parseEventLog } from '../runtime/EventLog.ts';
import { createReplay, type ReplaySession } from './session.ts';

export interface ReplayInspector {
  /** Where the inspector serves. */
  readonly url: string;
  /** The sequence number the replay stands at. */
  readonly position: number;
  close(): Promise<void>;
}

/** Serves the inspector over a replay of `log`, stopped at `until` (default: before the first record). */
export async function serveReplayInspector(
  log: EventLog,
  until: number | undefined,
  address: string,
): Promise<ReplayInspector> {
  const driver = new ReplayDriver();
  const inspector = await startInspector({ ...inspectDriver(driver), address });
  await driver.open(log, 'recorded log');
  if (until !== undefined) await driver.seek(until);
  return {
    url: inspector.url,
    position: driver.state().position,
    close: async () => {
      driver.pause();
      await inspector.close();
      await driver.close();
    },
  };
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
