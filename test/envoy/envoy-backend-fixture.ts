// The Envoy backend under test, wired as the controller wires it: an ActorSystem with the backend actor, its
// ADS server on loopback, and a probe standing in for the gateway deployer that records every
// BackendGatewayStatus. `apply` sends an IR and resolves once every proxy has ACKed (or NACKed) it.
import type { ServerCredentials } from '@grpc/grpc-js';
import { emit, setup } from 'xstate';
import type { XdsTlsOptions } from '../../backends/envoy/bootstrap.ts';
import {
  type EnvoyBackendMessage,
  nodeClusterOf,
  RateLimitServiceFeed,
  spawnEnvoyBackend,
  type TranslateOptions,
  XdsServer,
} from '../../backends/envoy/index.ts';
import type { BackendGatewayStatus, TlsMaterial } from '../../model/ir/backend-contract.ts';
import type { GatewayIR } from '../../model/ir/gateway-ir.ts';
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import { ActorSystem } from '../../runtime/ActorSystem.ts';
import { effectRequest, type Outgoing } from '../../runtime/outbox.ts';
import { type Envoy, startEnvoy } from '../harness/envoy/index.ts';

const DEPLOYER = 'gateway-deployer';
const BACKEND = 'backend.envoy';

const deployerProbe = setup({
  types: {
    events: {} as BackendGatewayStatus | { type: 'effect.done' | 'effect.failed' },
    emitted: {} as Outgoing,
  },
}).createMachine({
  initial: 'listening',
  states: {
    listening: {
      tags: ['ready'],
      on: { 'backend.gateway.status': { actions: emit(({ event }) => effectRequest('record', event)) } },
    },
  },
});

export class EnvoyBackendFixture {
  readonly system: ActorSystem;
  readonly xds: XdsServer;
  /** What the backend publishes through: the ADS server, feeding the rate limit service too. */
  readonly feed: RateLimitServiceFeed;
  readonly statuses: BackendGatewayStatus[] = [];
  readonly envoys: Envoy[] = [];
  #revision = 0;
  readonly #waiters = new Set<() => void>();

  private constructor(system: ActorSystem, xds: XdsServer) {
    this.system = system;
    this.xds = xds;
    this.feed = new RateLimitServiceFeed(xds);
  }

  /**
   * `address` reuses a port (a restarted controller); default a free loopback port. `credentials`: TLS.
   * `translate`: more translation options (the rate limit service).
   */
  static async start(
    address = '127.0.0.1:0',
    credentials?: ServerCredentials,
    translate: Omit<TranslateOptions, 'bindAddress'> = {},
  ): Promise<EnvoyBackendFixture> {
    const xds = await XdsServer.start({ address, ...(credentials === undefined ? {} : { credentials }) });
    const system = new ActorSystem();
    const fixture = new EnvoyBackendFixture(system, xds);
    system.spawn({
      name: DEPLOYER,
      machine: deployerProbe,
      mailbox: { capacity: 1024 },
      effects: {
        record: (status: BackendGatewayStatus) => {
          fixture.statuses.push(status);
          for (const wake of fixture.#waiters) wake();
        },
      },
    });
    spawnEnvoyBackend(system, {
      name: BACKEND,
      deployer: DEPLOYER,
      xds: fixture.feed,
      translate: { bindAddress: '127.0.0.1', ...translate },
    });
    system.start();
    await system.whenReady();
    return fixture;
  }

  /** Starts a real Envoy serving `gateway`, waiting until it is LIVE (so send its Gateway's IR first). */
  async startEnvoy(
    gateway: ResourceKey,
    options: {
      nodeId?: string;
      delta?: boolean;
      xdsTls?: XdsTlsOptions;
      waitUntil?: 'started' | 'live';
    } = {},
  ): Promise<Envoy> {
    const envoy = await startEnvoy({
      adsAddress: this.xds.address,
      nodeId: options.nodeId ?? `envoy-${this.envoys.length + 1}`,
      cluster: nodeClusterOf(gateway),
      delta: options.delta ?? true,
      ...(options.xdsTls === undefined ? {} : { xdsTls: options.xdsTls }),
      ...(options.waitUntil === undefined ? {} : { waitUntil: options.waitUntil }),
    });
    this.envoys.push(envoy);
    return envoy;
  }

  /** Sends the IR as the next revision; returns the revision. */
  async send(ir: GatewayIR, tls: Readonly<Record<string, TlsMaterial>> = {}): Promise<number> {
    const revision = ++this.#revision;
    await this.system.send<EnvoyBackendMessage>(BACKEND, {
      type: 'backend.gateway.changed',
      gateway: ir.gateway,
      revision,
      ir,
      tls,
    });
    return revision;
  }

  /** Sends the IR and waits until every named proxy has ACKed that revision; returns that status. */
  async apply(
    ir: GatewayIR,
    proxies: readonly string[],
    tls: Readonly<Record<string, TlsMaterial>> = {},
  ): Promise<BackendGatewayStatus> {
    const revision = await this.send(ir, tls);
    return this.waitForSynced(proxies, revision);
  }

  /** Waits until every named proxy has ACKed `revision` (the latest sent). */
  waitForSynced(proxies: string | readonly string[], revision: number): Promise<BackendGatewayStatus> {
    const names = typeof proxies === 'string' ? [proxies] : proxies;
    return this.waitForStatus(
      (s) =>
        s.revision === revision &&
        names.every((p) => s.proxies.some((x) => x.proxy === p && (x.ackedRevision ?? 0) >= revision)),
      `every proxy of ${names.join(', ')} ACKs revision ${revision}`,
    );
  }

  waitForStatus(
    predicate: (status: BackendGatewayStatus) => boolean,
    what: string,
    timeoutMs = 20_000,
  ): Promise<BackendGatewayStatus> {
    const found = this.statuses.find(predicate);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const wake = () => {
        const match = this.statuses.find(predicate);
        if (match === undefined) return;
        this.#waiters.delete(wake);
        clearTimeout(timer);
        resolve(match);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(wake);
        reject(
          new Error(`timed out waiting until ${what}; last status: ${JSON.stringify(this.statuses.at(-1))}`),
        );
      }, timeoutMs);
      this.#waiters.add(wake);
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.envoys.map((e) => e.stop()));
    await this.stopControlPlane();
  }

  /** Stops the ADS server and the actors, leaving the Envoys running (a controller restart). */
  async stopControlPlane(): Promise<void> {
    await this.xds.stop();
    await this.system.stop(5_000);
  }
}
