// An incremental ADS stream (DeltaAggregatedResources) of an Envoy: the subscriptions and responses are the shared
// delta core (backends/shared/delta-session.ts); Envoy's part is which types are wildcard, the listeners served only
// by name, and make-before-break: removals of Clusters, their endpoints and Secrets wait until the new Listeners
// and routes are ACKed.
import { TYPE_URL } from '../../protos/index.ts';
import { DeltaSessionCore } from '../shared/delta-session.ts';
import { envoyResourceJson, WILDCARD_TYPES, type XdsResource, type XdsSnapshot } from './xds-snapshot.ts';

export class DeltaSession extends DeltaSessionCore<XdsSnapshot> {
  protected resourceJson(resource: XdsResource): unknown {
    return envoyResourceJson(resource);
  }

  protected wildcardByDefault(typeUrl: string): boolean {
    return WILDCARD_TYPES.has(typeUrl);
  }

  protected override namedOnly(typeUrl: string, name: string): XdsResource | undefined {
    return typeUrl === TYPE_URL.listener ? this.snapshot?.namedOnlyListeners.get(name) : undefined;
  }

  protected subscribedToListeners(): boolean {
    return this.subscription(TYPE_URL.listener) !== undefined;
  }

  push(snapshot: XdsSnapshot): void {
    this.snapshot = snapshot;
    // New and changed clusters, endpoints and secrets; then, once the proxy holds every endpoint set, listeners;
    // once they are taken, routes (with their removals); then the removed clusters, endpoints and secrets.
    // Routes wait for their listeners so that a refused listener (one gaining an authentication filter, say) never
    // runs beside routes written for it: the routes would be served by the old listener, without the filter.
    for (const typeUrl of [TYPE_URL.secret, TYPE_URL.cluster, TYPE_URL.clusterLoadAssignment]) {
      this.respondIfSubscribed(typeUrl, 'updates');
    }
    this.stagesAfterThis([
      {
        ready: () => this.#holdsEveryEndpointSet(),
        send: () => this.respondIfSubscribed(TYPE_URL.listener, 'all'),
      },
      { ready: () => true, send: () => this.respondIfSubscribed(TYPE_URL.routeConfiguration, 'all') },
      {
        ready: () => true,
        send: () => {
          for (const typeUrl of [
            TYPE_URL.routeConfiguration,
            TYPE_URL.clusterLoadAssignment,
            TYPE_URL.cluster,
            TYPE_URL.secret,
          ]) {
            this.respondIfSubscribed(typeUrl, 'all');
          }
        },
      },
    ]);
    this.settle();
  }

  /** An Envoy subscribed to every cluster must hold each one's current endpoints before routes point at it. */
  #holdsEveryEndpointSet(): boolean {
    if (this.subscription(TYPE_URL.cluster)?.wildcard !== true) return true;
    const wanted = this.snapshot?.types.get(TYPE_URL.clusterLoadAssignment) ?? new Map<string, XdsResource>();
    const held = this.subscription(TYPE_URL.clusterLoadAssignment)?.held;
    return [...wanted.values()].every((r) => held?.get(r.name) === r.version);
  }
}
