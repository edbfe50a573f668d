import type { ActorSystem } from './ActorSystem.ts';
import type { Timer } from './clock.ts';
import type { EffectRecord, EventLog, InputRecord, SendRecord, TimerRecord } from './EventLog.ts';
import type { InputHook } from './InputHook.ts';
import type { Message } from './message.ts';
import type { VirtualClock } from './VirtualClock.ts';

export interface ReplayerOptions {
  readonly log: EventLog;
  /** A fresh system, same composition as the recorded one, built on `clock` and not started yet. */
  readonly system: ActorSystem;
  readonly clock: VirtualClock;
  /**
   * Effects whose port still runs on replay (after a recorded success, its result ignored) because it keeps
   * state the replay reports — a fake API server's status store, an xDS snapshot cache. Every other port is
   * never called: its outcome comes from the log.
   */
  readonly runPorts?: readonly string[];
  /** Bound on event-loop turns while waiting for the system to come to rest after one record. */
  readonly maxTurnsPerRecord?: number;
}

interface ParkedEffect {
  readonly run: () => unknown;
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface ParkedTimer {
  readonly fire: () => void;
  cancelled: boolean;
}

/**
 * Feeds a recorded event log into a fresh system, one input at a time in recorded order, letting the system come
 * to rest between inputs. Effects wait for their recorded outcome, actor timers fire when the log says they
 * fired, outside messages are sent at their recorded logical time. Where the system no longer asks for what the
 * log answers (the behaviour changed since recording), the replayer notes a divergence and goes on.
 */
export class Replayer implements InputHook {
  readonly log: EventLog;
  readonly system: ActorSystem;
  readonly clock: VirtualClock;
  /** What did not match the log, in order. */
  readonly divergences: string[] = [];
  private readonly runPorts: ReadonlySet<string>;
  private readonly maxTurns: number;
  private readonly parked = new Map<string, ParkedEffect>();
  private readonly timers = new Map<string, ParkedTimer>();
  private readonly callCounts = new Map<string, number>();
  private readonly timerCounts = new Map<string, number>();
  private next = 0;
  private started = false;

  constructor(options: ReplayerOptions) {
    this.log = options.log;
    this.system = options.system;
    this.clock = options.clock;
    this.runPorts = new Set(options.runPorts ?? []);
    this.maxTurns = options.maxTurnsPerRecord ?? 100_000;
    if (this.clock.now() !== this.log.header.start)
      throw new Error(`the replay clock must start at the recorded start time ${this.log.header.start}`);
    this.system.attachInputs(this);
  }

  /** Sequence number of the last record applied (0 before the first). */
  get position(): number {
    return this.next === 0 ? 0 : this.log.records[this.next - 1]!.seq;
  }

  /** Sequence number of the last record in the log. */
  get end(): number {
    return this.log.records.at(-1)?.seq ?? 0;
  }

  get done(): boolean {
    return this.next >= this.log.records.length;
  }

  /** Starts the system and lets it run until it waits for its first recorded input. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.system.start();
    await this.settle();
  }

  /** Applies the next record and lets the system come to rest; undefined at the end of the log. */
  async step(): Promise<InputRecord | undefined> {
    await this.start();
    const record = this.log.records[this.next];
    if (record === undefined) return undefined;
    this.next++;
    await this.clock.advance(Math.max(0, record.time - this.clock.now()));
    if (record.kind === 'send') this.applySend(record);
    else if (record.kind === 'timer') this.applyTimer(record);
    else await this.applyEffect(record);
    await this.settle();
    return record;
  }

  /** Applies records up to and including `seq` (default: the whole log). */
  async runUntil(seq = Number.POSITIVE_INFINITY): Promise<void> {
    await this.start();
    while (!this.done && this.log.records[this.next]!.seq <= seq) await this.step();
  }

  /**
   * Stops the system at once: effects still waiting for an outcome the log does not hold (the recording ended,
   * or `--until`) would otherwise hold up its drain.
   */
  async stop(): Promise<void> {
    await this.system.stop(0);
  }

  // InputHook: called by the replayed system.

  effect(actor: string, effect: string, _request: unknown, run: () => unknown): unknown {
    const key = `${actor}\u0000${effect}\u0000${count(this.callCounts, `${actor}\u0000${effect}`)}`;
    return new Promise((resolve, reject) => this.parked.set(key, { run, resolve, reject }));
  }

  outside(_to: string, _message: Message): void {
    // Outside messages on replay are the ones the replayer itself sends from the log.
  }

  timer(actor: string, _delayMs: number, fire: () => void): Timer {
    const parked: ParkedTimer = { fire, cancelled: false };
    this.timers.set(`${actor}#${count(this.timerCounts, actor)}`, parked);
    return {
      cancel: () => {
        parked.cancelled = true;
      },
    };
  }

  private applySend(record: SendRecord): void {
    const { to, message } = record;
    if (this.system.actor(to) === undefined) {
      this.diverged(record, `no actor "${to}" to receive ${message.type}`);
      return;
    }
    this.system.send(to, message as never).catch((error: unknown) => this.diverged(record, String(error)));
  }

  private applyTimer(record: TimerRecord): void {
    const key = `${record.actor}#${record.timer}`;
    const timer = this.timers.get(key);
    if (timer === undefined || timer.cancelled) {
      this.diverged(
        record,
        `${record.actor} ${timer === undefined ? 'never scheduled' : 'cancelled'} its timer #${record.timer}`,
      );
      return;
    }
    this.timers.delete(key);
    timer.fire();
  }

  private async applyEffect(record: EffectRecord): Promise<void> {
    const key = `${record.actor}\u0000${record.effect}\u0000${record.call}`;
    const parked = this.parked.get(key);
    if (parked === undefined) {
      this.diverged(record, `${record.actor} did not request effect ${record.effect} #${record.call}`);
      return;
    }
    this.parked.delete(key);
    if (record.outcome === 'failed') {
      parked.reject(new Error(record.error ?? 'failed'));
      return;
    }
    if (this.runPorts.has(record.effect)) {
      try {
        await parked.run();
      } catch (error) {
        this.diverged(record, `port ${record.effect} failed on replay where it succeeded: ${String(error)}`);
      }
    }
    parked.resolve(record.result);
  }

  private diverged(record: InputRecord, what: string): void {
    this.divergences.push(`seq ${record.seq} (${record.kind}): ${what}`);
  }

  /** Waits until no actor can move without another input (checked across two turns, like quiescence). */
  private async settle(): Promise<void> {
    for (let turn = 0; turn < this.maxTurns; turn++) {
      await macrotask();
      if (!this.system.settled) continue;
      await macrotask();
      if (this.system.settled) return;
    }
    throw new Error(
      `replay: the system did not come to rest within ${this.maxTurns} turns at seq ${this.position}`,
    );
  }
}

function count(counters: Map<string, number>, key: string): number {
  const n = (counters.get(key) ?? 0) + 1;
  counters.set(key, n);
  return n;
}

function macrotask(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
