import type { Logger } from 'pino';
import { ActorCell, type ActorEnvironment, type ActorCell as Cell } from './Actor.ts';
import type { ActorSpec, ActorStats } from './ActorSpec.ts';
import type { Clock } from './clock.ts';
import type { InputHook } from './InputHook.ts';
import { type IdGenerator, sequentialIds } from './ids.ts';
import { silentLogger } from './logger.ts';
import type { Draft, Message, MessageMeta } from './message.ts';
import { SystemClock } from './SystemClock.ts';
import { TraceBus } from './TraceBus.ts';

export interface ActorSystemOptions {
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
  readonly trace?: TraceBus;
  readonly logger?: Logger;
  /** A recorder or replayer: sees every outside input (effect outcomes, outside sends, actor timers). */
  readonly inputs?: InputHook;
}

/** A handle for sending to an actor from outside the system (sources, tests, the CLI). */
export interface ActorRef<TMessage extends Message> {
  readonly name: string;
  /** Sends, waiting while the actor's mailbox is full. */
  send(draft: Draft<TMessage>, cause?: MessageMeta): Promise<void>;
  /** Sends if there is room; false otherwise. */
  trySend(draft: Draft<TMessage>, cause?: MessageMeta): boolean;
}

export class DuplicateActorError extends Error {
  constructor(name: string) {
    super(`an actor named "${name}" is already registered`);
    this.name = 'DuplicateActorError';
  }
}

/**
 * Actors registered by name. Start-up is ordered by readiness: an actor starts once every actor it depends on
 * reports ready (its machine is in a state tagged `ready`) — no fixed sleeps. Stop drains in dependency order
 * within a deadline.
 */
export class ActorSystem {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly trace: TraceBus;
  readonly logger: Logger;
  private readonly cells = new Map<string, ActorCell>();
  private started = false;
  private stopping = false;
  private readyWaiters: (() => void)[] = [];
  private inputHook: InputHook | undefined;
  /**
   * Names what a message is about (a resource key) for `send` trace events, so the inspector can filter flows
   * by resource. Called only while the trace bus is observed.
   */
  traceSubject: ((message: Message) => string | undefined) | undefined;

  constructor(options: ActorSystemOptions = {}) {
    this.clock = options.clock ?? new SystemClock();
    this.ids = options.ids ?? sequentialIds();
    this.trace = options.trace ?? new TraceBus();
    this.logger = options.logger ?? silentLogger();
    this.inputHook = options.inputs;
  }

  /** The attached recorder or replayer, if any. */
  get inputs(): InputHook | undefined {
    return this.inputHook;
  }

  /**
   * Attaches a recorder or replayer. Attach before `start()` so the log holds every input from the first one;
   * only one hook at a time.
   */
  attachInputs(hook: InputHook): void {
    if (this.inputHook !== undefined && this.inputHook !== hook)
      throw new Error('a recorder or replayer is already attached to this system');
    this.inputHook = hook;
  }

  detachInputs(hook: InputHook): void {
    if (this.inputHook === hook) this.inputHook = undefined;
  }

  spawn<TMessage extends Message>(spec: ActorSpec<TMessage>): ActorRef<TMessage> {
    if (this.cells.has(spec.name)) throw new DuplicateActorError(spec.name);
    const cell = new ActorCell<TMessage>(spec, this.environment());
    this.cells.set(spec.name, cell as unknown as ActorCell);
    if (this.started) this.startWhenDependenciesReady();
    return this.ref<TMessage>(spec.name);
  }

  ref<TMessage extends Message>(name: string): ActorRef<TMessage> {
    return {
      name,
      send: (draft, cause) => this.send(name, draft, cause),
      trySend: (draft, cause) => this.trySend(name, draft, cause),
    };
  }

  /** Starts every actor whose dependencies are ready; the rest start as their dependencies become ready. */
  start(): void {
    if (this.started) return;
    const missing = [...this.cells.values()].flatMap((cell) =>
      cell.dependsOn.filter((dependency) => !this.cells.has(dependency)).map((d) => `${cell.name} → ${d}`),
    );
    if (missing.length > 0)
      throw new Error(`actors depend on actors that do not exist: ${missing.join(', ')}`);
    this.started = true;
    this.startWhenDependenciesReady();
  }

  /** True when every actor has started and reports ready. */
  get ready(): boolean {
    if (this.stopping || !this.started) return false;
    for (const cell of this.cells.values()) if (!cell.ready) return false;
    return true;
  }

