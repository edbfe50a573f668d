// The MCP proxy's HTTP front: the Streamable HTTP endpoint of every route (POST, GET, DELETE), the protected
// resource metadata of routes with client authentication, and the sessions registry. It finds the route (the
// header Envoy sets, else the path), authenticates the client, checks what the transport requires (Origin,
// Accept, Content-Type, session id, protocol version, body size) and hands messages to the session's transport;
// a new session takes an actor of the pool or is refused with 503.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ErrorCode,
  InitializeRequestSchema,
  isJSONRPCRequest,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { ActorPool, Clock, IdGenerator, Message, TraceBus } from '../../runtime/index.ts';
import type { BackendStatus } from './backend-slots.ts';
import {
  ClientAuthenticator,
  protectedResourceMetadata,
  protectedResourceMetadataPath,
} from './client-auth.ts';
import type { McpBackend, McpProxyConfig, McpRoute } from './config.ts';
import { McpSession } from './mcp-session.ts';
import type { McpMetrics } from './metrics.ts';
import type { CloseReason, SessionActorMessage } from './session-actor.ts';
import { sessionPool } from './session-pool.ts';

export const DEFAULT_POOL_SIZE = 1024;
export const DEFAULT_MAILBOX_CAPACITY = 64;

export interface McpProxyOptions {
  /** `host:port` to listen on (port 0 picks one). */
  readonly listen: string;
  /** The configuration now: read on every request, so a reload applies to the next one. */
  readonly config: () => McpProxyConfig;
  readonly poolSize?: number;
  readonly mailboxCapacity?: number;
  readonly logger: Logger;
  readonly metrics?: McpMetrics;
  readonly trace?: TraceBus;
  readonly clock?: Clock;
  readonly ids?: IdGenerator;
}

export interface McpProxy {
  readonly address: string;
  readonly port: number;
  readonly pool: ActorPool<SessionActorMessage>;
  /** Client sessions open now. */
  sessions(): number;
  /** The configuration changed: sessions whose route is gone end now. */
  reconfigured(): void;
  stop(): Promise<void>;
}

interface SessionEntry {
  readonly session: McpSession;
  readonly initialize: Parameters<McpSession['open']>[0];
  /** Settled by the actor's `open` effect (or rejected when the session ended before it ran). */
  readonly opened: PromiseWithResolvers<Record<string, BackendStatus>>;
  readonly ended: PromiseWithResolvers<CloseReason>;
}

/** Names what a session actor's message is about, for the inspector's flow filter: the tool, or the session. */
export function mcpTraceSubject(message: Message): string | undefined {
  const fields = message as unknown as { sessionId?: unknown; method?: unknown; target?: unknown };
  if (message.type === 'mcp.call')
    return typeof fields.target === 'string'
      ? `${String(fields.method)} ${fields.target}`
      : String(fields.method);
  return typeof fields.sessionId === 'string' ? `session ${fields.sessionId}` : undefined;
}

