// The actor kernel's public surface. Everything else in runtime/ is machinery.
export type { ActorEnvironment } from './Actor.ts';
export { ActorCell } from './Actor.ts';
export type { ActorPoolOptions, ActorPoolStats } from './ActorPool.ts';
export { ActorPool } from './ActorPool.ts';
export type { ActorSpec, ActorStats, ActorStatus } from './ActorSpec.ts';
export type { ActorRef, ActorSystemOptions } from './ActorSystem.ts';
export { ActorSystem } from './ActorSystem.ts';
export { BoundedMailbox } from './BoundedMailbox.ts';
export { CoalescingMailbox } from './CoalescingMailbox.ts';
export type { Clock, Timer } from './clock.ts';
export type {
  EffectRecord,
  EventLog,
  EventLogHeader,
  InputRecord,
  SendRecord,
  TimerRecord,
} from './EventLog.ts';
export {
  EVENT_LOG_FORMAT,
  EVENT_LOG_VERSION,
  EventLogError,
  EventLogWriter,
  parseEventLog,
  readEventLog,
} from './EventLog.ts';
export { fingerprint } from './fingerprint.ts';
export { HealthServer } from './HealthServer.ts';
export type { InputHook } from './InputHook.ts';
export type { IdGenerator } from './ids.ts';
export { sequentialIds } from './ids.ts';
export { createLogger, REDACTED, redactSecrets } from './logger.ts';
export type { Mailbox } from './Mailbox.ts';
export { MailboxClosedError } from './Mailbox.ts';
export type { AnyMessage, Draft, Message, MessageMeta } from './message.ts';
export { registerActorMetrics } from './metrics.ts';
export type {
  DeliverRequest,
  EffectDone,
  EffectFailed,
  EffectPorts,
  EffectReply,
  EffectRequest,
  Outgoing,
  OutgoingBatch,
} from './outbox.ts';
export { batch, deliverTo, effectRequest } from './outbox.ts';
export { runUntilQuiescent } from './quiescence.ts';
export type { EventLogSink, RecorderOptions } from './Recorder.ts';
export { MemoryEventLogSink, Recorder } from './Recorder.ts';
export type { ReplayerOptions } from './Replayer.ts';
export { Replayer } from './Replayer.ts';
export { SystemClock } from './SystemClock.ts';
export type { SupervisionPolicy } from './supervision.ts';
export { defaultSupervision, restartDelay } from './supervision.ts';
export type { TraceEvent, TraceKind } from './TraceBus.ts';
export { TraceBus } from './TraceBus.ts';
export { VirtualClock } from './VirtualClock.ts';
