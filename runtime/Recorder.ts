import type { Clock, Timer } from './clock.ts';
import {
  EVENT_LOG_FORMAT,
  EVENT_LOG_VERSION,
  type EventLogHeader,
  EventLogWriter,
  type InputRecord,
  serializeLine,
} from './EventLog.ts';
import type { InputHook } from './InputHook.ts';
import type { Message } from './message.ts';

/** Where a recorder's lines go. `rotate` yields the header that opens a new segment. */
export interface EventLogSink {
  write(line: string, rotate: () => string): void;
  close(): void;
}

/** Keeps the log in memory (tests, the inspector's own recordings). */
export class MemoryEventLogSink implements EventLogSink {
  private readonly lines: string[] = [];

  write(line: string): void {
    this.lines.push(line);
  }

  close(): void {}

  get text(): string {
    return this.lines.join('');
  }
}

export interface RecorderOptions {
  /** The recorded system's clock: records carry its time. */
  readonly clock: Clock;
  /** How to rebuild the recorded composition on replay; stored in every segment header. */
  readonly composition?: Readonly<Record<string, unknown>>;
  /** Default: a file when `file` is given, else memory. */
  readonly sink?: EventLogSink;
  readonly file?: { readonly path: string; readonly maxBytes: number; readonly keep?: number };
  /**
   * What each record is written as (default: as it is): a copy without what must not reach the log (secret values,
   * replay/recording-redaction.ts). The system itself gets the input unchanged.
   */
  readonly redact?: <T>(record: T) => T;
}

/**
 * Writes every outside input of a system (effect outcomes, outside sends, actor timer firings) with its logical
 * time and a sequence number, as the system sees it: a record is written before the actor can act on it.
 */
export class Recorder implements InputHook {
  readonly sink: EventLogSink;
  private readonly clock: Clock;
  private readonly composition: Readonly<Record<string, unknown>>;
  private readonly start: number;
  private readonly redact: <T>(record: T) => T;
  private readonly calls = new Map<string, number>();
  private readonly timers = new Map<string, number>();
  private seq = 0;
  private segment = 0;
  private closed = false;

  constructor(options: RecorderOptions) {
    this.clock = options.clock;
    this.composition = options.composition ?? {};
    this.start = options.clock.now();
    this.redact = options.redact ?? ((record) => record);
    this.sink =
      options.sink ??
      (options.file === undefined
        ? new MemoryEventLogSink()
        : new EventLogWriter({
            file: options.file.path,
            maxBytes: options.file.maxBytes,
            ...(options.file.keep === undefined ? {} : { keep: options.file.keep }),
          }));
    this.sink.write(this.header(), () => this.header());
  }

  /** Records written so far. */
  get recorded(): number {
    return this.seq;
  }

  effect(actor: string, effect: string, _request: unknown, run: () => unknown): unknown {
    const call = this.count(this.calls, `${actor}\u0000${effect}`);
    let pending: Promise<unknown>;
    try {
      pending = Promise.resolve(run());
    } catch (error) {
      this.write({ kind: 'effect', actor, effect, call, outcome: 'failed', error: errorText(error) });
      throw error;
    }
    return pending.then(
      (result) => {
        this.write({
          kind: 'effect',
          actor,
          effect,
          call,
          outcome: 'done',
          ...(result === undefined ? {} : { result }),
        });
        return result;
      },
      (error: unknown) => {
        this.write({ kind: 'effect', actor, effect, call, outcome: 'failed', error: errorText(error) });
        throw error;
      },
    );
  }

  outside(to: string, message: Message): void {
    const { meta: _meta, ...draft } = message as Message & Record<string, unknown>;
    this.write({ kind: 'send', to, message: draft as { type: string } });
  }

  timer(actor: string, delayMs: number, fire: () => void): Timer {
    const timer = this.count(this.timers, actor);
    return this.clock.schedule(delayMs, () => {
      this.write({ kind: 'timer', actor, timer, delayMs });
      fire();
    });
  }

  /** Stops writing (inputs keep flowing to the system) and closes the sink. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.sink.close();
  }

  private write(record: DistributiveOmit<InputRecord, 'seq' | 'time'>): void {
    if (this.closed) return;
    const line = serializeLine({
      seq: ++this.seq,
      time: this.clock.now(),
      ...this.redact(record),
    } as InputRecord);
    this.sink.write(line, () => {
      this.segment++;
      return this.header(this.seq);
    });
  }

  private header(firstSeq = 1): string {
    const header: EventLogHeader = {
      kind: 'header',
      format: EVENT_LOG_FORMAT,
      version: EVENT_LOG_VERSION,
      segment: this.segment,
      firstSeq,
      start: this.start,
      composition: this.composition,
    };
    return serializeLine(header);
  }

  private count(counters: Map<string, number>, key: string): number {
    const n = (counters.get(key) ?? 0) + 1;
    counters.set(key, n);
    return n;
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
