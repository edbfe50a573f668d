import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { secretValuesOf } from '../model/shared/secret-fields.ts';
import type { ActorStats } from '../runtime/ActorSpec.ts';
import type { ActorSystem } from '../runtime/ActorSystem.ts';
import type { Message } from '../runtime/message.ts';
import { type DataPlaneSources, type DeployedGatewayView, joinDataPlane } from './data-plane.ts';
import { EventStream } from './EventStream.ts';
import { filterFlow, flowSteps } from './flow.ts';
import type { ReplayControls } from './ReplayControls.ts';
import { redactDeep, redactResource } from './redact.ts';
import { resourceSubject } from './subject.ts';
import { type NumberedTraceEvent, TraceBuffer } from './TraceBuffer.ts';

export const DEFAULT_INSPECTOR_ADDRESS = '127.0.0.1:9901';

export interface InspectorOptions {
  /** The system to show; a function when it changes (a replay rebuilt on scrub). */
  readonly system: ActorSystem | (() => ActorSystem);
  /** The Gateway API objects with their statuses (Secrets are redacted by the inspector). */
  readonly resources?: () => Iterable<unknown>;
  /** Per Gateway: its IR, revision, Programmed state and proxy states, as the deployer holds them. */
  readonly gateways?: () => readonly DeployedGatewayView[];
  /** The xDS servers' open streams (a live controller): joined into the data-plane view per proxy. */
  readonly connections?: DataPlaneSources['connections'];
  /** What a Gateway's current xDS snapshot serves, per type URL. */
  readonly served?: DataPlaneSources['served'];
  /** Input problems no status can carry. */
  readonly problems?: () => readonly unknown[];
  /** Replay controls (`switchyard replay --inspect`); absent on a live controller. */
  readonly replay?: ReplayControls;
  /** `host:port`; default 127.0.0.1:9901. A non-loopback host needs `token`. */
  readonly address?: string;
  /** Bearer token required on every request (header, or `access_token` query for the UI's EventSource). */
  readonly token?: string;
  /** Trace events kept for the flow view and stream resumption. */
  readonly traceCapacity?: number;
  /** Interval of the live actor-stats ticks on the stream, in ms (real time). */
  readonly tickMs?: number;
  /** Names what a message is about, for the flow's resource filter; default: the resource key it carries. */
  readonly subjectOf?: (message: Message) => string | undefined;
}

export interface Inspector {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export class InspectorAddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InspectorAddressError';
  }
}

const uiDir = join(dirname(fileURLToPath(import.meta.url)), 'ui');
const STATIC: Readonly<Record<string, { file: string; type: string }>> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/common.js': { file: 'common.js', type: 'text/javascript; charset=utf-8' },
  '/flow-view.js': { file: 'flow-view.js', type: 'text/javascript; charset=utf-8' },
  '/dataplane-view.js': { file: 'dataplane-view.js', type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};
const MAX_LOG_BYTES = 64 * 1024 * 1024;
const STREAM_HIGH_WATER = 1024 * 1024;

/** The documented API (docs/inspector.md), served at /api so tools can discover it. */
const API_INDEX = {
  'GET /api/system': 'mode, readiness, logical time, trace buffer',
  'GET /api/actors':
    'every actor: state, mailbox depth/capacity/high-water mark, throughput, restarts, last error',
  'GET /api/flow?actor=&type=&cause=&limit=':
    'message-flow steps (messages and effects) with their cause ids',
  'GET /api/trace?after=&limit=': 'raw trace events after a sequence number',
  'GET /api/resources?kind=': 'Gateway API objects with statuses (Secret data never included)',
  'GET /api/gateways':
    'per Gateway: revision, Programmed, resources served by type, IR; per proxy: connected, ACKed revision, NACK text, resources held by type',
  'GET /api/problems': 'input problems no status can carry',
  'GET /api/stream?trace=all|summary':
    'server-sent events: `trace` per trace event (or one `trace-summary` per tick), `actors` ticks, `replay` state',
  'GET /api/replay': 'replay state (replay mode)',
  'GET /api/replay/records?from=&limit=': 'record summaries of the loaded log (no payloads)',
  'POST /api/replay/load|step|play|pause|seek?seq=': 'replay controls (replay mode only)',
};

