// The event-log format (JSONL, versioned; docs/record-replay.md): one header per segment, then one record per
// outside input in the order the system saw them.
import { closeSync, existsSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';

export const EVENT_LOG_FORMAT = 'switchyard.event-log';
export const EVENT_LOG_VERSION = 1;

export interface EventLogHeader {
  readonly kind: 'header';
  readonly format: typeof EVENT_LOG_FORMAT;
  readonly version: number;
  /** 0 for the first file of a recording, then 1, 2, … after each rotation. */
  readonly segment: number;
  /** Sequence number of the first record in this segment. */
  readonly firstSeq: number;
  /** The system clock when recording started (logical ms); replay starts its clock here. */
  readonly start: number;
  /** What was recorded: how to rebuild the same composition (free-form, set by the caller). */
  readonly composition: Readonly<Record<string, unknown>>;
}

interface RecordBase {
  /** 1, 2, 3, … across segments: the order in which the system saw its inputs. */
  readonly seq: number;
  /** Logical time (the system clock, ms) when the input arrived. */
  readonly time: number;
}

/** A message sent into the system from outside any actor (a watch event, an xDS request, a proxy report). */
export interface SendRecord extends RecordBase {
  readonly kind: 'send';
  readonly to: string;
  /** The message without its meta (replay stamps fresh meta). */
  readonly message: { readonly type: string } & Readonly<Record<string, unknown>>;
}

/** The outcome of an effect port: the `call`-th run of `effect` by `actor` (1-based). */
export interface EffectRecord extends RecordBase {
  readonly kind: 'effect';
  readonly actor: string;
  readonly effect: string;
  readonly call: number;
  readonly outcome: 'done' | 'failed';
  readonly result?: unknown;
  readonly error?: string;
}

/** An actor timer firing: the `timer`-th timer `actor` scheduled (1-based). */
export interface TimerRecord extends RecordBase {
  readonly kind: 'timer';
  readonly actor: string;
  readonly timer: number;
  readonly delayMs: number;
}

export type InputRecord = SendRecord | EffectRecord | TimerRecord;
export type EventLogLine = EventLogHeader | InputRecord;

export interface EventLog {
  readonly header: EventLogHeader;
  readonly records: readonly InputRecord[];
}

export class EventLogError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventLogError';
  }
}

/** One JSON line; values JSON cannot represent faithfully are refused so a log never replays differently. */
export function serializeLine(line: EventLogLine): string {
  return `${JSON.stringify(line, (_key, value: unknown) => {
    if (value instanceof Map || value instanceof Set)
      throw new EventLogError('an input holds a Map or Set, which JSON cannot record');
    if (typeof value === 'bigint')
      throw new EventLogError('an input holds a bigint, which JSON cannot record');
    return value;
  })}\n`;
}

/** Parses a log's text (one or more segments, oldest first), checking format, version and sequence. */
export function parseEventLog(text: string, origin = 'event log'): EventLog {
  let header: EventLogHeader | undefined;
  const records: InputRecord[] = [];
  let expected = 0;
  let lineNumber = 0;
  for (const raw of text.split('\n')) {
    lineNumber++;
    if (raw.trim() === '') continue;
    let line: EventLogLine;
    try {
      line = JSON.parse(raw) as EventLogLine;
    } catch {
      throw new EventLogError(`${origin}:${lineNumber}: not JSON`);
    }
    if (line.kind === 'header') {
      if (line.format !== EVENT_LOG_FORMAT)
        throw new EventLogError(
          `${origin}:${lineNumber}: not a Switchyard event log (format "${line.format}")`,
        );
      if (line.version !== EVENT_LOG_VERSION)
        throw new EventLogError(
          `${origin}:${lineNumber}: event log version ${line.version}; this Switchyard reads version ${EVENT_LOG_VERSION}`,
        );
      if (header === undefined) {
        if (line.segment !== 0)
          throw new EventLogError(
            `${origin}: the log starts at segment ${line.segment} (seq ${line.firstSeq}); earlier segments were rotated away, so it cannot be replayed from the start — record with a larger size cap`,
          );
        header = line;
      } else if (line.firstSeq !== expected + 1) {
        throw new EventLogError(
          `${origin}:${lineNumber}: segment ${line.segment} starts at seq ${line.firstSeq}, expected ${expected + 1}`,
        );
      }
      continue;
    }
    if (header === undefined) throw new EventLogError(`${origin}:${lineNumber}: record before the header`);
    if (line.kind !== 'send' && line.kind !== 'effect' && line.kind !== 'timer')
      throw new EventLogError(
        `${origin}:${lineNumber}: unknown record kind "${(line as { kind: unknown }).kind}"`,
      );
    if (line.seq !== expected + 1)
      throw new EventLogError(
        `${origin}:${lineNumber}: seq ${line.seq} follows ${expected}; the log has a gap`,
      );
    expected = line.seq;
    records.push(line);
  }
  if (header === undefined) throw new EventLogError(`${origin}: empty, no header`);
  return { header, records };
}

/** Reads a recording: `file` plus its rotated predecessors `file.1`, `file.2`, … (oldest first). */
export function readEventLog(file: string): EventLog {
  const segments: string[] = [];
  for (let n = 1; existsSync(`${file}.${n}`); n++) segments.unshift(readFileSync(`${file}.${n}`, 'utf8'));
  segments.push(readFileSync(file, 'utf8'));
  return parseEventLog(segments.join('\n'), file);
}

export interface EventLogWriterOptions {
  readonly file: string;
  /** Size cap of one segment in bytes; at the cap the file rotates (`file` → `file.1` → `file.2` …). */
  readonly maxBytes: number;
  /** How many rotated segments to keep besides the current one. */
  readonly keep?: number;
}

/**
 * Appends lines to a JSONL file, synchronously so a crash loses at most the line being written and records stay
 * in the order the system saw them. The file is created 0600: logs carry what the inputs carried (Secrets too).
 */
export class EventLogWriter {
  private readonly file: string;
  private readonly maxBytes: number;
  private readonly keep: number;
  private fd: number;
  private bytes = 0;
  private closed = false;

  constructor(options: EventLogWriterOptions) {
    if (!(options.maxBytes > 0)) throw new EventLogError('the event log size cap must be positive');
    this.file = options.file;
    this.maxBytes = options.maxBytes;
    this.keep = options.keep ?? 3;
    for (let n = 1; n <= this.keep + 1; n++) rmSync(`${this.file}.${n}`, { force: true });
    this.fd = openSync(this.file, 'w', 0o600);
  }

  /** Writes one line; `rotate` returns the header to start a new segment with when the cap is reached. */
  write(line: string, rotate: () => string): void {
    if (this.closed) return;
    const size = Buffer.byteLength(line);
    if (this.bytes > 0 && this.bytes + size > this.maxBytes) {
      this.rotate();
      this.append(rotate());
    }
    this.append(line);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private append(line: string): void {
    writeSync(this.fd, line);
    this.bytes += Buffer.byteLength(line);
  }

  private rotate(): void {
    closeSync(this.fd);
    rmSync(`${this.file}.${this.keep}`, { force: true });
    for (let n = this.keep - 1; n >= 1; n--) {
      if (existsSync(`${this.file}.${n}`)) renameSync(`${this.file}.${n}`, `${this.file}.${n + 1}`);
    }
    if (this.keep > 0) renameSync(this.file, `${this.file}.1`);
    this.fd = openSync(this.file, 'w', 0o600);
    this.bytes = 0;
  }
}
