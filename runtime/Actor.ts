import type { Logger } from 'pino';
import { type AnyStateMachine, createActor, type SnapshotFrom, type Actor as XStateActor } from 'xstate';
import type { ActorSpec, ActorStats, ActorStatus } from './ActorSpec.ts';
import { ActorTrace } from './ActorTrace.ts';
import { BoundedMailbox } from './BoundedMailbox.ts';
import { CoalescingMailbox } from './CoalescingMailbox.ts';
import type { Clock, Timer } from './clock.ts';
import { EffectRunner, errorText } from './EffectRunner.ts';
import type { InputHook } from './InputHook.ts';
import type { IdGenerator } from './ids.ts';
import type { Mailbox } from './Mailbox.ts';
import type { Message, MessageMeta } from './message.ts';
import { type EffectReply, OutboxQueue, type Outgoing } from './outbox.ts';
import { defaultSupervision, restartDelay, type SupervisionPolicy } from './supervision.ts';
import type { TraceBus } from './TraceBus.ts';

/** What a running actor needs from its system. */
export interface ActorEnvironment {
  readonly clock: Clock;
  readonly ids: IdGenerator;
  readonly trace: TraceBus;
  readonly logger: Logger;
  /** The actor registered under `name`, for delivering messages. */
  lookup(name: string): ActorCell | undefined;
  /** Called whenever the actor's readiness changes. */
  readinessChanged(actor: { readonly name: string }): void;
  /** The recorder or replayer attached to the system, if any: effects and actor timers go through it. */
  readonly inputs?: InputHook | undefined;
  /** Names what a message is about for `send` trace events (read only while the trace bus is observed). */
  readonly traceSubject?: ((message: Message) => string | undefined) | undefined;
}

const YIELD_EVERY = 128;

/**
 * A running actor: an XState machine, a bounded mailbox and the loop between them. The loop hands the machine
 * one message at a time, delivers what the machine emits (awaiting backpressure), runs requested effects
 * through ports (EffectRunner.ts), and restarts the machine with backoff when it throws; the mailbox survives
 * restarts. What it reports to the trace bus is ActorTrace.ts.
 */
export class ActorCell<TMessage extends Message = Message> {
  readonly name: string;
  readonly mailbox: Mailbox<TMessage>;
  private readonly spec: ActorSpec<TMessage>;
  private readonly env: ActorEnvironment;
  private readonly policy: SupervisionPolicy;
  private readonly logger: Logger;
  private readonly trace: ActorTrace;
  private readonly effects: EffectRunner;
  private machine!: XStateActor<AnyStateMachine>;
  private readonly outbox = new OutboxQueue();
  private replies: EffectReply[] = [];
  private wake: (() => void) | undefined;
  private currentMeta: MessageMeta | undefined;
  private currentType: string | undefined;
  private lifecycle: ActorStatus = 'created';
  private isReady = false;
  private stateLabel = '';
  /** The snapshot last taken in: each step reaches observeSnapshot twice (subscription, then afterStep). */
  private observed: unknown;
  private handledCount = 0;
  private failureCount = 0;
  private restartCount = 0;
  private consecutiveFailures = 0;
  private lastFailureAt = Number.NEGATIVE_INFINITY;
  private lastErrorText: string | undefined;
  private handlingTotal = 0;
  private loop: Promise<void> | undefined;
  /** Observes handling time in seconds; set by metrics when enabled. */
  observeHandling: ((seconds: number) => void) | undefined;

  constructor(spec: ActorSpec<TMessage>, env: ActorEnvironment) {
    this.name = spec.name;
    this.spec = spec;
    this.env = env;
    this.policy = { ...defaultSupervision, ...spec.supervision };
    this.logger = env.logger.child({ actor: spec.name });
    this.trace = new ActorTrace(spec.name, env.trace, env.clock);
    this.effects = new EffectRunner({
      actor: spec.name,
      ports: spec.effects,
      oneWay: spec.oneWayEffects,
      inputs: () => env.inputs,
      trace: this.trace,
      meta: (cause) => this.meta(cause),
      reply: (reply) => {
        this.replies.push(reply);
        this.notify();
      },
      notify: () => this.notify(),
    });
    const { capacity, coalesceBy, keysWithin } = spec.mailbox;
    this.mailbox =
      coalesceBy === undefined
        ? new BoundedMailbox<TMessage>(capacity, spec.name)
        : new CoalescingMailbox<TMessage>(capacity, coalesceBy, spec.name, keysWithin);
  }