/**
 * The inspector: a read-only HTTP server over one actor system — JSON API, a server-sent-event stream of the
 * trace bus, and a plain HTML/JS UI. Loopback only unless a bearer token is configured.
 */
export async function startInspector(options: InspectorOptions): Promise<Inspector> {
  const { host, port } = parseInspectorAddress(options.address ?? DEFAULT_INSPECTOR_ADDRESS);
  if (!isLoopback(host) && (options.token === undefined || options.token === ''))
    throw new InspectorAddressError(
      `the inspector listens on ${host}, which is not a loopback address; configure a bearer token to serve it there`,
    );
  const systemOf =
    typeof options.system === 'function' ? options.system : () => options.system as ActorSystem;
  const buffer = new TraceBuffer(options.traceCapacity ?? 10_000);
  const subjectOf = options.subjectOf ?? resourceSubject;
  const follow = (system: ActorSystem, reset: boolean) => {
    system.traceSubject ??= subjectOf;
    buffer.follow(system.trace, reset);
  };
  follow(systemOf(), false);
  options.replay?.onSystem((system) => follow(system, true));
  const throughput = new ThroughputMeter();
  const streams = new Set<EventStream>();
  const sendAll = (event: string, data: unknown) => {
    for (const stream of streams) stream.send(event, data);
  };
  const stopListening = buffer.listen((event, seq) => {
    let json: string | undefined;
    for (const stream of streams) {
      if (stream.trace !== 'all' || (stream.kinds !== undefined && !stream.kinds.has(event.kind))) continue;
      // Serialized once for every client, with its sequence number spliced in rather than copied in.
      json ??= `{"seq":${seq},${JSON.stringify(event).slice(1)}`;
      stream.sendJson('trace', json, seq);
    }
  });
  let summarized = -1;
  const tick = setInterval(() => {
    throughput.sample(systemOf().stats());
    for (const stream of streams) if (stream.closed) streams.delete(stream);
    if (streams.size === 0) return;
    sendAll('actors', actorsView(systemOf(), throughput));
    if (options.replay !== undefined) sendAll('replay', options.replay.state());
    if (buffer.last !== summarized) {
      summarized = buffer.last;
      const summary = { last: buffer.last, time: systemOf().clock.now() };
      for (const stream of streams) if (stream.trace === 'summary') stream.send('trace-summary', summary);
    }
  }, options.tickMs ?? 1_000);
  tick.unref();

  // The secret values of the objects the inspector holds, looked for in everything it serves besides them.
  const secretValues = () => secretValuesOf(options.resources?.() ?? []);
  const routes: Record<string, (url: URL, request: IncomingMessage, response: ServerResponse) => unknown> = {
    '/api': () => API_INDEX,
    '/api/system': () => {
      const system = systemOf();
      return {
        mode: options.replay === undefined ? 'live' : 'replay',
        ready: system.ready,
        time: system.clock.now(),
        actors: system.actors().length,
        streams: streams.size,
        trace: { capacity: buffer.capacity, held: buffer.size, last: buffer.last },
      };
    },
    '/api/actors': () => actorsView(systemOf(), throughput),
    '/api/flow': (url) => {
      const limit = Number(url.searchParams.get('limit') ?? 500);
      return {
        steps: filterFlow(flowSteps(buffer.since(0)), {
          actor: url.searchParams.get('actor') ?? '',
          type: url.searchParams.get('type') ?? '',
          cause: url.searchParams.get('cause') ?? '',
          resource: url.searchParams.get('resource') ?? '',
          limit: Number.isFinite(limit) && limit > 0 ? limit : 500,
        }),
      };
    },
    '/api/trace': (url) => {
      const after = Number(url.searchParams.get('after') ?? 0);
      const limit = Number(url.searchParams.get('limit') ?? 1000);
      const events = buffer.since(Number.isFinite(after) ? after : 0);
      return { last: buffer.last, events: events.slice(0, Number.isFinite(limit) ? limit : 1000) };
    },
    '/api/resources': (url) => {
      const kind = url.searchParams.get('kind');
      const all = [...(options.resources?.() ?? [])].map(redactResource) as { kind?: string }[];
      return { resources: kind === null || kind === '' ? all : all.filter((object) => object.kind === kind) };
    },
    '/api/gateways': () => ({
      gateways: redactDeep(joinDataPlane(options.gateways?.() ?? [], options), secretValues()),
    }),
    '/api/problems': () => ({ problems: redactDeep(options.problems?.() ?? [], secretValues()) }),
    '/api/replay': () => options.replay?.state() ?? { loaded: false },
    '/api/replay/records': (url) => ({
      records:
        options.replay?.records(
          Number(url.searchParams.get('from') ?? 1),
          Math.min(5_000, Number(url.searchParams.get('limit') ?? 1000)),
        ) ?? [],
    }),
  };

  const server: Server = createServer((request, response) => {
    secureHeaders(response);
    const url = new URL(request.url ?? '/', 'http://inspector');
    if (!authorized(request, url, options.token)) {
      json(response, 401, { error: 'a bearer token is required' }, { 'www-authenticate': 'Bearer' });
      return;
    }
    if (request.method === 'POST' && url.pathname.startsWith('/api/replay/')) {
      void replayAction(options.replay, url, request, response).then(() => {
        if (options.replay !== undefined) sendAll('replay', options.replay.state());
      });
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      json(response, 405, { error: 'the inspector is read-only' }, { allow: 'GET, HEAD' });
      return;
    }
    if (url.pathname === '/api/stream') {
      const kinds = url.searchParams.get('kinds');
      const stream = new EventStream(
        response,
        url.searchParams.get('trace') === 'summary' ? 'summary' : 'all',
        STREAM_HIGH_WATER,
        kinds === null || kinds === '' ? undefined : new Set(kinds.split(',')),
      );
      // Resume: what the client missed and the buffer still holds.
      const lastEventId = Number(request.headers['last-event-id'] ?? 0);
      if (stream.trace === 'all' && lastEventId > 0)
        for (const event of buffer.since(lastEventId))
          if (stream.kinds === undefined || stream.kinds.has(event.kind))
            stream.send('trace', event, event.seq);
      stream.send('actors', actorsView(systemOf(), throughput));
      if (options.replay !== undefined) stream.send('replay', options.replay.state());
      if (stream.trace === 'summary')
        stream.send('trace-summary', { last: buffer.last, time: systemOf().clock.now() });
      streams.add(stream);
      response.on('close', () => streams.delete(stream));
      return;
    }
    const route = routes[url.pathname];
    if (route !== undefined) {
      try {
        json(response, 200, route(url, request, response));
      } catch (error) {
        json(response, 500, { error: error instanceof Error ? error.message : String(error) });
      }
      return;
    }
    const asset = STATIC[url.pathname];
    if (asset !== undefined) {
      readFile(join(uiDir, asset.file)).then(
        (body) =>
          response.writeHead(200, { 'content-type': asset.type, 'cache-control': 'no-cache' }).end(body),
        () => json(response, 500, { error: 'the inspector UI is missing' }),
      );
      return;
    }
    json(response, 404, { error: `no such path ${url.pathname}; see /api` });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as { address: string; port: number };
  const shownHost = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
  return {
    url: `http://${shownHost}:${bound.port}`,
    host: bound.address,
    port: bound.port,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(tick);
        stopListening();
        buffer.stop();
        for (const stream of streams) stream.end();
        streams.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function parseInspectorAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  const port = match === null ? Number.NaN : Number(match[3]);
  if (match === null || port > 65_535)
    throw new InspectorAddressError(
      `invalid inspector address ${JSON.stringify(address)}; expected host:port`,
    );
  return { host: match[1] ?? match[2] ?? '', port };
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

interface ActorView {
  readonly name: string;
  readonly group: string;
  readonly status: string;
  readonly state: string;
  readonly ready: boolean;
  readonly mailbox: { depth: number; capacity: number; highWaterMark: number; waitingSenders: number };
  readonly handled: number;
  /** Messages handled per second over the last tick (real time). */
  readonly throughput: number;
  readonly failures: number;
  readonly restarts: number;
  readonly lastError: string | undefined;
}

function actorsView(system: ActorSystem, throughput: ThroughputMeter) {
  const actors: ActorView[] = system.stats().map((stats) => ({
    name: stats.name,
    group: stats.name.includes('.') ? stats.name.slice(0, stats.name.indexOf('.')) : stats.name,
    status: stats.status,
    state: stats.state,
    ready: stats.ready,
    mailbox: {
      depth: stats.mailboxDepth,
      capacity: stats.mailboxCapacity,
      highWaterMark: stats.mailboxHighWaterMark,
      waitingSenders: stats.waitingSenders,
    },
    handled: stats.handled,
    throughput: throughput.rate(stats.name),
    failures: stats.failures,
    restarts: stats.restarts,
    lastError: stats.lastError,
  }));
  const groups = new Map<string, string[]>();
  for (const actor of actors) groups.set(actor.group, [...(groups.get(actor.group) ?? []), actor.name]);
  return { actors, tree: [...groups].map(([group, members]) => ({ group, actors: members })) };
}

/** Messages handled per second, per actor, between the last two samples. */
class ThroughputMeter {
  private previous = new Map<string, number>();
  private at = performance.now();
  private rates = new Map<string, number>();

  sample(stats: readonly ActorStats[]): void {
    const now = performance.now();
    const seconds = Math.max(0.001, (now - this.at) / 1000);
    const next = new Map<string, number>();
    for (const actor of stats) {
      next.set(actor.name, actor.handled);
      const before = this.previous.get(actor.name) ?? actor.handled;
      this.rates.set(actor.name, Math.max(0, Math.round((actor.handled - before) / seconds)));
    }
    this.previous = next;
    this.at = now;
  }

  rate(name: string): number {
    return this.rates.get(name) ?? 0;
  }
}

async function replayAction(
  replay: ReplayControls | undefined,
  url: URL,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  if (replay === undefined) {
    json(response, 405, { error: 'no replay in this process: the inspector is read-only' });
    return;
  }
  try {
    switch (url.pathname) {
      case '/api/replay/load': {
        const text = await readBody(request, MAX_LOG_BYTES);
        await replay.load(text, url.searchParams.get('name') ?? 'uploaded log');
        break;
      }
      case '/api/replay/step':
        await replay.step();
        break;
      case '/api/replay/play':
        replay.play();
        break;
      case '/api/replay/pause':
        replay.pause();
        break;
      case '/api/replay/seek': {
        const seq = Number(url.searchParams.get('seq'));
        if (!Number.isInteger(seq) || seq < 0) {
          json(response, 400, { error: 'seek needs ?seq=<non-negative integer>' });
          return;
        }
        await replay.seek(seq);
        break;
      }
      default:
        json(response, 404, { error: `no replay action ${url.pathname}` });
        return;
    }
    json(response, 200, replay.state());
  } catch (error) {
    json(response, 400, { error: error instanceof Error ? error.message : String(error) });
  }
}

function readBody(request: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error(`the log is larger than ${limit} bytes`));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function authorized(request: IncomingMessage, url: URL, token: string | undefined): boolean {
  if (token === undefined || token === '') return true;
  const header = request.headers.authorization;
  const given = header?.startsWith('Bearer ')
    ? header.slice(7)
    : (url.searchParams.get('access_token') ?? '');
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function secureHeaders(response: ServerResponse): void {
  response.setHeader('x-content-type-options', 'nosniff');
  response.setHeader('referrer-policy', 'no-referrer');
  response.setHeader('x-frame-options', 'DENY');
  response.setHeader(
    'content-security-policy',
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'",
  );
}

function json(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  response.end(JSON.stringify(body));
}

export type { NumberedTraceEvent };
