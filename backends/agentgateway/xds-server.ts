// The agentgateway ADS server: gRPC AggregatedDiscoveryService, delta only (DeltaAggregatedResources; the
// state-of-the-world method answers UNIMPLEMENTED), holding one snapshot per Gateway. A proxy is matched to its
// Gateway by Node.metadata (node-identity.ts); a publish reaches only the proxies of that Gateway. It reports every
// proxy's ACKs and NACKs back as messages, like the Envoy backend's XdsServer, whose service definition and
// per-stream session logic it reuses.
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
} from '../../protos/aggregated-discovery-service.ts';
import type { Draft } from '../../runtime/message.ts';
import type { ProxyReport } from '../envoy/proxy-report.ts';
import { AgentgatewayDeltaSession } from './delta-session.ts';
import { gatewayId, gatewayOfNode } from './node-identity.ts';
import type { AgentgatewayProxyReport } from './proxy-report.ts';
import { type AgentgatewaySnapshot, EMPTY_RESOURCES, encodeSnapshot } from './snapshot.ts';
import type { AgentgatewayResources } from './translate-gateway.ts';

export interface AgentgatewayXdsServerOptions {
  /** host:port to listen on; port 0 picks a free one. */
  readonly address: string;
  /** TLS (optionally mutual) for the xDS listener; plaintext when absent. */
  readonly credentials?: ServerCredentials;
}

const KEEPALIVE: ChannelOptions = {
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  'grpc.http2.min_ping_interval_without_data_ms': 10_000,
  'grpc.max_concurrent_streams': 100_000,
};

export const SOTW_NOT_SUPPORTED =
  'state-of-the-world ADS is not supported for agentgateway: use DeltaAggregatedResources';

type Listener = (report: Draft<AgentgatewayProxyReport>) => void;

export class AgentgatewayXdsServer {
  readonly address: string;
  readonly #server: Server;
  readonly #snapshots = new Map<string, AgentgatewaySnapshot>();
  readonly #sessions = new Map<string, Set<AgentgatewayDeltaSession>>();
  readonly #listeners = new Set<Listener>();
  #nonces = 0;

  private constructor(server: Server, address: string) {
    this.#server = server;
    this.address = address;
  }

  static async start(options: AgentgatewayXdsServerOptions): Promise<AgentgatewayXdsServer> {
    const server = new Server(KEEPALIVE);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(
        options.address,
        options.credentials ?? Credentials.createInsecure(),
        (error, bound) => (error ? reject(error) : resolve(bound)),
      ),
    );
    const host = options.address.slice(0, options.address.lastIndexOf(':'));
    const xds = new AgentgatewayXdsServer(server, `${host}:${port}`);
    server.addService(aggregatedDiscoveryService(), {
      StreamAggregatedResources: (call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) =>
        call.emit('error', { code: status.UNIMPLEMENTED, details: SOTW_NOT_SUPPORTED }),
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
  publish(gateway: ResourceKey, revision: number, resources: AgentgatewayResources): void {
    const id = gatewayId(gateway);
    const snapshot = encodeSnapshot(revision, resources, this.#snapshots.get(id));
    this.#snapshots.set(id, snapshot);
    for (const session of this.#sessions.get(id) ?? []) session.push(snapshot);
  }

  /** Removes a Gateway's configuration from its connected proxies (all its resources removed) and forgets it. */
  withdraw(gateway: ResourceKey): void {
    const id = gatewayId(gateway);
    const current = this.#snapshots.get(id);
    this.#snapshots.delete(id);
    if (current === undefined) return;
    const empty = encodeSnapshot(current.revision + 1, EMPTY_RESOURCES);
    for (const session of this.#sessions.get(id) ?? []) session.push(empty);
  }

  /** The current snapshot of a Gateway, for the inspector and tests. */
  snapshot(gateway: ResourceKey): AgentgatewaySnapshot | undefined {
    return this.#snapshots.get(gatewayId(gateway));
  }

  /** Connected proxies per Gateway id. */
  proxies(): Record<string, string[]> {
    return Object.fromEntries(
      [...this.#sessions].map(([id, sessions]) => [id, [...sessions].map((s) => s.proxy).sort()]),
    );
  }

  async stop(): Promise<void> {
    this.#server.forceShutdown();
  }

  #serveDelta(call: ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>): void {
    let session: AgentgatewayDeltaSession | undefined;
    let refused = false;
    call.on('data', (request: DeltaDiscoveryRequest) => {
      if (refused) return;
      session ??= this.#open(call, request.node);
      if (session === undefined) {
        refused = true;
        return;
      }
      session.request(request);
    });
    this.#onClose(call, () => session);
  }

  #open(
    call: ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>,
    node: Node | null,
  ): AgentgatewayDeltaSession | undefined {
    const match = gatewayOfNode(node);
    if (!match.ok) {
      call.emit('error', { code: status.INVALID_ARGUMENT, details: match.message });
      return undefined;
    }
    const session = new AgentgatewayDeltaSession(
      call,
      match.gateway,
      node?.id || 'unnamed',
      this.#report,
      this.#nextNonce,
    );
    const id = gatewayId(match.gateway);
    const sessions = this.#sessions.get(id) ?? new Set();
    sessions.add(session);
    this.#sessions.set(id, sessions);
    const snapshot = this.#snapshots.get(id);
    if (snapshot !== undefined) session.push(snapshot);
    return session;
  }

  #onClose(
    call: ServerDuplexStream<unknown, unknown>,
    session: () => AgentgatewayDeltaSession | undefined,
  ): void {
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
      if (![...(sessions ?? [])].some((s) => s.proxy === current.proxy)) {
        this.#emit({
          type: 'agentgateway.proxy.disconnected',
          gateway: current.gateway,
          proxy: current.proxy,
        });
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

  /** The shared session logic reports in the Envoy backend's message names; ours carry the agentgateway ones. */
  readonly #report = (report: Draft<ProxyReport>): void => {
    switch (report.type) {
      case 'envoy.proxy.synced':
        this.#emit({ ...report, type: 'agentgateway.proxy.synced' });
        break;
      case 'envoy.proxy.rejected':
        this.#emit({ ...report, type: 'agentgateway.proxy.rejected' });
        break;
      case 'envoy.proxy.disconnected':
        this.#emit({ ...report, type: 'agentgateway.proxy.disconnected' });
        break;
    }
  };

  #emit(report: Draft<AgentgatewayProxyReport>): void {
    for (const listener of this.#listeners) listener(report);
  }

  readonly #nextNonce = (): string => String(++this.#nonces);
}
