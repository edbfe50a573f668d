// What the MCP proxy exposes to Prometheus: per tool, how many calls and how long they took, by outcome; every
// other client request by method; sessions open, refused (pool full) and closed, by reason.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CloseReason } from './session-actor.ts';
import type { CallSummary } from './session-calls.ts';

/** Bucket bounds in seconds: a tool call spans a loopback hop (below 1 ms) to a slow tool (seconds). */
export const CALL_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];
/**
 * Distinct tool labels kept per backend; calls to further names count under `tool="other"`. A client can
 * call any name a backend does not refuse up front, and each would otherwise become a new time series.
 */
const MAX_TOOL_LABELS = 256;

export interface McpMetrics {
  observe(route: string, summary: CallSummary): void;
  refused(): void;
  closed(reason: CloseReason): void;
}

export function registerMcpMetrics(registry: Registry, openSessions: () => number): McpMetrics {
  const toolCalls = new Counter({
    name: 'switchyard_mcp_tool_calls_total',
    help: 'Tool calls by route, backend, tool and outcome (ok, tool_error, error, unavailable, refused)',
    labelNames: ['route', 'backend', 'tool', 'outcome'],
    registers: [registry],
  });
  const toolSeconds = new Histogram({
    name: 'switchyard_mcp_tool_call_duration_seconds',
    help: 'Time from a tool call reaching its session to its answer, by route, backend and tool',
    labelNames: ['route', 'backend', 'tool'],
    buckets: CALL_BUCKETS,
    registers: [registry],
  });
  const requests = new Counter({
    name: 'switchyard_mcp_requests_total',
    help: 'Client requests other than tool calls, by route, method and outcome',
    labelNames: ['route', 'method', 'outcome'],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'switchyard_mcp_sessions_refused_total',
    help: 'Sessions answered 503 because every session actor was busy',
    registers: [registry],
  });
  const closed = new Counter({
    name: 'switchyard_mcp_sessions_closed_total',
    help: 'Sessions ended, by reason (deleted, expired, route-removed, failed, shutdown)',
    labelNames: ['reason'],
    registers: [registry],
  });
  new Gauge({
    name: 'switchyard_mcp_sessions_open',
    help: 'Client sessions open now',
    registers: [registry],
    collect() {
      this.set(openSessions());
    },
  });
  const toolLabels = new Map<string, Set<string>>();
  const toolLabel = (route: string, backend: string, tool: string): string => {
    const key = `${route} ${backend}`;
    let seen = toolLabels.get(key);
    if (seen === undefined) {
      seen = new Set();
      toolLabels.set(key, seen);
    }
    if (seen.has(tool)) return tool;
    if (seen.size >= MAX_TOOL_LABELS) return 'other';
    seen.add(tool);
    return tool;
  };
  return {
    observe(route, summary) {
      if (summary.method !== 'tools/call') {
        requests.inc({ route, method: summary.method, outcome: summary.outcome });
        return;
      }
      // A refused name is the client's invention, never a label.
      const backend = summary.outcome === 'refused' ? '' : (summary.backend ?? '');
      const tool =
        summary.outcome === 'refused' || summary.tool === undefined
          ? ''
          : toolLabel(route, backend, summary.tool);
      toolCalls.inc({ route, backend, tool, outcome: summary.outcome });
      if (summary.outcome !== 'refused') toolSeconds.observe({ route, backend, tool }, summary.seconds);
    },
    refused: () => refused.inc(),
    closed: (reason) => closed.inc({ reason }),
  };
}
