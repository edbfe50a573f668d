// What the ext_proc service exposes to Prometheus: how long it worked on each request (the latency it adds to
// Envoy's data path), and how many streams it served, refused and has open. With `--workers N` each worker
// counts its own and the primary sums them when scraped.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** Bucket bounds in seconds: fine below 5 ms, where the service's own work lies. */
export const PROCESSING_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.00075, 0.001, 0.0015, 0.002, 0.003, 0.005, 0.01, 0.025, 0.1, 1,
];

export interface ExtProcMetrics {
  /** A request is over: the seconds spent between each of its messages arriving and its reply being written. */
  observeRequest(seconds: number): void;
  /** A stream was refused because every stream actor was busy (answered 503). */
  refused(): void;
}

export function registerExtProcMetrics(registry: Registry, openStreams: () => number): ExtProcMetrics {
  const processing = new Histogram({
    name: 'switchyard_extproc_request_processing_seconds',
    help: 'Time the ext_proc service spent on a request: from each message arriving to its reply being written, summed over the stream',
    buckets: PROCESSING_BUCKETS,
    registers: [registry],
  });
  const refused = new Counter({
    name: 'switchyard_extproc_streams_refused_total',
    help: 'Streams answered 503 because every stream actor was busy',
    registers: [registry],
  });
  new Gauge({
    name: 'switchyard_extproc_streams_open',
    help: 'ext_proc streams open now',
    registers: [registry],
    collect() {
      this.set(openStreams());
    },
  });
  return {
    observeRequest: (seconds) => processing.observe(seconds),
    refused: () => refused.inc(),
  };
}