  /** Resolves once `ready` is true. */
  whenReady(): Promise<void> {
    if (this.ready) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  async send<TMessage extends Message>(
    to: string,
    draft: Draft<TMessage>,
    cause?: MessageMeta,
  ): Promise<void> {
    const cell = this.cell(to);
    const message = this.stamp(draft, cause);
    this.inputHook?.outside(to, message);
    this.traceOutsideSend(to, message);
    if (!cell.offer(message)) await cell.deliver(message);
  }

  trySend<TMessage extends Message>(to: string, draft: Draft<TMessage>, cause?: MessageMeta): boolean {
    const cell = this.cell(to);
    const message = this.stamp(draft, cause);
    const accepted = cell.offer(message);
    if (accepted) {
      this.inputHook?.outside(to, message);
      this.traceOutsideSend(to, message);
    }
    return accepted;
  }

  /** True when every actor is idle: no message queued or being handled, no effect in flight. */
  get idle(): boolean {
    for (const cell of this.cells.values()) if (!cell.idle) return false;
    return true;
  }

  /** True when no actor can move without an outside input (replay waits for this between records). */
  get settled(): boolean {
    for (const cell of this.cells.values()) if (!cell.settled) return false;
    return true;
  }

  /** Stats of every actor, in registration order. */
  stats(): ActorStats[] {
    return [...this.cells.values()].map((cell) => cell.stats());
  }

  actor(name: string): Cell | undefined {
    return this.cells.get(name);
  }

  actors(): readonly Cell[] {
    return [...this.cells.values()];
  }

  /**
   * Graceful stop: readiness flips first; then actors drain and stop in dependency order — sources
   * (actors that depend on nothing) first, so downstream actors receive everything before they drain.
   * Whatever is still running at the deadline is aborted.
   */
  async stop(deadlineMs = 10_000): Promise<{ drained: boolean }> {
    this.stopping = true;
    const order = this.dependencyOrder();
    let timedOut = false;
    // The deadline keeps the process alive until it passes: a drain waiting for something nothing will deliver
    // (an effect still in flight) must end at the deadline, not leave an empty event loop that exits mid-stop.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        timedOut = true;
        resolve();
      }, deadlineMs);
    });
    const drain = (async () => {
      for (const cell of order) {
        if (timedOut) return;
        await cell.stop();
      }
    })();
    await Promise.race([drain, deadline]);
    clearTimeout(timer);
    for (const cell of order) cell.abort();
    this.trace.complete();
    return { drained: !timedOut };
  }

  private dependencyOrder(): ActorCell[] {
    const ordered: ActorCell[] = [];
    const seen = new Set<string>();
    const visit = (cell: ActorCell) => {
      if (seen.has(cell.name)) return;
      seen.add(cell.name);
      for (const dependency of cell.dependsOn) {
        const upstream = this.cells.get(dependency);
        if (upstream !== undefined) visit(upstream);
      }
      ordered.push(cell);
    };
    for (const cell of this.cells.values()) visit(cell);
    return ordered;
  }

  private startWhenDependenciesReady(): void {
    if (!this.started || this.stopping) return;
    for (const cell of this.cells.values()) {
      if (cell.status !== 'created') continue;
      const waiting = cell.dependsOn.some((name) => this.cells.get(name)?.ready !== true);
      if (!waiting) cell.start();
    }
  }

  private environment(): ActorEnvironment {
    const system = this;
    return {
      clock: this.clock,
      ids: this.ids,
      trace: this.trace,
      logger: this.logger,
      lookup: (name) => this.cells.get(name),
      // A getter: a hook attached after spawn (the CLI's `--record`) still sees every later input.
      get inputs() {
        return system.inputHook;
      },
      get traceSubject() {
        return system.traceSubject;
      },
      readinessChanged: () => {
        this.startWhenDependenciesReady();
        if (this.ready && this.readyWaiters.length > 0) {
          for (const resolve of this.readyWaiters.splice(0)) resolve();
        }
      },
    };
  }

  private cell(name: string): ActorCell {
    const cell = this.cells.get(name);
    if (cell === undefined) throw new Error(`no actor named "${name}"`);
    return cell;
  }

  private stamp<TMessage extends Message>(draft: Draft<TMessage>, cause: MessageMeta | undefined): TMessage {
    const meta: MessageMeta = { id: this.ids.next(), causeId: cause?.id, time: this.clock.now() };
    return { ...(draft as object), meta } as TMessage;
  }

  private traceOutsideSend(to: string, message: Message): void {
    if (this.trace.active) {
      const subject = this.traceSubject?.(message);
      this.trace.emit({
        kind: 'send',
        time: message.meta.time,
        actor: 'outside',
        to,
        messageType: message.type,
        meta: message.meta,
        ...(subject === undefined ? {} : { subject }),
      });
    }
  }
}
