import type { ActorSystem } from '../runtime/ActorSystem.ts';

/** One record of a loaded log as the inspector shows it: what and when, never the payload (it may hold Secrets). */
export interface ReplayRecordSummary {
  readonly seq: number;
  readonly time: number;
  readonly kind: 'send' | 'effect' | 'timer';
  /** The actor the input went to. */
  readonly actor: string;
  /** Message type, effect name or timer number. */
  readonly what: string;
  readonly outcome?: 'done' | 'failed';
}

export interface ReplayState {
  readonly loaded: boolean;
  readonly name: string | undefined;
  /** Sequence number of the last record applied. */
  readonly position: number;
  /** Sequence number of the last record in the log. */
  readonly end: number;
  readonly playing: boolean;
  /** The replayed system's clock. */
  readonly time: number;
  readonly divergences: readonly string[];
}

/**
 * A replay session the inspector drives (`switchyard replay --inspect`): load a log, play, pause, step, scrub.
 * Scrubbing backwards rebuilds a fresh system and replays up to the chosen record; `onSystem` tells the
 * inspector to follow the new system's trace bus.
 */
export interface ReplayControls {
  state(): ReplayState;
  records(from: number, limit: number): readonly ReplayRecordSummary[];
  load(text: string, name: string): Promise<void>;
  step(): Promise<void>;
  seek(seq: number): Promise<void>;
  play(): void;
  pause(): void;
  onSystem(listener: (system: ActorSystem) => void): void;
}
