// One client session of the proxy: the SDK `Server` the client talks to (over FrontTransport) and one
// BackendSession per backend MCP server of the route. Lists fan out and merge, calls go to the owning backend,
// what backends send on their own is relayed to the client, and what the client sends back is relayed to the
// backend that asked. A backend that forgot the session (restarted: 404) is initialised again and the request
// retried once; one that cannot be reached is reported — in `_meta` of merged lists, as an error of its own
// calls — while the others keep working. Each client request runs as an effect of the session's actor
// (session-actor.ts): the handlers here only queue it, and the actor's `forward` effect runs it (`runCall`).
import { performance } from 'node:perf_hooks';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  type Implementation,
  type InitializeRequestParams,
  LATEST_PROTOCOL_VERSION,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  type Prompt,
  ReadResourceRequestSchema,
  type RequestId,
  type Resource,
  type ResourceTemplate,
  type Result,
  RootsListChangedNotificationSchema,
  type ServerCapabilities,
  SetLevelRequestSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
  SubscribeRequestSchema,
  type Tool,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { BackendError, RpcError } from './backend-errors.ts';
import type { BackendSession, Relay } from './backend-session.ts';
import { type BackendSlot, BackendSlots, type BackendStatus, type ClientIdentity } from './backend-slots.ts';
import { ClientRelay } from './client-relay.ts';
import type { McpBackend, McpProxyConfig, McpRoute } from './config.ts';
import { FrontTransport } from './front-transport.ts';
import {
  exposedPrompts,
  exposedResources,
  exposedResourceTemplates,
  exposedTools,
  mergeCapabilities,
  mergeInstructions,
  type Unavailable,
  unavailableMeta,
} from './merge.ts';
import { splitName, splitUri } from './names.ts';
import {
  CallFailure,
  type CallOutcome,
  type CallSummary,
  classify,
  prefixContentUris,
  type QueuedCall,
} from './session-calls.ts';

export interface SessionEnvironment {
  readonly sessionId: string;
  /** The session's route as configured now; undefined once it was removed. */
  readonly route: () => McpRoute | undefined;
  readonly settings: () => McpProxyConfig;
  /** Which endpoint a new backend session connects to. */
  readonly endpointFor: (backend: McpBackend) => string | undefined;
  readonly logger: Logger;
  /** Queues a client request with the session's actor; rejects when the actor cannot take it. */
  readonly enqueue: (call: QueuedCall) => Promise<void>;
  /** Every finished client request (metrics). */
  readonly observe?: (routeName: string, summary: CallSummary) => void;
}

interface PendingCall {
  readonly method: string;
  readonly target: string | undefined;
  readonly run: () => Promise<Result>;
  readonly backend: string | undefined;
  readonly tool: string | undefined;
  readonly resolve: (result: Result) => void;
  readonly reject: (error: unknown) => void;
}

const SERVER_INFO: Implementation = { name: 'switchyard-mcp-proxy', version: '1.0.0' };
/** Pages read from one backend for one list before the rest is left out (a runaway cursor). */
const MAX_PAGES = 100;

export class McpSession {
  readonly id: string;
  readonly routeName: string;
  readonly transport: FrontTransport;
  /** The authenticated subject the session belongs to (undefined without client authentication). */
  readonly subject: string | undefined;
  readonly #env: SessionEnvironment;
  readonly #backends: BackendSlots;
  readonly #calls = new Map<string, PendingCall>();
  readonly #toClient: ClientRelay;
  #server: Server | undefined;
  #client: ClientIdentity | undefined;
  #nextCall = 0;
  #closed = false;

