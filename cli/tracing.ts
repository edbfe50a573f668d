// OpenTelemetry tracing of the actor pipeline (optional): every message becomes a span from its send to the
// end of its handling, every effect a span from start to outcome, each the child of the message that caused it
// (the runtime's cause ids), so one resource change shows as one trace across sources, controllers, the
// reference validator, the deployer and a backend's xDS push. Exported over OTLP/HTTP; the runtime knows
// nothing of it — this only reads the trace bus.
import {
  context,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ParentBasedSampler,
  type SpanExporter,
  TraceIdRatioBasedSampler,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import type { TraceBus, TraceEvent, TraceSubscription } from '../runtime/TraceBus.ts';

export interface TracingOptions {
  /** OTLP/HTTP traces endpoint, e.g. `http://otel-collector:4318/v1/traces`. */
  readonly endpoint?: string;
  /** Tests: where spans go instead of OTLP. */
  readonly exporter?: SpanExporter;
  /** Share of traces (root messages) kept, 0–1. */
  readonly sampleRatio?: number;
  readonly serviceName?: string;
  readonly serviceVersion?: string;
  /** Cause ids remembered to parent later spans; the oldest are forgotten beyond this. */
  readonly maxTrackedMessages?: number;
  /** A message's span ends this long after its actor last did anything for it. */
  readonly idleEndMs?: number;
}

export interface Tracing {
  /** Ends open spans, exports what is queued and stops. */
  shutdown(): Promise<void>;
}

interface OpenSpan {
  readonly span: Span;
  /** Last time (ms) the handling actor did something on behalf of this message. */
  lastActivity: number;
  handledBy?: string;
}

const DEFAULT_MAX_TRACKED = 20_000;
const DEFAULT_IDLE_END_MS = 200;

/** Subscribes to the trace bus and exports spans until `shutdown`. */
export function startTracing(bus: TraceBus, options: TracingOptions): Tracing {
  const exporter =
    options.exporter ??
    new OTLPTraceExporter({ ...(options.endpoint === undefined ? {} : { url: options.endpoint }) });
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': options.serviceName ?? 'switchyard',
      ...(options.serviceVersion === undefined ? {} : { 'service.version': options.serviceVersion }),
    }),
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(options.sampleRatio ?? 1) }),
    spanProcessors: [
      // Bounded: past 4,096 queued spans new ones are dropped (telemetry never holds the pipeline back).
      new BatchSpanProcessor({
        exporter,
        maxQueueSize: 4096,
        maxExportBatchSize: 512,
        scheduledDelayMillis: 500,
      }),
    ],
  });
  const tracer = provider.getTracer('switchyard');
  const maxTracked = options.maxTrackedMessages ?? DEFAULT_MAX_TRACKED;
  const idleEndMs = options.idleEndMs ?? DEFAULT_IDLE_END_MS;

  /** Message id → the span context its children hang under (bounded, oldest forgotten first). */
  const parents = new Map<string, SpanContext>();
  /** Message id → its span while it is queued or being handled. */
  const open = new Map<string, OpenSpan>();
  /** Effect (actor, cause id, effect) → its span until the outcome. */
  const effects = new Map<string, Span>();

  const remember = (id: string, spanContext: SpanContext): void => {
    parents.set(id, spanContext);
    if (parents.size > maxTracked) parents.delete(parents.keys().next().value as string);
  };
  const parentContext = (causeId: string | undefined) => {
    const parent = causeId === undefined ? undefined : parents.get(causeId);
    return parent === undefined ? ROOT_CONTEXT : trace.setSpanContext(ROOT_CONTEXT, parent);
  };
  const touch = (id: string | undefined, time: number): void => {
    const entry = id === undefined ? undefined : open.get(id);
    if (entry !== undefined && time > entry.lastActivity) entry.lastActivity = time;
  };
  const finish = (id: string, entry: OpenSpan): void => {
    entry.span.end(entry.lastActivity);
    open.delete(id);
  };

  const onEvent = (event: TraceEvent): void => {
    switch (event.kind) {
      case 'send': {
        const span = tracer.startSpan(
          event.messageType,
          {
            kind: event.actor === 'outside' ? SpanKind.CONSUMER : SpanKind.INTERNAL,
            startTime: event.time,
            attributes: {
              'switchyard.message.id': event.meta.id,
              'switchyard.message.type': event.messageType,
              'switchyard.actor.from': event.actor,
              'switchyard.actor.to': event.to,
              ...(event.subject === undefined ? {} : { 'switchyard.subject': event.subject }),
            },
          },
          parentContext(event.meta.causeId),
        );
        remember(event.meta.id, span.spanContext());
        open.set(event.meta.id, { span, lastActivity: event.time });
        if (open.size > maxTracked) {
          const [oldest, entry] = open.entries().next().value as [string, OpenSpan];
          finish(oldest, entry);
        }
        touch(event.meta.causeId, event.time);
        break;
      }
      case 'dequeue': {
        const entry = open.get(event.meta.id);
        if (entry !== undefined) {
          entry.handledBy = event.actor;
          entry.span.setAttribute('switchyard.mailbox.depth', event.depth);
          entry.span.addEvent('dequeued', event.time);
          touch(event.meta.id, event.time);
        }
        break;
      }
      case 'transition':
        touch(event.meta?.id, event.time);
        if (event.meta !== undefined)
          open.get(event.meta.id)?.span.addEvent(`${event.from} → ${event.to}`, event.time);
        break;
      case 'effect': {
        const key = `${event.actor}\0${event.meta?.id ?? ''}\0${event.effect}`;
        if (event.phase === 'start') {
          const span = tracer.startSpan(
            `effect ${event.effect}`,
            {
              kind: SpanKind.CLIENT,
              startTime: event.time,
              attributes: { 'switchyard.actor': event.actor, 'switchyard.effect': event.effect },
            },
            parentContext(event.meta?.id),
          );
          effects.get(key)?.end(event.time);
          effects.set(key, span);
          touch(event.meta?.id, event.time);
          break;
        }
        const span = effects.get(key);
        if (span === undefined) break;
        effects.delete(key);
        if (event.phase === 'failed') {
          span.setStatus({
            code: SpanStatusCode.ERROR,
            ...(event.detail === undefined ? {} : { message: event.detail }),
          });
        }
        span.end(event.time);
        // What the outcome causes in the actor hangs under the effect.
        if (event.reply !== undefined) remember(event.reply.id, span.spanContext());
        break;
      }
      case 'error': {
        const entry = event.meta === undefined ? undefined : open.get(event.meta.id);
        entry?.span.setStatus({ code: SpanStatusCode.ERROR, message: event.error });
        touch(event.meta?.id, event.time);
        break;
      }
      default:
        break;
    }
  };

  const subscription: TraceSubscription = context.with(ROOT_CONTEXT, () => bus.events.subscribe(onEvent));
  // Handling has no explicit end in the trace: a message's span ends once its actor has been quiet for it.
  const sweeper = setInterval(() => {
    const now = Date.now();
    for (const [id, entry] of open) {
      if (entry.handledBy !== undefined && now - entry.lastActivity >= idleEndMs) finish(id, entry);
    }
  }, idleEndMs);
  sweeper.unref();

  return {
    async shutdown() {
      subscription.unsubscribe();
      clearInterval(sweeper);
      for (const [id, entry] of open) finish(id, entry);
      for (const span of effects.values()) span.end();
      effects.clear();
      await provider.shutdown();
    },
  };
}
