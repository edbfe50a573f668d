// The targets the benchmarks are held to, as the issues and docs set them: the HTML report draws each figure
// against its target. A figure without one is drawn against its previous run only.

export interface Target {
  readonly bench: string;
  /** The metric's name, or a pattern for a family of them (one per provider pair, say). */
  readonly metric: string | RegExp;
  readonly atMost?: number;
  readonly atLeast?: number;
  /** Where the target comes from. */
  readonly source: string;
}

export const TARGETS: readonly Target[] = [
  {
    bench: 'controlplane.fullsync',
    metric: 'time_to_all_statuses_and_ir',
    atMost: 2000,
    source: 'issue 4; docs/architecture.md "Scale"',
  },
  { bench: 'controlplane.fullsync', metric: 'rss_end', atMost: 300, source: 'issue 4' },
  { bench: 'controlplane.fullsync', metric: 'rss_peak', atMost: 300, source: 'issue 4' },
  {
    bench: 'controlplane.fullsync',
    metric: 'time_to_all_statuses_and_ir_at_100k_routes',
    atMost: 10_000,
    source: 'issue 22; docs/architecture.md "Scale"',
  },
  {
    bench: 'controlplane.fullsync',
    metric: /^rss_(end|peak)_at_100k_routes$/,
    atMost: 1024,
    source: 'issue 22',
  },
  { bench: 'controlplane.incremental', metric: 'event_to_ir_p99', atMost: 10, source: 'issue 4' },
  { bench: 'controlplane.incremental', metric: 'policy_event_to_ir_p99', atMost: 10, source: 'issue 16' },
  {
    bench: 'controlplane.fullsync_btp',
    metric: /^time_to_all_statuses_and_ir_(with_btp_per_route|without_btp)$/,
    atMost: 2000,
    source: 'issue 18 ("within the existing targets": issue 4)',
  },
  {
    bench: 'controlplane.fullsync_btp',
    metric: /^rss_(end|peak)_(with_btp_per_route|without_btp)$/,
    atMost: 300,
    source: 'issue 18 ("within the existing targets": issue 4)',
  },
  { bench: 'controlplane.churn', metric: 'event_to_ir_p99', atMost: 10, source: 'issue 22' },
  {
    bench: 'controlplane.churn',
    metric: /^rss(_after_gc|_quiet)?_growth$/,
    atMost: 1.1,
    source: 'issue 22 (rss_quiet_growth: once quiet, as the controller leaves it)',
  },
  {
    bench: 'e2e.apply-to-traffic',
    metric: /^(create|update|delete)_p99/,
    atMost: 1000,
    source: 'issue 22 (Envoy AI Gateway documents ~5 s route readiness)',
  },
  {
    bench: 'e2e.files-to-traffic',
    metric: /^change_p99/,
    atMost: 1000,
    source: "issue 22 (e2e.apply-to-traffic's target, without the API server)",
  },
  {
    bench: 'runtime.pipeline',
    metric: 'throughput_unsubscribed',
    atLeast: 500_000,
    source: 'issue 22 (not met with XState\'s step: docs/architecture.md "The actor runtime")',
  },
  { bench: 'translate.startup', metric: 'wall_10_routes_p50', atMost: 400, source: 'issue 22' },
  {
    bench: 'envoy.fanout',
    metric: /^change_to_all_acked_(p50|max)$/,
    atMost: 1000,
    source: 'bench/envoy.fanout.bench.ts',
  },
  {
    bench: 'extproc.chat',
    metric: /^requests_per_second_(?!one_worker)/,
    atLeast: 5000,
    source: 'issue 9; docs/extproc.md',
  },
  {
    bench: 'extproc.chat',
    metric: /^processing_p99_at_1000_rps_at_most_/,
    atMost: 2,
    source: 'issue 9; docs/extproc.md',
  },
  {
    bench: 'runtime.pipeline',
    // Not the firehose (every trace event to a client): docs/inspector.md says it costs more, filter by kind.
    metric: /^inspector_(ui_|flow_stream_)?slowdown$/,
    atMost: 2,
    source: 'docs/inspector.md "Bounded cost"',
  },
];

export function targetOf(bench: string, metric: string): Target | undefined {
  return TARGETS.find(
    (target) =>
      target.bench === bench &&
      (typeof target.metric === 'string' ? target.metric === metric : target.metric.test(metric)),
  );
}

/** Whether a value meets its target. */
export function meets(target: Target, value: number): boolean {
  return (
    (target.atMost === undefined || value <= target.atMost) &&
    (target.atLeast === undefined || value >= target.atLeast)
  );
}
