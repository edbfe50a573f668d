// The loopback server every fake LLM provider runs on (fake-providers.ts): it records each request exactly as
// received, answers the next one with a given error or stalls its stream when told to, and hands the rest to the
// provider's handler. Also the canonical answer all providers give, each in its own shape, and the wire helpers
// (a JSON answer, server-sent events, writing a stream event by event).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closerFor } from '../harness/echo/close-server.ts';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** The body's bytes (a multipart upload is binary). */
  readonly raw: Buffer;
}

export interface Failure {
  readonly status: number;
  readonly body: string;
  readonly headers?: Record<string, string>;
}

export interface FakeProvider {
  readonly name: string;
  readonly port: number;
  readonly received: ReceivedRequest[];
  /** The next request is answered with this error. */
  failNext(failure: Failure): void;
  /** The next streamed answer stops after its first event until `release` is called. */
  stallNext(): { readonly started: Promise<void>; readonly closed: Promise<void>; release(): void };
  close(): Promise<void>;
}

export type Stream = { write(chunk: string | Buffer): void; end(): void; stalled: Promise<void> | undefined };
export type Handler = (
  request: ReceivedRequest,
  json: Record<string, unknown>,
  stream: Stream,
  response: ServerResponse,
) => void;

export const CANONICAL = {
  text: 'Let me look that up.',
  /** What token counting answers (Anthropic's count_tokens, Bedrock's CountTokens). */
  countedTokens: 14,
  city: 'Paris',
  usage: { input: 21, output: 13 },
  streamText: ['Sunny ', 'in Paris.'],
  streamUsage: { input: 17, output: 11 },
} as const;

export async function startProvider(name: string, handler: Handler): Promise<FakeProvider> {
  const received: ReceivedRequest[] = [];
  let failure: Failure | undefined;
  let stall: { started: () => void; closed: () => void; gate: Promise<void> } | undefined;
  const server = createServer((incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(incoming.headers))
        headers[key] = Array.isArray(value) ? value.join(',') : (value ?? '');
      const request = {
        method: incoming.method ?? '',
        path: incoming.url ?? '',
        headers,
        body: Buffer.concat(chunks).toString('utf8'),
        raw: Buffer.concat(chunks),
      };
      received.push(request);
      if (failure !== undefined) {
        const { status, body, headers: extra } = failure;
        failure = undefined;
        response.writeHead(status, { 'content-type': 'application/json', ...extra }).end(body);
        return;
      }
      const current = stall;
      stall = undefined;
      let first = true;
      const stream: Stream = {
        stalled: current?.gate,
        write: (chunk) => {
          response.write(chunk);
          if (first && current !== undefined) current.started();
          first = false;
        },
        end: () => response.end(),
      };
      if (current !== undefined) response.once('close', () => current.closed());
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(request.body || '{}') as Record<string, unknown>;
      } catch {
        // the test looks at `received`; the handler answers as to an empty request
      }
      handler(request, json, stream, response);
    });
  });
  const close = closerFor(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    received,
    failNext: (next) => {
      failure = next;
    },
    stallNext: () => {
      let release!: () => void;
      let started!: () => void;
      let closed!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const startedPromise = new Promise<void>((resolve) => (started = resolve));
      const closedPromise = new Promise<void>((resolve) => (closed = resolve));
      stall = { started, closed, gate };
      return { started: startedPromise, closed: closedPromise, release };
    },
    close,
  };
}

/** Writes events one by one; a stalled stream waits after the first for the test's release. */
export async function writeAll(stream: Stream, events: (string | Buffer)[]): Promise<void> {
  for (const [i, event] of events.entries()) {
    stream.write(event);
    if (i === 0 && stream.stalled !== undefined) await stream.stalled;
  }
  stream.end();
}

export function json(
  response: ServerResponse,
  stream: Stream,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(200, { 'content-type': 'application/json', ...headers });
  stream.write(JSON.stringify(value));
  stream.end();
}

export const sse = (event: string | undefined, data: unknown) =>
  `${event === undefined ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`;
