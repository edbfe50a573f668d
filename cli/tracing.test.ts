import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../runtime/logger.ts';
import { createControlPlane } from './control-plane.ts';
import { startTracing } from './tracing.ts';

const MANIFESTS = new URL('../examples/quickstart/', import.meta.url).pathname;

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

/** The quick start's manifests through a real control plane (system clock) with tracing on. */
async function tracedRun(options: Parameters<typeof startTracing>[1]) {
  const plane = createControlPlane({
    files: { paths: [MANIFESTS], watch: false },
    logger: createLogger({ level: 'silent' }),
  });
  const tracing = startTracing(plane.system.trace, { idleEndMs: 20, ...options });
  plane.system.start();
  await until(
    () => plane.statuses.entries().some((entry) => entry.key.kind === 'Gateway'),
    'the Gateway status',
  );
  await plane.system.stop();
  plane.close();
  await tracing.shutdown();
}

/** Keeps every exported span (the SDK's in-memory exporter forgets them on shutdown). */
class CollectingExporter implements SpanExporter {
  readonly spans: ReadableSpan[] = [];
  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    this.spans.push(...spans);
    done({ code: 0 });
  }
  async shutdown(): Promise<void> {}
  getFinishedSpans(): ReadableSpan[] {
    return this.spans;
  }
}

function ancestors(span: ReadableSpan, byId: Map<string, ReadableSpan>): ReadableSpan[] {
  const out: ReadableSpan[] = [];
  let parent = span.parentSpanContext?.spanId;
  while (parent !== undefined && byId.has(parent)) {
    const next = byId.get(parent) as ReadableSpan;
    out.push(next);
    parent = next.parentSpanContext?.spanId;
  }
  return out;
}

describe('OpenTelemetry tracing of the pipeline', () => {
  it('exports the causal chain as one trace: files read → resolvers → validator → deployer → status write', async () => {
    const exporter = new CollectingExporter();
    await tracedRun({ exporter });
    const spans = exporter.getFinishedSpans();
    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));

    // The Gateway's status write is an effect span of its patcher, caused (through the chain) by the files
    // source reading the manifests: the same trace, parents all the way up.
    const write = spans.find(
      (s) => s.name.startsWith('effect ') && s.attributes['switchyard.actor'] === 'patcher.Gateway',
    );
    expect(
      write,
      spans
        .map(
          (s) =>
            `${s.name}@${String(s.attributes['switchyard.actor'] ?? s.attributes['switchyard.actor.to'])}`,
        )
        .join(', '),
    ).toBeDefined();
    const chain = ancestors(write as ReadableSpan, byId);
    const actors = chain.map((s) => s.attributes['switchyard.actor.to'] ?? s.attributes['switchyard.actor']);
    expect(actors).toEqual(
      expect.arrayContaining(['patcher.Gateway', 'gateway-deployer', 'reference-validator', 'source.files']),
    );
    expect(chain.every((s) => s.spanContext().traceId === write?.spanContext().traceId)).toBe(true);
    // The root is the files source reading the manifests: the outside input everything else follows from.
    const root = chain.at(-1) as ReadableSpan;
    expect(root.parentSpanContext).toBeUndefined();
    expect(root.name).toBe('effect read-files');

    // Message spans carry who sent what to whom, and end after they start.
    const message = chain.find((s) => s.attributes['switchyard.message.type'] !== undefined) as ReadableSpan;
    expect(message.attributes).toMatchObject({
      'switchyard.message.type': expect.any(String),
      'switchyard.actor.from': expect.any(String),
      'switchyard.actor.to': expect.any(String),
    });
    for (const span of spans) {
      const start = span.startTime[0] * 1e3 + span.startTime[1] / 1e6;
      const end = span.endTime[0] * 1e3 + span.endTime[1] / 1e6;
      expect(end).toBeGreaterThanOrEqual(start);
    }
    expect(spans[0]?.resource.attributes['service.name']).toBe('switchyard');
  });

  it('keeps no trace when the sample ratio is 0', async () => {
    const exporter = new CollectingExporter();
    await tracedRun({ exporter, sampleRatio: 0 });
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('sends spans to an OTLP/HTTP endpoint', async () => {
    const bodies: { path: string; type: string; body: string }[] = [];
    const collector = createServer((request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        bodies.push({
          path: request.url ?? '',
          type: String(request.headers['content-type']),
          body: Buffer.concat(chunks).toString('utf8'),
        });
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = collector.address() as AddressInfo;
      await tracedRun({ endpoint: `http://127.0.0.1:${port}/v1/traces`, serviceVersion: '9.9.9' });
      expect(bodies.length).toBeGreaterThan(0);
      expect(bodies[0]?.path).toBe('/v1/traces');
      const payload = JSON.parse(bodies[0]?.body ?? '{}') as {
        resourceSpans: { resource: { attributes: { key: string }[] }; scopeSpans: { spans: unknown[] }[] }[];
      };
      const keys = payload.resourceSpans[0]?.resource.attributes.map((a) => a.key);
      expect(keys).toEqual(expect.arrayContaining(['service.name', 'service.version']));
      expect(payload.resourceSpans[0]?.scopeSpans[0]?.spans.length).toBeGreaterThan(0);
    } finally {
      collector.close();
    }
  });
});