  constructor(env: SessionEnvironment, routeName: string, subject: string | undefined) {
    this.id = env.sessionId;
    this.routeName = routeName;
    this.subject = subject;
    this.#env = env;
    this.transport = new FrontTransport(env.sessionId);
    this.#toClient = new ClientRelay({
      sessionId: env.sessionId,
      logger: env.logger,
      server: () => this.#server,
      closed: () => this.#closed,
      clientRequestTimeoutMs: () => env.settings().clientRequestTimeoutMs,
    });
    this.#backends = new BackendSlots({
      sessionId: env.sessionId,
      logger: env.logger,
      toClient: this.#toClient,
      route: env.route,
      endpointFor: env.endpointFor,
      backendTimeoutMs: () => env.settings().backendTimeoutMs,
      client: () => this.#client!,
      closed: () => this.#closed,
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Backend name → status, for logs and the actor. */
  statuses(): Record<string, BackendStatus> {
    const statuses: Record<string, BackendStatus> = {};
    for (const slot of this.#backends.all()) statuses[slot.backend.name] = slot.status;
    return statuses;
  }

  /**
   * Initialises a session with every backend (in parallel; one that fails is left down, not fatal), then the
   * client-facing server with the merged capabilities. The client's initialize request is answered by that
   * server once this resolves.
   */
  async open(params: InitializeRequestParams): Promise<Record<string, BackendStatus>> {
    const requested = params.protocolVersion;
    this.#client = {
      info: params.clientInfo,
      capabilities: params.capabilities ?? {},
      protocolVersion: SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION,
    };
    const route = this.#env.route();
    if (route === undefined) throw new Error(`route ${this.routeName} is not configured`);
    this.#backends.sync(route);
    await Promise.all(this.#backends.all().map((slot) => this.#backends.connect(slot)));
    const ready = this.#backends.all().filter((slot) => slot.session?.initializeResult !== undefined);
    const capabilities = mergeCapabilities(
      ready.map((slot) => ({
        backend: slot.backend.name,
        capabilities: slot.session!.initializeResult!.capabilities,
      })),
    );
    const instructions = mergeInstructions(
      ready.map((slot) => ({
        backend: slot.backend.name,
        instructions: slot.session!.initializeResult!.instructions,
      })),
    );
    const server = new Server(SERVER_INFO, {
      capabilities,
      ...(instructions === undefined ? {} : { instructions }),
    });
    this.#register(server, capabilities);
    await server.connect(this.transport);
    this.#server = server;
    return this.statuses();
  }

  /** The actor's `forward` effect: runs a queued request and settles the client's promise. */
  async runCall(callId: string): Promise<CallSummary> {
    const call = this.#calls.get(callId);
    if (call === undefined) throw new Error(`no queued request ${callId}`);
    this.#calls.delete(callId);
    const started = performance.now();
    let outcome: CallOutcome;
    let failure: unknown;
    try {
      const result = await call.run();
      call.resolve(result);
      outcome = (result as CallToolResult).isError === true ? 'tool_error' : 'ok';
    } catch (error) {
      call.reject(error);
      failure = error;
      outcome = classify(error);
    }
    const summary: CallSummary = {
      method: call.method,
      backend: call.backend,
      tool: call.tool,
      outcome,
      seconds: (performance.now() - started) / 1000,
    };
    this.#env.observe?.(this.routeName, summary);
    if (failure !== undefined) throw new CallFailure(summary, (failure as Error).message);
    return summary;
  }

  /** A queued request that will not run (the session is closing): the client hears so at once. */
  refuseCall(callId: string): void {
    const call = this.#calls.get(callId);
    if (call === undefined) return;
    this.#calls.delete(callId);
    call.reject(new RpcError(ErrorCode.ConnectionClosed, 'the session is closed'));
  }

  /** Ends the session: every backend session is deleted, pending requests fail, the client's streams end. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const callId of [...this.#calls.keys()]) this.refuseCall(callId);
    this.#toClient.abortAll();
    await Promise.all(this.#backends.all().map((slot) => slot.session?.close()));
    if (this.#server !== undefined) await this.#server.close();
    else await this.transport.close();
  }

  #register(server: Server, capabilities: ServerCapabilities): void {
    server.setRequestHandler(ListToolsRequestSchema, (_request, extra) =>
      this.#queue('tools/list', undefined, {}, () =>
        this.#fanOut<Tool>('tools', 'tools/list', extra, (slot, result) =>
          exposedTools(slot.backend.name, (result.tools ?? []) as Tool[], slot.backend.tools),
        ).then(({ items, unavailable }) => ({ tools: items, ...unavailableMeta(unavailable) })),
      ),
    );
    server.setRequestHandler(CallToolRequestSchema, (request, extra) => {
      const prefixed = request.params.name;
      const owned = splitName(prefixed);
      return this.#queue('tools/call', prefixed, { backend: owned?.backend, tool: owned?.name }, async () => {
        const slot = owned === undefined ? undefined : this.#backends.current(owned.backend);
        // A hidden tool answers exactly like a missing one: the selector is not to be probed.
        if (owned === undefined || slot === undefined || !slot.backend.tools.allows(owned.name))
          throw new RpcError(ErrorCode.InvalidParams, `Unknown tool: ${prefixed}`);
        const result = await this.#withBackend(slot, extra.requestId, extra.signal, (session, relay) =>
          session.request(
            'tools/call',
            { ...request.params, name: owned.name },
            { relay, signal: extra.signal },
          ),
        );
        return prefixContentUris(owned.backend, result) as CallToolResult;
      });
    });
    if (capabilities.prompts !== undefined) {
      server.setRequestHandler(ListPromptsRequestSchema, (_request, extra) =>
        this.#queue('prompts/list', undefined, {}, () =>
          this.#fanOut<Prompt>('prompts', 'prompts/list', extra, (slot, result) =>
            exposedPrompts(slot.backend.name, (result.prompts ?? []) as Prompt[]),
          ).then(({ items, unavailable }) => ({ prompts: items, ...unavailableMeta(unavailable) })),
        ),
      );
      server.setRequestHandler(GetPromptRequestSchema, (request, extra) =>
        this.#owned('prompts/get', request.params.name, splitName, extra, (name) => ({
          ...request.params,
          name,
        })),
      );
    }
    if (capabilities.resources !== undefined) {
      server.setRequestHandler(ListResourcesRequestSchema, (_request, extra) =>
        this.#queue('resources/list', undefined, {}, () =>
          this.#fanOut<Resource>('resources', 'resources/list', extra, (slot, result) =>
            exposedResources(slot.backend.name, (result.resources ?? []) as Resource[]),
          ).then(({ items, unavailable }) => ({ resources: items, ...unavailableMeta(unavailable) })),
        ),
      );
      server.setRequestHandler(ListResourceTemplatesRequestSchema, (_request, extra) =>
        this.#queue('resources/templates/list', undefined, {}, () =>
          this.#fanOut<ResourceTemplate>('resources', 'resources/templates/list', extra, (slot, result) =>
            exposedResourceTemplates(
              slot.backend.name,
              (result.resourceTemplates ?? []) as ResourceTemplate[],
            ),
          ).then(({ items, unavailable }) => ({ resourceTemplates: items, ...unavailableMeta(unavailable) })),
        ),
      );
      server.setRequestHandler(ReadResourceRequestSchema, (request, extra) =>
        this.#owned('resources/read', request.params.uri, splitUri, extra, (uri) => ({
          ...request.params,
          uri,
        })),
      );
      server.setRequestHandler(SubscribeRequestSchema, (request, extra) =>
        this.#owned('resources/subscribe', request.params.uri, splitUri, extra, (uri) => ({
          ...request.params,
          uri,
        })),
      );
      server.setRequestHandler(UnsubscribeRequestSchema, (request, extra) =>
        this.#owned('resources/unsubscribe', request.params.uri, splitUri, extra, (uri) => ({
          ...request.params,
          uri,
        })),
      );
    }
    if (capabilities.completions !== undefined) {
      server.setRequestHandler(CompleteRequestSchema, (request, extra) => {
        const ref = request.params.ref;
        if (ref.type === 'ref/prompt')
          return this.#owned('completion/complete', ref.name, splitName, extra, (name) => ({
            ...request.params,
            ref: { ...ref, name },
          }));
        return this.#owned('completion/complete', ref.uri, splitUri, extra, (uri) => ({
          ...request.params,
          ref: { ...ref, uri },
        }));
      });
    }
    if (capabilities.logging !== undefined) {
      server.setRequestHandler(SetLevelRequestSchema, (request, extra) =>
        this.#queue('logging/setLevel', undefined, {}, async () => {
          await this.#fanOut<never>('logging', 'logging/setLevel', extra, () => [], request.params);
          return {};
        }),
      );
    }
    server.setNotificationHandler(RootsListChangedNotificationSchema, async () => {
      for (const slot of this.#backends.all())
        slot.session?.notify('notifications/roots/list_changed').catch(() => {
          // A backend that cannot hear it now initialises again later and asks for the roots then.
        });
    });
  }

  /** A request for one backend's item (prompt, resource, completion): the name or URI says which backend. */
  #owned(
    method: string,
    prefixed: string,
    split: (value: string) => { backend: string; name: string } | undefined,
    extra: { requestId: RequestId; signal: AbortSignal },
    params: (own: string) => unknown,
  ): Promise<Result> {
    const owned = split(prefixed);
    return this.#queue(method, prefixed, { backend: owned?.backend }, async () => {
      const slot = owned === undefined ? undefined : this.#backends.current(owned.backend);
      if (owned === undefined || slot === undefined)
        throw new RpcError(ErrorCode.InvalidParams, `'${prefixed}' belongs to no backend of this route`);
      const result = await this.#withBackend(slot, extra.requestId, extra.signal, (session, relay) =>
        session.request(method, params(owned.name), { relay, signal: extra.signal }),
      );
      return method === 'resources/read' ? prefixContentUris(owned.backend, result) : result;
    });
  }

  #queue<T extends Result>(
    method: string,
    target: string | undefined,
    about: { backend?: string | undefined; tool?: string | undefined },
    run: () => Promise<T>,
  ): Promise<T> {
    if (this.#closed)
      return Promise.reject(new RpcError(ErrorCode.ConnectionClosed, 'the session is closed'));
    const callId = String(++this.#nextCall);
    return new Promise<T>((resolve, reject) => {
      this.#calls.set(callId, {
        method,
        target,
        run,
        backend: about.backend,
        tool: about.tool,
        resolve: resolve as (result: Result) => void,
        reject,
      });
      this.#env.enqueue({ callId, method, target }).catch((error: Error) => {
        this.#calls.delete(callId);
        reject(new RpcError(ErrorCode.InternalError, `the session cannot take requests: ${error.message}`));
      });
    });
  }

  /** Asks every backend offering `capability`; the ones that cannot answer are listed, not fatal. */
  async #fanOut<T>(
    capability: keyof ServerCapabilities,
    method: string,
    extra: { requestId: RequestId; signal: AbortSignal },
    items: (slot: BackendSlot, result: Record<string, unknown>) => T[],
    params?: unknown,
  ): Promise<{ items: T[]; unavailable: Unavailable[] }> {
    this.#backends.syncCurrent();
    const unavailable: Unavailable[] = [];
    const perBackend = await Promise.all(
      this.#backends.all().map(async (slot): Promise<T[]> => {
        try {
          return await this.#withBackend(slot, extra.requestId, extra.signal, async (session, relay) => {
            if (session.initializeResult?.capabilities[capability] === undefined) return [];
            const collected: T[] = [];
            let cursor: string | undefined;
            for (let page = 0; page < MAX_PAGES; page++) {
              const pageParams =
                cursor === undefined ? params : { ...(params as object | undefined), cursor };
              const result = (await session.request(method, pageParams, {
                relay,
                signal: extra.signal,
              })) as Record<string, unknown>;
              collected.push(...items(slot, result));
              cursor = typeof result.nextCursor === 'string' ? result.nextCursor : undefined;
              if (cursor === undefined) break;
            }
            return collected;
          });
        } catch (error) {
          unavailable.push({ backend: slot.backend.name, error: (error as Error).message });
          return [];
        }
      }),
    );
    return { items: perBackend.flat(), unavailable };
  }

  /**
   * Runs `op` on the backend's session, connecting first when it is down or new. A session the backend no
   * longer knows (404: it restarted) is initialised again and `op` retried once.
   */
  async #withBackend<T>(
    slot: BackendSlot,
    relatedRequestId: RequestId,
    signal: AbortSignal,
    op: (session: BackendSession, relay: Relay) => Promise<T>,
  ): Promise<T> {
    const relay = this.#toClient.relay(slot.backend.name, relatedRequestId);
    const session = slot.session ?? (await this.#backends.connect(slot));
    if (session === undefined) throw this.#backends.unavailable(slot);
    try {
      return await op(session, relay);
    } catch (error) {
      if (!(error instanceof BackendError) || signal.aborted) throw error;
      if (error.failure === 'session-expired') {
        this.#env.logger.info(
          { session: this.id, backend: slot.backend.name },
          'backend lost the session (restarted?): initialising again',
        );
        if (slot.session === session) slot.session = undefined;
        const again = await this.#backends.connect(slot);
        if (again === undefined) throw this.#backends.unavailable(slot);
        return op(again, relay);
      }
      if (error.failure === 'unreachable') this.#backends.markDown(slot, session, error.message);
      throw error;
    }
  }
}
