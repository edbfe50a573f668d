import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ActorSystem } from './ActorSystem.ts';

/**
 * Prometheus metrics for every actor. Gauges and counters are read from the actors when scraped, so the
 * message path pays only for the handling-time histogram.
 */
export function registerActorMetrics(system: ActorSystem, registry: Registry = new Registry()): Registry {
  const labelNames = ['actor'] as const;
  const lastHandled = new Map<string, number>();
  const lastRestarts = new Map<string, number>();
  const lastFailures = new Map<string, number>();

  new Gauge({
    name: 'switchyard_actor_mailbox_depth',
    help: 'Messages queued in the actor mailbox.',
    labelNames,
    registers: [registry],
    collect() {
      for (const s of system.stats()) this.set({ actor: s.name }, s.mailboxDepth);
    },
  });
  new Gauge({
    name: 'switchyard_actor_mailbox_high_water_mark',
    help: 'Largest mailbox depth seen since start.',
    labelNames,
    registers: [registry],
    collect() {
      for (const s of system.stats()) this.set({ actor: s.name }, s.mailboxHighWaterMark);
    },
  });
  new Gauge({
    name: 'switchyard_actor_mailbox_capacity',
    help: 'Capacity of the actor mailbox.',
    labelNames,
    registers: [registry],
    collect() {
      for (const s of system.stats()) this.set({ actor: s.name }, s.mailboxCapacity);
    },
  });
  new Gauge({
    name: 'switchyard_actor_ready',
    help: '1 when the actor reports ready.',
    labelNames,
    registers: [registry],
    collect() {
      for (const s of system.stats()) this.set({ actor: s.name }, s.ready ? 1 : 0);
    },
  });
  const counterFrom = (
    name: string,
    help: string,
    read: (s: ReturnType<ActorSystem['stats']>[number]) => number,
    last: Map<string, number>,
  ) =>
    new Counter({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        for (const s of system.stats()) {
          const value = read(s);
          const delta = value - (last.get(s.name) ?? 0);
          if (delta > 0) this.inc({ actor: s.name }, delta);
          else this.inc({ actor: s.name }, 0);
          last.set(s.name, value);
        }
      },
    });
  counterFrom(
    'switchyard_actor_messages_handled_total',
    'Messages the actor has handled.',
    (s) => s.handled,
    lastHandled,
  );
  counterFrom(
    'switchyard_actor_restarts_total',
    'Restarts of the actor after a failure.',
    (s) => s.restarts,
    lastRestarts,
  );
  counterFrom(
    'switchyard_actor_failures_total',
    'Failures of the actor (machine crashed).',
    (s) => s.failures,
    lastFailures,
  );

  const handling = new Histogram({
    name: 'switchyard_actor_message_handling_seconds',
    help: 'Time the actor machine took to handle one message.',
    labelNames,
    buckets: [0.000_01, 0.000_05, 0.000_1, 0.000_5, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers: [registry],
  });
  for (const cell of system.actors()) {
    const child = handling.labels({ actor: cell.name });
    cell.observeHandling = (seconds) => child.observe(seconds);
  }
  return registry;
}