export async function startMcpProxy(options: McpProxyOptions): Promise<McpProxy> {
  const { logger } = options;
  const registry = new Map<string, SessionEntry>();
  const authenticator = new ClientAuthenticator();
  const rotation = new Map<string, number>();
  const endpointFor = (backend: McpBackend): string | undefined => {
    if (backend.endpoints === undefined || backend.endpoints.length === 0) return undefined;
    const next = rotation.get(backend.url.href) ?? 0;
    rotation.set(backend.url.href, next + 1);
    return backend.endpoints[next % backend.endpoints.length];
  };
  const pool = sessionPool({
    size: options.poolSize ?? DEFAULT_POOL_SIZE,
    mailboxCapacity: options.mailboxCapacity ?? DEFAULT_MAILBOX_CAPACITY,
    logger,
    ...(options.trace === undefined ? {} : { trace: options.trace }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.ids === undefined ? {} : { ids: options.ids }),
    ports: {
      open: ({ sessionId }) => {
        const entry = registry.get(sessionId);
        if (entry === undefined) return Promise.reject(new Error(`session ${sessionId} is gone`));
        const opened = entry.session.open(entry.initialize);
        opened.then(entry.opened.resolve, entry.opened.reject);
        return opened;
      },
      forward: ({ sessionId, callId }) => {
        const entry = registry.get(sessionId);
        if (entry === undefined) return Promise.reject(new Error(`session ${sessionId} is gone`));
        return entry.session.runCall(callId);
      },
      refuse: ({ sessionId, callId }) => registry.get(sessionId)?.session.refuseCall(callId),
      close: async ({ sessionId }) => {
        await registry.get(sessionId)?.session.close();
      },
      release: ({ sessionId, reason }) => {
        const entry = registry.get(sessionId);
        registry.delete(sessionId);
        options.metrics?.closed(reason);
        logger.info({ session: sessionId, reason }, 'mcp session ended');
        entry?.opened.reject(new Error(`the session ended (${reason}) before it started`));
        entry?.ended.resolve(reason);
      },
    },
  });
  pool.system.traceSubject ??= mcpTraceSubject;

  const closeSession = (sessionId: string, reason: CloseReason): Promise<CloseReason | undefined> => {
    const entry = registry.get(sessionId);
    if (entry === undefined) return Promise.resolve(undefined);
    return pool.send(sessionId, { type: 'mcp.session.close', sessionId, reason }).then(
      () => entry.ended.promise,
      () => undefined,
    );
  };

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: Error) => {
      logger.error({ error: error.message }, 'mcp request failed');
      if (!response.headersSent) rpcError(response, 500, ErrorCode.InternalError, 'internal error');
      else response.destroy();
    });
  });
  // Longer than Envoy's upstream idle timeout, so Envoy never reuses a connection this side just closed.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.requestTimeout = 0; // SSE streams last as long as their session

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const config = options.config();
    const path = (request.url ?? '/').split('?')[0]!;
    const named = header(request, config.routeHeader);
    if (path.startsWith('/.well-known/oauth-protected-resource')) {
      serveMetadata(config, named, path, response);
      return;
    }
    const route =
      named !== undefined
        ? config.routes.get(named)
        : [...config.routes.values()].find((candidate) => candidate.path === path);
    if (route === undefined) {
      rpcError(
        response,
        404,
        ErrorCode.InvalidRequest,
        named === undefined ? `no MCP route serves ${path}` : `no MCP route ${named}`,
      );
      return;
    }
    const origin = header(request, 'origin');
    if (origin !== undefined && !sameOrigin(origin, header(request, 'host'))) {
      rpcError(response, 403, ErrorCode.InvalidRequest, `origin ${origin} is not allowed`);
      return;
    }
    let subject: string | undefined;
    if (route.authentication !== undefined) {
      const outcome = await authenticator.authenticate(
        route.authentication,
        header(request, 'authorization'),
      );
      if (!outcome.ok) {
        response.setHeader('www-authenticate', outcome.challenge);
        rpcError(response, 401, ErrorCode.InvalidRequest, `unauthorized: ${outcome.reason}`);
        return;
      }
      subject = outcome.subject;
    }
    switch (request.method) {
      case 'POST':
        await post(request, response, config, route, subject);
        return;
      case 'GET':
        get(request, response, route, subject);
        return;
      case 'DELETE': {
        const entry = existingSession(request, response, route, subject);
        if (entry === undefined) return;
        await closeSession(entry.session.id, 'deleted');
        response.writeHead(200).end();
        return;
      }
      default:
        response.setHeader('allow', 'GET, POST, DELETE');
        rpcError(response, 405, ErrorCode.InvalidRequest, `method ${request.method} is not allowed`);
    }
  }

  async function post(
    request: IncomingMessage,
    response: ServerResponse,
    config: McpProxyConfig,
    route: McpRoute,
    subject: string | undefined,
  ): Promise<void> {
    const accept = header(request, 'accept') ?? '';
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      rpcError(
        response,
        406,
        ErrorCode.InvalidRequest,
        'accept must list application/json and text/event-stream',
      );
      return;
    }
    if (!(header(request, 'content-type') ?? '').toLowerCase().startsWith('application/json')) {
      rpcError(response, 415, ErrorCode.InvalidRequest, 'content-type must be application/json');
      return;
    }
    const body = await readBody(request, config.maxRequestBodyBytes);
    if (body === undefined) {
      rpcError(
        response,
        413,
        ErrorCode.InvalidRequest,
        `the body is larger than ${config.maxRequestBodyBytes} bytes`,
      );
      return;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(body);
    } catch {
      rpcError(response, 400, ErrorCode.ParseError, 'the body is not JSON');
      return;
    }
    if (Array.isArray(raw)) {
      rpcError(
        response,
        400,
        ErrorCode.InvalidRequest,
        'JSON-RPC batches are not supported (MCP 2025-06-18 removed them)',
      );
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(raw);
    if (!parsed.success) {
      rpcError(response, 400, ErrorCode.InvalidRequest, 'the body is not a JSON-RPC message');
      return;
    }
    const message = parsed.data as JSONRPCMessage;
    const extra = { requestInfo: { headers: request.headers } };
    if (isJSONRPCRequest(message) && message.method === 'initialize') {
      await initialize(message, response, config, route, subject, extra);
      return;
    }
    const entry = existingSession(request, response, route, subject);
    if (entry === undefined) return;
    const version = header(request, 'mcp-protocol-version');
    if (version !== undefined && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      rpcError(response, 400, ErrorCode.InvalidRequest, `unsupported MCP-Protocol-Version ${version}`);
      return;
    }
    entry.session.transport.receive(message, response, extra);
  }

  async function initialize(
    message: JSONRPCMessage,
    response: ServerResponse,
    config: McpProxyConfig,
    route: McpRoute,
    subject: string | undefined,
    extra: { requestInfo: { headers: IncomingMessage['headers'] } },
  ): Promise<void> {
    const parsed = InitializeRequestSchema.safeParse(message);
    if (!parsed.success) {
      rpcError(response, 400, ErrorCode.InvalidParams, `invalid initialize request: ${parsed.error.message}`);
      return;
    }
    const sessionId = randomUUID();
    if (pool.acquire(sessionId) === undefined) {
      options.metrics?.refused();
      response.setHeader('retry-after', '1');
      rpcError(
        response,
        503,
        ErrorCode.InternalError,
        `the MCP proxy serves ${pool.stats().size} sessions, its most; retry later`,
      );
      return;
    }
    const session = new McpSession(
      {
        sessionId,
        route: () => options.config().routes.get(route.name),
        settings: options.config,
        endpointFor,
        logger,
        enqueue: (call) =>
          pool.send(sessionId, {
            type: 'mcp.call',
            sessionId,
            callId: call.callId,
            method: call.method,
            target: call.target,
          }),
        ...(options.metrics === undefined ? {} : { observe: options.metrics.observe }),
      },
      route.name,
      subject,
    );
    const entry: SessionEntry = {
      session,
      initialize: parsed.data.params,
      opened: Promise.withResolvers(),
      ended: Promise.withResolvers(),
    };
    entry.opened.promise.catch(() => {
      // Read below; a session that never opened is answered 502 there.
    });
    registry.set(sessionId, entry);
    await pool.send(sessionId, {
      type: 'mcp.session.open',
      sessionId,
      route: route.name,
      idleTimeoutMs: config.sessionIdleTimeoutMs,
    });
    const outcome = await entry.opened.promise.then(
      (statuses) => ({ statuses, error: undefined }),
      (error: Error) => ({ statuses: undefined, error }),
    );
    if (outcome.error !== undefined) {
      rpcError(
        response,
        502,
        ErrorCode.InternalError,
        `the session could not start: ${outcome.error.message}`,
      );
      return;
    }
    logger.info({ session: sessionId, route: route.name, backends: outcome.statuses }, 'mcp session started');
    session.transport.receive(message, response, extra);
  }

  function get(
    request: IncomingMessage,
    response: ServerResponse,
    route: McpRoute,
    subject: string | undefined,
  ): void {
    if (!(header(request, 'accept') ?? '').includes('text/event-stream')) {
      rpcError(response, 406, ErrorCode.InvalidRequest, 'accept must list text/event-stream');
      return;
    }
    const entry = existingSession(request, response, route, subject);
    if (entry === undefined) return;
    if (!entry.session.transport.openStandalone(response))
      rpcError(response, 409, ErrorCode.InvalidRequest, 'the session already has a standalone stream');
  }

  /** The session the request names, answering 400/404 itself when there is none it may use. */
  function existingSession(
    request: IncomingMessage,
    response: ServerResponse,
    route: McpRoute,
    subject: string | undefined,
  ): SessionEntry | undefined {
    const sessionId = header(request, 'mcp-session-id');
    if (sessionId === undefined) {
      rpcError(response, 400, ErrorCode.InvalidRequest, 'mcp-session-id is required (send initialize first)');
      return undefined;
    }
    const entry = registry.get(sessionId);
    // A session of another route or another user is as unknown as an expired one.
    if (
      entry === undefined ||
      entry.session.closed ||
      entry.session.routeName !== route.name ||
      entry.session.subject !== subject
    ) {
      rpcError(
        response,
        404,
        ErrorCode.InvalidRequest,
        'session not found (expired or ended): initialize again',
      );
      return undefined;
    }
    return entry;
  }

  function serveMetadata(
    config: McpProxyConfig,
    named: string | undefined,
    path: string,
    response: ServerResponse,
  ): void {
    const candidates = named !== undefined ? [config.routes.get(named)] : [...config.routes.values()];
    const route = candidates.find(
      (candidate) =>
        candidate?.authentication !== undefined && protectedResourceMetadataPath(candidate.path) === path,
    );
    if (route?.authentication === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const body = JSON.stringify(
      protectedResourceMetadata(route.authentication.issuer, route.authentication.resourceMetadata),
    );
    response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' }).end(body);
  }

  const { host, port } = splitListen(options.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  logger.debug({ address: `${bound.address}:${bound.port}` }, 'mcp proxy listening');

  return {
    address: `${bound.address.includes(':') ? `[${bound.address}]` : bound.address}:${bound.port}`,
    port: bound.port,
    pool,
    sessions: () => registry.size,
    reconfigured() {
      const routes = options.config().routes;
      for (const [sessionId, entry] of registry)
        if (!routes.has(entry.session.routeName)) void closeSession(sessionId, 'route-removed');
    },
    async stop() {
      // No new connections; the sessions end (their streams with them), then whatever is left is cut.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await Promise.all([...registry.keys()].map((sessionId) => closeSession(sessionId, 'shutdown')));
      server.closeAllConnections();
      await closed;
      await pool.stop();
    },
  };
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A browser's Origin must name the host it reached (DNS rebinding protection, as the transport requires). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

function readBody(request: IncomingMessage, limit: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) over = true;
      if (!over) chunks.push(chunk);
    });
    request.on('end', () => resolve(over ? undefined : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function rpcError(response: ServerResponse, status: number, code: number, message: string): void {
  const body = JSON.stringify({ jsonrpc: '2.0', id: null, error: { code, message } });
  response
    .writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
    .end(body);
}

function splitListen(listen: string): { host: string; port: number } {
  const at = listen.lastIndexOf(':');
  if (at < 0) throw new Error(`--listen: '${listen}' must be host:port`);
  const port = Number(listen.slice(at + 1));
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--listen: '${listen}' has no valid port`);
  return { host: listen.slice(0, at).replace(/^\[|\]$/g, ''), port };
}