  get dependsOn(): readonly string[] {
    return this.spec.dependsOn ?? [];
  }

  get ready(): boolean {
    return this.isReady;
  }

  get status(): ActorStatus {
    return this.lifecycle;
  }

  /** The machine's current state value, as a dotted string. */
  get state(): string {
    return this.stateLabel;
  }

  /** Nothing queued, nothing in flight: the actor would only act on a new message or timer. */
  get idle(): boolean {
    if (this.lifecycle === 'stopped' || this.lifecycle === 'created') return this.mailbox.size === 0;
    if (this.lifecycle !== 'running') return false;
    if (this.mailbox.size > 0 || this.outbox.pending || this.replies.length > 0) return false;
    return this.effects.outstanding === 0 && !this.machine.getSnapshot().hasTag('busy');
  }

  /**
   * Nothing to do until an outside input arrives — an effect settling, a timer firing or a message: replay's
   * notion of rest, where in-flight effects wait for their recorded outcome.
   */
  get settled(): boolean {
    if (this.lifecycle === 'created' || this.lifecycle === 'stopped' || this.lifecycle === 'restarting')
      return true;
    if (this.lifecycle !== 'running') return false;
    if (this.outbox.pending || this.replies.length > 0) return false;
    return this.mailbox.size === 0 || this.machine.getSnapshot().hasTag('busy');
  }

  /** The machine's current context, for the inspector. */
  get context(): unknown {
    return this.machine?.getSnapshot().context;
  }

  stats(): ActorStats {
    return {
      name: this.name,
      status: this.lifecycle,
      state: this.stateLabel,
      ready: this.isReady,
      mailboxDepth: this.mailbox.size,
      mailboxCapacity: this.mailbox.capacity,
      mailboxHighWaterMark: this.mailbox.highWaterMark,
      waitingSenders: this.mailbox.waitingSenders,
      handled: this.handledCount,
      failures: this.failureCount,
      restarts: this.restartCount,
      lastError: this.lastErrorText,
      handlingSeconds: this.handlingTotal,
    };
  }

  /** Enqueues without waiting; false when the mailbox is full. */
  offer(message: TMessage): boolean {
    const accepted = this.mailbox.trySend(message);
    if (accepted) this.trace.enqueue(message, this.mailbox.size);
    return accepted;
  }

  /** Enqueues, waiting while the mailbox is full (backpressure). */
  async deliver(message: TMessage): Promise<void> {
    await this.mailbox.send(message);
    this.trace.enqueue(message, this.mailbox.size);
  }

  start(): void {
    if (this.lifecycle !== 'created') return;
    // Running before the machine starts: its first snapshot may report ready, which re-enters the system.
    this.lifecycle = 'running';
    this.machine = this.createMachine();
    this.trace.lifecycle('started');
    this.logger.debug('started');
    this.afterStep(undefined);
    this.loop = this.run();
  }

  /**
   * Finishes queued work, then stops. Resolves when the loop has ended; `abort` (from the system's
   * deadline) stops it at once.
   */
  async stop(): Promise<void> {
    if (this.lifecycle === 'created') {
      this.lifecycle = 'stopped';
      return;
    }
    if (this.lifecycle === 'stopped') return;
    if (this.lifecycle === 'restarting') {
      // No machine to drain into until the restart; stopping now loses nothing still queued for replay.
      this.abort();
      await this.loop;
      return;
    }
    this.lifecycle = 'stopping';
    this.mailbox.close();
    this.notify();
    await this.loop;
  }

  abort(): void {
    if (this.lifecycle === 'stopped') return;
    this.lifecycle = 'stopped';
    this.mailbox.close();
    this.notify();
  }

