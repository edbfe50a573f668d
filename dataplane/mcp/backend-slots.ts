// The backends of one client session: a slot per backend of the session's route with its MCP session and status,
// following the route as it is configured now (backends added, removed, moved), connecting once at a time per
// backend, and marking one down when it cannot be reached.
import type { ClientCapabilities, Implementation } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { BackendError } from './backend-errors.ts';
import { BackendSession } from './backend-session.ts';
import type { ClientRelay } from './client-relay.ts';
import type { McpBackend, McpRoute } from './config.ts';

export type BackendStatus = 'new' | 'ready' | 'down';

export interface BackendSlot {
  backend: McpBackend;
  session: BackendSession | undefined;
  status: BackendStatus;
  error: string | undefined;
  connecting: Promise<BackendSession | undefined> | undefined;
}

/** Who the client said it is: each backend session introduces itself the same way. */
export interface ClientIdentity {
  readonly info: Implementation;
  readonly capabilities: ClientCapabilities;
  readonly protocolVersion: string;
}

export interface BackendSlotsHost {
  readonly sessionId: string;
  readonly logger: Logger;
  readonly toClient: ClientRelay;
  /** The session's route as configured now; undefined once it was removed. */
  route(): McpRoute | undefined;
  /** Which endpoint a new backend session connects to. */
  endpointFor(backend: McpBackend): string | undefined;
  backendTimeoutMs(): number;
  client(): ClientIdentity;
  closed(): boolean;
}

export class BackendSlots {
  readonly #host: BackendSlotsHost;
  readonly #slots = new Map<string, BackendSlot>();
  #route: McpRoute | undefined;

  constructor(host: BackendSlotsHost) {
    this.#host = host;
  }

  /** Every backend's slot, in the route's order. */
  all(): BackendSlot[] {
    return [...this.#slots.values()];
  }

  /** Initialises the backend's session (once at a time per backend); undefined when it failed. */
  connect(slot: BackendSlot): Promise<BackendSession | undefined> {
    if (slot.connecting !== undefined) return slot.connecting;
    const client = this.#host.client();
    const wasDown = slot.status === 'down';
    const session = new BackendSession({
      backend: slot.backend,
      endpoint: this.#host.endpointFor(slot.backend),
      clientInfo: client.info,
      clientCapabilities: client.capabilities,
      protocolVersion: client.protocolVersion,
      timeoutMs: this.#host.backendTimeoutMs(),
      standalone: this.#host.toClient.relay(slot.backend.name, undefined),
      onLost: (error) => {
        if (error.failure === 'session-expired' && slot.session === session) slot.session = undefined;
        else if (error.failure === 'unreachable') this.markDown(slot, session, error.message);
      },
    });
    slot.connecting = session.initialize().then(
      () => {
        slot.connecting = undefined;
        if (this.#host.closed() || this.#slots.get(slot.backend.name) !== slot) {
          void session.close();
          return undefined;
        }
        slot.session = session;
        slot.status = 'ready';
        slot.error = undefined;
        // Its tools were missing from earlier lists: the client is told to list again.
        if (wasDown) this.#host.toClient.notify({ method: 'notifications/tools/list_changed' }, undefined);
        return session;
      },
      (error: Error) => {
        slot.connecting = undefined;
        slot.status = 'down';
        slot.error = error.message;
        this.#host.logger.warn(
          { session: this.#host.sessionId, backend: slot.backend.name, error: error.message },
          'backend session failed',
        );
        void session.close();
        return undefined;
      },
    );
    return slot.connecting;
  }

  markDown(slot: BackendSlot, session: BackendSession, error: string): void {
    if (slot.session !== session) return;
    slot.session = undefined;
    slot.status = 'down';
    slot.error = error;
    void session.close();
  }

  unavailable(slot: BackendSlot): BackendError {
    return new BackendError(
      slot.backend.name,
      'unreachable',
      slot.error ?? `backend '${slot.backend.name}' is unavailable`,
    );
  }

  /** The slot of a backend of the route as configured now (undefined when the route no longer has it). */
  current(backend: string): BackendSlot | undefined {
    this.syncCurrent();
    return this.#slots.get(backend);
  }

  syncCurrent(): void {
    const route = this.#host.route();
    if (route !== undefined && route !== this.#route) this.sync(route);
  }

  /**
   * Follows the route's configuration: new backends join (initialised on first use), removed ones are closed,
   * changed ones take their new credentials and selector, or a new session when their address changed.
   */
  sync(route: McpRoute): void {
    const first = this.#route === undefined;
    this.#route = route;
    let changed = false;
    for (const [name, slot] of this.#slots) {
      if (route.backends.has(name)) continue;
      this.#slots.delete(name);
      void slot.session?.close();
      changed = true;
    }
    for (const backend of route.backends.values()) {
      const slot = this.#slots.get(backend.name);
      if (slot === undefined) {
        this.#slots.set(backend.name, {
          backend,
          session: undefined,
          status: 'new',
          error: undefined,
          connecting: undefined,
        });
        changed = true;
        continue;
      }
      if (slot.backend === backend) continue;
      changed = true;
      if (slot.backend.url.href !== backend.url.href || !sameEndpoints(slot.backend, backend)) {
        void slot.session?.close();
        slot.session = undefined;
        slot.status = 'new';
      }
      slot.backend = backend;
      slot.session?.update(backend);
    }
    if (changed && !first)
      this.#host.toClient.notify({ method: 'notifications/tools/list_changed' }, undefined);
  }
}

function sameEndpoints(a: McpBackend, b: McpBackend): boolean {
  if (a.endpoints === undefined || b.endpoints === undefined) return a.endpoints === b.endpoints;
  const other = b.endpoints;
  return a.endpoints.length === other.length && a.endpoints.every((endpoint, i) => endpoint === other[i]);
}
