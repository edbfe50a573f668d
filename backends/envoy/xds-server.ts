// The ADS server: gRPC AggregatedDiscoveryService (state-of-the-world and delta) holding one snapshot per
// Gateway. A proxy is matched to its Gateway by node cluster (node-identity.ts); a publish reaches only the
// proxies of that Gateway. The edge of the Envoy backend: the actor decides what to publish, this serves it
// and reports every proxy's ACKs and NACKs back as messages.
import {
  type ChannelOptions,
  ServerCredentials as Credentials,
  Server,
  type ServerCredentials,
  type ServerDuplexStream,
  status,
} from '@grpc/grpc-js';
import type { ResourceKey } from '../../model/resource-key.ts';
import {
  aggregatedDiscoveryService,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type DiscoveryRequest,
  type DiscoveryResponse,
  type Node,
} from '../../protos/index.ts';
import type { Draft } from '../../runtime/message.ts';
import { DeltaSession } from './delta-stream.ts';
import { gatewayId, gatewayOfNode } from './node-identity.ts';
import type { ProxyReport } from './proxy-report.ts';
import type { ProxySession } from './proxy-session.ts';
import { SotwSession } from './sotw-stream.ts';
import type { EnvoyResources } from './translate-gateway.ts';
import { encodeSnapshot, type XdsSnapshot } from './xds-snapshot.ts';

export interface XdsServerOptions {
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

type Listener = (report: Draft<ProxyReport>) => void;

const EMPTY_RESOURCES: EnvoyResources = {
  listeners: {},
  routeConfigurations: {},
  clusters: {},
  clusterLoadAssignments: {},
  secrets: {},
  grpcListeners: {},
  problems: [],
};

export class XdsServer {
  readonly address: string;
  readonly #server: Server;
  readonly #snapshots = new Map<string, XdsSnapshot>();
  readonly #sessions = new Map<string, Set<ProxySession>>();
  readonly #listeners = new Set<Listener>();
  #nonces = 0;

  private constructor(server: Server, address: string) {
    this.#server = server;
    this.address = address;
  }

  static async start(options: XdsServerOptions): Promise<XdsServer> {
    const server = new Server(KEEPALIVE);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        options.address,
        options.credentials ?? Credentials.createInsecure(),
        (error, bound) => (error ? reject(error) : resolve(bound)),
      ),
    );
    const host = options.address.slice(0, options.address.lastIndexOf(':'));
    const xds = new XdsServer(server, `${host}:${port}`);
    server.addService(aggregatedDiscoveryService(), {
      StreamAggregatedResources: (call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) =>
        xds.#serveSotw(call),
      DeltaAggregatedResources: (call: ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>) =>
        xds.#serveDelta(call),
    });
    return xds;
  }

  /** Receives every proxy report (ACK reaching a revision, NACK, disconnect); returns an unsubscribe. */
  onReport(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Replaces a Gateway's snapshot and pushes the difference to its proxies. */
  publish(gateway: ResourceKey, revision: number, resources: EnvoyResources): void {
    const id = gatewayId(gateway);
    const snapshot = encodeSnapshot(revision, resources, this.#snapshots.get(id));
    this.#snapshots.set(id, snapshot);
    for (const session of this.#sessions.get(id) ?? []) session.push(snapshot);
  }

  /**
   * Removes a Gateway's configuration from its connected proxies (an empty snapshot) and forgets it; the
   * proxies keep their streams and get its next snapshot if it comes back.
   */
  withdraw(gateway: ResourceKey): void {
    const id = gatewayId(gateway);
    const current = this.#snapshots.get(id);
    this.#snapshots.delete(id);
    if (current === undefined) return;
    const empty = encodeSnapshot(current.revision + 1, EMPTY_RESOURCES);
    for (const session of this.#sessions.get(id) ?? []) session.push(empty);
  }

  /** The current snapshot of a Gateway, for the inspector and tests. */
  snapshot(gateway: ResourceKey): XdsSnapshot | undefined {
    return this.#snapshots.get(gatewayId(gateway));
  }

  /** Connected proxies per Gateway id. */
  proxies(): Record<string, string[]> {
    return Object.fromEntries(
      [...this.#sessions].map(([id, sessions]) => [id, [...sessions].map((s) => s.proxy).sort()]),
    );
  }

  async stop(): Promise<void> {
    // Open streams would keep a graceful shutdown waiting for the proxies to hang up.
    this.#server.forceShutdown();
  }

  #serveSotw(call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>): void {
    let session: SotwSession | undefined;
    call.on('data', (request: DiscoveryRequest) => {
      session ??= this.#open(
        call,
        request.node,
        (gateway, proxy) => new SotwSession(call, gateway, proxy, this.#report, this.#nextNonce),
      );
      session?.request(request);
    });
    this.#onClose(call, () => session);
  }

  #serveDelta(call: ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>): void {
    let session: DeltaSession | undefined;
    call.on('data', (request: DeltaDiscoveryRequest) => {
      session ??= this.#open(
        call,
        request.node,
        (gateway, proxy) => new DeltaSession(call, gateway, proxy, this.#report, this.#nextNonce),
      );
      session?.request(request);
    });
    this.#onClose(call, () => session);
  }

  /** Matches the stream's first node to a Gateway and registers the session; ends the call when it cannot. */
  #open<S extends ProxySession>(
    call: ServerDuplexStream<unknown, unknown>,
    node: Node | null,
    create: (gateway: ResourceKey, proxy: string) => S,
  ): S | undefined {
    const match = gatewayOfNode(node);
    if (!match.ok) {
      call.emit('error', { code: status.INVALID_ARGUMENT, details: match.message });
      return undefined;
    }
    const session = create(match.gateway, node?.id || 'unnamed');
    const id = gatewayId(match.gateway);
    const sessions = this.#sessions.get(id) ?? new Set();
    sessions.add(session);
    this.#sessions.set(id, sessions);
    const snapshot = this.#snapshots.get(id);
    if (snapshot !== undefined) session.push(snapshot);
    return session;
  }

  #onClose(call: ServerDuplexStream<unknown, unknown>, session: () => ProxySession | undefined): void {
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
        this.#report({ type: 'envoy.proxy.disconnected', gateway: current.gateway, proxy: current.proxy });
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

  readonly #report = (report: Draft<ProxyReport>): void => {
    for (const listener of this.#listeners) listener(report);
  };

  readonly #nextNonce = (): string => String(++this.#nonces);
}
