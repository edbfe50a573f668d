// The rate limit service's configuration, fed over xDS as Envoy Gateway feeds it: the service
// (github.com/envoyproxy/ratelimit with CONFIG_TYPE=GRPC_XDS_SOTW) opens a state-of-the-world ADS stream to the
// controller's xDS address with node id `ratelimit~<name>` and takes one RateLimitConfig, the descriptors of every
// Gateway's global rate limits in the one domain. This port sits between the Envoy backend actor and the ADS
// server: each Gateway's publish goes to its proxies as before and its descriptors into that configuration, which
// is republished when it changes. A replica that refuses the configuration shows on the Programmed condition of
// each Gateway whose limits were in it (as a rejecting proxy `ratelimit~<name>`) until it accepts a later one.
import type { ResourceKey } from '../../model/resources/resource-key.ts';
import type { Draft } from '../../runtime/message.ts';
import { gatewayId } from '../shared/snapshot.ts';
import type { XdsPort } from './envoy-backend.ts';
import type { Json } from './envoy-types.ts';
import { RATE_LIMIT_DOMAIN } from './filters/rate-limit-descriptors.ts';
import { RATE_LIMIT_SERVICE_KEY } from './node-identity.ts';
import type { ProxyReport } from './proxy-report.ts';
import type { EnvoyResources } from './translate-gateway.ts';

const EMPTY: EnvoyResources = {
  listeners: {},
  routeConfigurations: {},
  clusters: {},
  clusterLoadAssignments: {},
  secrets: {},
  grpcListeners: {},
  problems: [],
};
/** Configurations whose answers are still mapped back to their Gateways. */
const KEPT_REVISIONS = 16;

interface Contribution {
  readonly gateway: ResourceKey;
  readonly revision: number;
  readonly descriptors: Readonly<Record<string, Json>>;
}

export class RateLimitServiceFeed implements XdsPort {
  readonly #server: XdsPort;
  readonly #contributions = new Map<string, Contribution>();
  /** Per configuration revision sent, the Gateways (at their revisions) whose descriptors it held. */
  readonly #sent = new Map<number, readonly Contribution[]>();
  /** Per service replica, the Gateways it was reported as rejecting. */
  readonly #rejecting = new Map<string, ResourceKey[]>();
  /** Per service replica, the configuration revision it last accepted. */
  readonly #accepted = new Map<string, number>();
  #revision = 0;
  #content = '';

  constructor(server: XdsPort) {
    this.#server = server;
  }

  publish(gateway: ResourceKey, revision: number, resources: EnvoyResources): void {
    this.#server.publish(gateway, revision, resources);
    this.#contributions.set(gatewayId(gateway), {
      gateway,
      revision,
      descriptors: resources.rateLimitDescriptors ?? {},
    });
    this.#refresh();
  }

  withdraw(gateway: ResourceKey, revision: number): void {
    this.#server.withdraw(gateway, revision);
    this.#contributions.delete(gatewayId(gateway));
    this.#refresh();
  }

  onReport(listener: (report: Draft<ProxyReport>) => void): () => void {
    return this.#server.onReport((report) => {
      if (gatewayId(report.gateway) === gatewayId(RATE_LIMIT_SERVICE_KEY))
        this.#serviceReport(report, listener);
      else listener(report);
    });
  }

  /** The revision of the configuration now served. */
  get revision(): number {
    return this.#revision;
  }

  /** The configuration revision a replica (its node id) last accepted. */
  accepted(replica: string): number | undefined {
    return this.#accepted.get(replica);
  }

  /** The configuration the service holds now (for tests and the inspector). */
  configuration(): Json {
    return { name: RATE_LIMIT_DOMAIN, domain: RATE_LIMIT_DOMAIN, descriptors: this.#descriptors() };
  }

  #descriptors(): Json[] {
    const byBucket = new Map<string, Json>();
    for (const contribution of this.#contributions.values()) {
      for (const [bucket, descriptor] of Object.entries(contribution.descriptors))
        if (!byBucket.has(bucket)) byBucket.set(bucket, descriptor);
    }
    return [...byBucket.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, descriptor]) => descriptor);
  }

  #refresh(): void {
    const configuration = this.configuration();
    const content = JSON.stringify(configuration);
    if (content === this.#content) return;
    this.#content = content;
    const revision = ++this.#revision;
    this.#sent.set(
      revision,
      [...this.#contributions.values()].filter((c) => Object.keys(c.descriptors).length > 0),
    );
    this.#sent.delete(revision - KEPT_REVISIONS);
    this.#server.publish(RATE_LIMIT_SERVICE_KEY, revision, {
      ...EMPTY,
      rateLimitConfigs: { [RATE_LIMIT_DOMAIN]: configuration },
    });
  }

  /** A replica's answer, told to the Gateways whose limits it concerns. */
  #serviceReport(report: Draft<ProxyReport>, listener: (report: Draft<ProxyReport>) => void): void {
    const clear = () => {
      for (const gateway of this.#rejecting.get(report.proxy) ?? [])
        listener({ type: 'envoy.proxy.disconnected', gateway, proxy: report.proxy });
      this.#rejecting.delete(report.proxy);
    };
    if (report.type === 'envoy.proxy.rejected') {
      clear();
      const concerned = this.#sent.get(report.revision) ?? [];
      for (const contribution of concerned)
        listener({ ...report, gateway: contribution.gateway, revision: contribution.revision });
      this.#rejecting.set(
        report.proxy,
        concerned.map((c) => c.gateway),
      );
    } else {
      clear();
      if (report.type === 'envoy.proxy.synced') this.#accepted.set(report.proxy, report.revision);
      else this.#accepted.delete(report.proxy);
    }
  }
}