  private createMachine(): XStateActor<AnyStateMachine> {
    const machine = createActor(this.spec.machine, {
      input: this.spec.input,
      // Delayed transitions (`after`) run on the injected clock, so virtual time drives them too.
      clock: {
        setTimeout: (fire: () => void, ms: number) =>
          this.schedule(ms, this.causedBy(this.currentMeta, fire)),
        clearTimeout: (timer: unknown) => (timer as { cancel(): void }).cancel(),
      },
    });
    machine.on('*', (emitted) => {
      this.outbox.push(emitted as Outgoing, this.currentMeta);
      this.notify();
    });
    machine.subscribe({
      next: (snapshot) => this.observeSnapshot(snapshot),
      // Errors are read from the snapshot after each step; this listener keeps XState from rethrowing them.
      error: () => {},
    });
    machine.start();
    return machine;
  }

  private async run(): Promise<void> {
    let sinceYield = 0;
    while (this.lifecycle !== 'stopped') {
      if (this.outbox.pending) {
        const pending = this.flushOutbox();
        if (pending !== undefined) await pending;
        continue;
      }
      if (this.lifecycle === 'restarting') {
        await this.waitForWake();
        continue;
      }
      const reply = this.replies.shift();
      if (reply !== undefined) {
        this.dispatch(reply as unknown as TMessage, false);
        if (++sinceYield >= YIELD_EVERY) {
          sinceYield = 0;
          await yieldToEventLoop();
        }
        continue;
      }
      const snapshot = this.machine.getSnapshot();
      if (snapshot.hasTag('busy')) {
        await this.waitForWake();
        continue;
      }
      const message = this.mailbox.take();
      if (message === undefined) {
        if (this.lifecycle === 'stopping' && this.effects.outstanding === 0) break;
        await this.waitForWork();
        continue;
      }
      this.dispatch(message, true);
      if (++sinceYield >= YIELD_EVERY) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
    this.lifecycle = 'stopped';
    this.machine.stop();
    this.setReady(false);
    this.trace.lifecycle('stopped');
    this.logger.debug('stopped');
  }

  private dispatch(message: TMessage, fromMailbox: boolean): void {
    if (fromMailbox) this.trace.dequeue(message, this.mailbox.size);
    this.currentMeta = message.meta;
    this.currentType = message.type;
    const observe = this.observeHandling;
    const started = observe === undefined ? 0 : performance.now();
    try {
      this.machine.send(message);
    } catch (error) {
      this.fail(error, message);
      return;
    } finally {
      this.currentMeta = undefined;
      this.currentType = undefined;
    }
    this.handledCount++;
    if (observe !== undefined) {
      const seconds = (performance.now() - started) / 1000;
      this.handlingTotal += seconds;
      observe(seconds);
    }
    this.afterStep(message.meta);
  }

  /** Checks the machine after a step for a crash, and takes in its state (also when started). */
  private afterStep(meta: MessageMeta | undefined): void {
    const snapshot = this.machine.getSnapshot();
    if (snapshot.status === 'error') {
      this.fail(snapshot.error, undefined, meta);
      return;
    }
    this.observeSnapshot(snapshot);
  }

  /** Every snapshot, whether a message or a timer caused it: state label, transition trace, readiness. */
  private observeSnapshot(snapshot: SnapshotFrom<AnyStateMachine>): void {
    if (snapshot.status === 'error' || snapshot === this.observed) return;
    this.observed = snapshot;
    const label = stateToString(snapshot.value);
    if (label !== this.stateLabel) {
      if (this.stateLabel !== '') {
        this.trace.transition(this.stateLabel, label, this.currentType ?? 'timer', this.currentMeta);
      }
      this.stateLabel = label;
    }
    this.setReady(snapshot.hasTag('ready'));
    this.notify();
  }

  private flushOutbox(): Promise<void> | undefined {
    const cause = this.outbox.cause;
    for (let outgoing = this.outbox.next(); outgoing !== undefined; outgoing = this.outbox.next()) {
      if (outgoing.type === 'effect') {
        this.effects.run(outgoing.effect, outgoing.request, cause, this.lifecycle === 'stopping');
        continue;
      }
      const target = this.env.lookup(outgoing.to);
      if (target === undefined) {
        this.recordError(
          new Error(`no actor named "${outgoing.to}" to deliver ${outgoing.message.type} to`),
          cause,
        );
        continue;
      }
      const message = this.stamp(outgoing.message, cause);
      if (this.trace.active) this.trace.send(target.name, message, this.env.traceSubject?.(message));
      if (!target.offer(message)) {
        return target.deliver(message).then(
          () => this.flushOutbox(),
          (error: unknown) => this.recordError(error, cause),
        );
      }
    }
    return undefined;
  }

  private fail(error: unknown, message: TMessage | undefined, meta?: MessageMeta): void {
    const cause = message?.meta ?? meta;
    this.recordError(error, cause);
    this.failureCount++;
    const now = this.env.clock.now();
    this.consecutiveFailures =
      now - this.lastFailureAt > this.policy.resetAfterMs ? 1 : this.consecutiveFailures + 1;
    this.lastFailureAt = now;
    const delayMs = restartDelay(this.policy, this.consecutiveFailures);
    // The message that crashed the machine is reported with the error, not retried: one poison message must
    // not crash-loop the actor. Everything queued behind it is kept.
    this.lifecycle = 'restarting';
    this.outbox.clear();
    this.setReady(false);
    this.machine.stop();
    this.trace.restart(this.consecutiveFailures, delayMs);
    this.logger.warn({ attempt: this.consecutiveFailures, delayMs }, 'restarting after failure');
    this.schedule(delayMs, () => {
      if (this.lifecycle !== 'restarting') return;
      this.restartCount++;
      this.lifecycle = 'running';
      this.machine = this.createMachine();
      this.trace.lifecycle('started');
      this.afterStep(undefined);
      this.notify();
    });
  }

  /**
   * A delayed transition (a debounce, a retry) is caused by the message whose handling scheduled it: what it
   * sends carries that cause, so a flow can be followed through the timer down to the status writes.
   */
  private causedBy(cause: MessageMeta | undefined, fire: () => void): () => void {
    if (cause === undefined) return fire;
    return () => {
      const outer = this.currentMeta;
      this.currentMeta = cause;
      try {
        fire();
      } finally {
        this.currentMeta = outer;
      }
    };
  }

  /** Actor timers run on the injected clock, through the recorder or replayer when one is attached. */
  private schedule(delayMs: number, fire: () => void): Timer {
    const inputs = this.env.inputs;
    return inputs === undefined
      ? this.env.clock.schedule(delayMs, fire)
      : inputs.timer(this.name, delayMs, fire);
  }

  private recordError(error: unknown, cause: MessageMeta | undefined): void {
    const text = errorText(error);
    this.lastErrorText = text;
    this.trace.error(text, cause);
    this.logger.error({ err: error, causeId: cause?.id }, 'actor error');
  }

  private setReady(ready: boolean): void {
    if (ready === this.isReady) return;
    this.isReady = ready;
    this.trace.lifecycle(ready ? 'ready' : 'not-ready');
    this.env.readinessChanged(this);
  }

  // A message an actor delivers while handling another carries its cause's logical time: everything a change
  // leads to is stamped with the time of that change, on a wall clock as on replay's virtual one (where the
  // clock stands still between recorded inputs), so a replay reproduces condition times exactly.
  private stamp(draft: { readonly type: string }, cause: MessageMeta | undefined): TMessage {
    const meta: MessageMeta = {
      id: this.env.ids.next(),
      causeId: cause?.id,
      time: cause?.time ?? this.env.clock.now(),
    };
    return { ...draft, meta } as unknown as TMessage;
  }

  private meta(cause: MessageMeta | undefined): MessageMeta {
    return { id: this.env.ids.next(), causeId: cause?.id, time: this.env.clock.now() };
  }

  private notify(): void {
    const wake = this.wake;
    if (wake !== undefined) {
      this.wake = undefined;
      wake();
    }
  }

  private waitForWake(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
    });
  }

  private waitForWork(): Promise<void> {
    if (this.mailbox.closed) return this.waitForWake();
    return new Promise((resolve) => {
      this.wake = resolve;
      this.mailbox.whenNonEmpty().then(resolve);
    });
  }
}

/**
 * Lets I/O and timers (watch streams, gRPC, deadlines) run between long bursts of work. Effect replies count
 * too: a port that answers at once must not let an actor starve the event loop on microtasks alone.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function stateToString(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object') return String(value);
  return Object.entries(value as Record<string, unknown>)
    .map(([key, child]) => {
      const inner = stateToString(child);
      return inner === '' || inner === '{}' ? key : `${key}.${inner}`;
    })
    .join(',');
}
