// The ADS server every backend runs: gRPC AggregatedDiscoveryService holding one snapshot per Gateway. A proxy is
// matched to its Gateway by the backend's node identity; a publish reaches only the proxies of that Gateway; every
// proxy's ACKs, NACKs and disconnects go back as the backend's report messages. The backend supplies the snapshot
// encoding, the node identity and the stream sessions (state-of-the-world may be refused); the rest is here.
import {
  type ChannelOptions,
  ServerCredentials as Credentials,
  Server,
  type ServerCredentials,
  type ServerDuplexStream,
  status,
} from '@grpc/grpc-js';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import {
  aggregatedDiscoveryService,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type DiscoveryRequest,
  type DiscoveryResponse,
  type Node,
} from '../../protos/aggregated-discovery-service.ts';
import type { Draft } from '../../runtime/message.ts';
import { type ProxyReportOf, proxyReport, type SessionReport } from './proxy-report.ts';
import type { ProxySession, Report } from './proxy-session.ts';
import { gatewayId, type Snapshot } from './snapshot.ts';

export interface AdsServerOptions {
  /** host:port to listen on; port 0 picks a free one. */
  readonly address: string;
  /** TLS (optionally mutual) for the xDS listener; plaintext when absent. */
  readonly credentials?: ServerCredentials;
}

// Keepalive tuned for many long-lived streams: cheap pings, dead peers found within a minute.
const KEEPALIVE: ChannelOptions = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  'grpc.max_concurrent_streams': 100_000,
};

/** One stream's session: the shared per-proxy logic plus the protocol's request handling. */
export type StreamSession<Req, Res, S extends Snapshot> = ProxySession<S, Res> & {
  request(request: Req): void;
};

export type SessionFactory<Req, Res, S extends Snapshot> = (
  call: ServerDuplexStream<Req, Res>,
  gateway: ResourceKey,
  proxy: string,
  report: Report,
  nextNonce: () => string,
) => StreamSession<Req, Res, S>;

export type NodeMatch =
  | { readonly ok: true; readonly gateway: ResourceKey }
  | { readonly ok: false; readonly message: string };

/** What a backend plugs into the server. */
export interface AdsBackend<B extends string, S extends Snapshot, R> {
  /** Names the report messages: `<backend>.proxy.synced` and so on. */
  readonly backend: B;
  /** The Gateway a stream's node serves, or the message the stream is refused with (INVALID_ARGUMENT). */
  readonly gatewayOfNode: (node: Node | null) => NodeMatch;
  /**
   * The name a node gives its proxy, when it names one at all (agentgateway started without its pod variables
   * does not: every such proxy sends the same node id). The server makes it unique, see `proxyName`.
   */
  readonly proxyOfNode: (node: Node | null) => string | undefined;
  readonly encodeSnapshot: (revision: number, resources: R, previous?: S) => S;
  /** The resources of a withdrawn Gateway: none. */
  readonly emptyResources: R;
  readonly delta: SessionFactory<DeltaDiscoveryRequest, DeltaDiscoveryResponse, S>;
  /** State-of-the-world streams: their session, or the message they are refused with (UNIMPLEMENTED). */
  readonly sotw: SessionFactory<DiscoveryRequest, DiscoveryResponse, S> | string;
}

/** One open ADS stream as the inspector shows it. */
export interface ProxyConnection {
  readonly gateway: ResourceKey;
  readonly proxy: string;
  readonly protocol: 'delta' | 'sotw';
  /** Per type URL, the resources the proxy held at its last ACK. */
  readonly accepted: Record<string, number>;
}

export interface Listening {
  readonly server: Server;
  readonly address: string;
}

/** Binds a gRPC server to the address (port 0 picks a free one); the address it got. */
export async function listen(options: AdsServerOptions): Promise<Listening> {
  const server = new Server(KEEPALIVE);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(options.address, options.credentials ?? Credentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  const host = options.address.slice(0, options.address.lastIndexOf(':'));
  return { server, address: `${host}:${port}` };
}

type Session<S extends Snapshot> = ProxySession<S, unknown>;

/**
 * Every connected proxy of a Gateway has a name of its own, so its ACKs and NACKs are kept apart from the others':
 * the node's own name unless another stream of that Gateway already uses it, then with the stream's peer address
 * (`<name>@<peer>`); a node that names no proxy is `<backend>@<peer>`; streams sharing one connection (one peer)
 * are told apart by a number (`#2`, …). A proxy reconnecting while its old stream is still open gets another name
 * until the old stream closes (that name is reported gone then, the new one stays).
 */
export function proxyName(
  named: string | undefined,
  peer: string,
  backend: string,
  live: readonly { readonly proxy: string }[],
): string {
  const taken = (name: string) => live.some((session) => session.proxy === name);
  const unnamed = named === undefined || named === '';
  if (!unnamed && !taken(named)) return named;
  const base = unnamed ? `${backend}@${peer}` : `${named}@${peer}`;
  if (!taken(base)) return base;
  let n = 2;
  while (taken(`${base}#${n}`)) n++;
  return `${base}#${n}`;
}

export class AdsServer<B extends string, S extends Snapshot, R> {
  readonly address: string;
  readonly #server: Server;
  readonly #backend: AdsBackend<B, S, R>;
  readonly #snapshots = new Map<string, S>();
  readonly #sessions = new Map<string, Set<Session<S>>>();
  readonly #protocols = new WeakMap<Session<S>, ProxyConnection['protocol']>();
  readonly #listeners = new Set<(report: Draft<ProxyReportOf<B>>) => void>();
  #nonces = 0;

  protected constructor(listening: Listening, backend: AdsBackend<B, S, R>) {
    this.#server = listening.server;
    this.address = listening.address;
    this.#backend = backend;
    const sotw = backend.sotw;
    this.#server.addService(aggregatedDiscoveryService(), {
      StreamAggregatedResources: (call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) =>
        typeof sotw === 'string'
          ? call.emit('error', { code: status.UNIMPLEMENTED, details: sotw })
          : this.#serve(call, sotw),
      DeltaAggregatedResources: (call: ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>) =>
        this.#serve(call, backend.delta),
    });
  }

  /** Receives every proxy report (ACK reaching a revision, NACK, disconnect); returns an unsubscribe. */
  onReport(listener: (report: Draft<ProxyReportOf<B>>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Replaces a Gateway's snapshot and pushes the difference to its proxies. */
  publish(gateway: ResourceKey, revision: number, resources: R): void {
    const id = gatewayId(gateway);
    const snapshot = this.#backend.encodeSnapshot(revision, resources, this.#snapshots.get(id));
    this.#snapshots.set(id, snapshot);
    for (const session of this.#sessions.get(id) ?? []) session.push(snapshot);
  }

  /**
   * Removes a Gateway's configuration from its connected proxies (an empty snapshot, as wire revision `revision`:
   * the backend numbers it after every push before) and forgets it; the proxies keep their streams and get its
   * next snapshot if it comes back.
   */
  withdraw(gateway: ResourceKey, revision: number): void {
    const id = gatewayId(gateway);
    const current = this.#snapshots.get(id);
    this.#snapshots.delete(id);
    if (current === undefined) return;
    const empty = this.#backend.encodeSnapshot(revision, this.#backend.emptyResources);
    for (const session of this.#sessions.get(id) ?? []) session.push(empty);
  }

  /** The current snapshot of a Gateway, for the inspector and tests. */
  snapshot(gateway: ResourceKey): S | undefined {
    return this.#snapshots.get(gatewayId(gateway));
  }

  /** Per type URL, how many resources the Gateway's current snapshot serves (the inspector's data-plane view). */
  served(gateway: Pick<ResourceKey, 'namespace' | 'name'>): Record<string, number> | undefined {
    const snapshot = this.#snapshots.get(gatewayId(gateway));
    if (snapshot === undefined) return undefined;
    return Object.fromEntries([...snapshot.types].map(([typeUrl, resources]) => [typeUrl, resources.size]));
  }

  /** Connected proxies per Gateway id. */
  proxies(): Record<string, string[]> {
    return Object.fromEntries(
      [...this.#sessions].map(([id, sessions]) => [id, [...sessions].map((s) => s.proxy).sort()]),
    );
  }

  /** Every open stream: its proxy, protocol and what the proxy holds per type (the inspector's data-plane view). */
  connections(): ProxyConnection[] {
    return [...this.#sessions.values()].flatMap((sessions) =>
      [...sessions].map((session) => ({
        gateway: session.gateway,
        proxy: session.proxy,
        protocol: this.#protocols.get(session) ?? 'delta',
        accepted: session.acceptedCounts(),
      })),
    );
  }

  async stop(): Promise<void> {
    // Open streams would keep a graceful shutdown waiting for the proxies to hang up.
    this.#server.forceShutdown();
  }

  #serve<Req extends { readonly node: Node | null }, Res>(
    call: ServerDuplexStream<Req, Res>,
    create: SessionFactory<Req, Res, S>,
  ): void {
    let session: StreamSession<Req, Res, S> | undefined;
    let refused = false;
    call.on('data', (request: Req) => {
      if (refused) return;
      session ??= this.#open(call, request.node, create);
      if (session === undefined) {
        // The stream has been ended with the reason; later requests on it are not matched again.
        refused = true;
        return;
      }
      session.request(request);
    });
    this.#onClose(call, () => session);
  }

  /** Matches the stream's first node to a Gateway and registers the session; ends the call when it cannot. */
  #open<Req, Res>(
    call: ServerDuplexStream<Req, Res>,
    node: Node | null,
    create: SessionFactory<Req, Res, S>,
  ): StreamSession<Req, Res, S> | undefined {
    const match = this.#backend.gatewayOfNode(node);
    if (!match.ok) {
      call.emit('error', { code: status.INVALID_ARGUMENT, details: match.message });
      return undefined;
    }
    const id = gatewayId(match.gateway);
    const proxy = proxyName(this.#backend.proxyOfNode(node), call.getPeer(), this.#backend.backend, [
      ...(this.#sessions.get(id) ?? []),
    ]);
    const session = create(call, match.gateway, proxy, this.#report, this.#nextNonce);
    this.#protocols.set(session, create === this.#backend.delta ? 'delta' : 'sotw');
    const sessions = this.#sessions.get(id) ?? new Set();
    sessions.add(session);
    this.#sessions.set(id, sessions);
    this.#report({ kind: 'connected', gateway: match.gateway, proxy });
    const snapshot = this.#snapshots.get(id);
    if (snapshot !== undefined) session.push(snapshot);
    return session;
  }

  #onClose(call: ServerDuplexStream<unknown, unknown>, session: () => Session<S> | undefined): void {
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      const current = session();
      if (current === undefined) return;
      const id = gatewayId(current.gateway);
      const sessions = this.#sessions.get(id);
      sessions?.delete(current);
      if (sessions?.size === 0) this.#sessions.delete(id);
      // A proxy with another stream still open (a reconnect overlapping the old stream) is still there.
      if (![...(sessions ?? [])].some((s) => s.proxy === current.proxy)) {
        this.#report({ kind: 'disconnected', gateway: current.gateway, proxy: current.proxy });
      }
    };
    call.on('end', () => {
      close();
      call.end();
    });
    call.on('error', close);
    call.on('cancelled', close);
    call.on('close', close);
  }

  readonly #report = (report: SessionReport): void => {
    const message = proxyReport(this.#backend.backend, report);
    for (const listener of this.#listeners) listener(message);
  };

  readonly #nextNonce = (): string => String(++this.#nonces);
}
