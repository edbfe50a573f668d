// An incremental ADS stream (DeltaAggregatedResources): per type, the names subscribed (or wildcard) and the
// version of each resource the proxy holds — from initial_resource_versions on a reconnect, then from what
// we sent. A push carries only changed resources and removed names; removals of Clusters, their endpoints and
// Secrets wait until the new Listeners and routes are ACKed.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { ResourceKey } from '../../model/resource-key.ts';
import { type DeltaDiscoveryRequest, type DeltaDiscoveryResponse, TYPE_URL } from '../../protos/index.ts';
import { ProxySession, type Report } from './proxy-session.ts';
import { WILDCARD_TYPES, type XdsResource, type XdsSnapshot } from './xds-snapshot.ts';

interface Subscription {
  wildcard: boolean;
  names: Set<string>;
  /** Name → version the proxy holds (or is being sent). */
  held: Map<string, string>;
  /** What it held at its last ACK. */
  accepted: Map<string, string>;
  /** The first response for a type goes out even when empty: Envoy waits for it to initialise. */
  answered: boolean;
}

export class DeltaSession extends ProxySession {
  readonly #call: ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
  readonly #subscriptions = new Map<string, Subscription>();

  constructor(
    call: ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>,
    gateway: ResourceKey,
    proxy: string,
    report: Report,
    nextNonce: () => string,
  ) {
    super(gateway, proxy, report, nextNonce);
    this.#call = call;
  }

  request(request: DeltaDiscoveryRequest): void {
    const typeUrl = request.type_url;
    let subscription = this.#subscriptions.get(typeUrl);
    const opened = subscription === undefined;
    if (subscription === undefined) {
      const wildcard = WILDCARD_TYPES.has(typeUrl) && request.resource_names_subscribe.length === 0;
      subscription = {
        wildcard,
        names: new Set(),
        held: new Map(Object.entries(request.initial_resource_versions)),
        accepted: new Map(Object.entries(request.initial_resource_versions)),
        answered: false,
      };
      this.#subscriptions.set(typeUrl, subscription);
    }
    const added = new Set<string>();
    for (const name of request.resource_names_subscribe) {
      if (name === '*') subscription.wildcard = true;
      else if (!subscription.names.has(name)) {
        subscription.names.add(name);
        added.add(name);
      }
    }
    for (const name of request.resource_names_unsubscribe) {
      if (name === '*') subscription.wildcard = false;
      subscription.names.delete(name);
      subscription.held.delete(name);
      subscription.accepted.delete(name);
    }
    const answer = this.answered(typeUrl, request.response_nonce, request.error_detail?.message ?? undefined);
    // A new subscription gets everything it lacks; newly subscribed names get their resources; changes to
    // what the proxy already holds go out only with a push, in make-before-break order.
    if (this.snapshot !== undefined && answer !== 'nack') {
      if (opened) this.#respond(typeUrl, subscription, 'all');
      else if (added.size > 0) this.#respond(typeUrl, subscription, 'updates', added);
    }
    if (answer === 'ack') this.settle();
  }

  protected answeredType(typeUrl: string, accepted: boolean): void {
    const subscription = this.#subscriptions.get(typeUrl);
    if (subscription === undefined) return;
    if (accepted) subscription.accepted = new Map(subscription.held);
    else subscription.held = new Map(subscription.accepted);
  }

  protected subscribedToListeners(): boolean {
    return this.#subscriptions.has(TYPE_URL.listener);
  }

  push(snapshot: XdsSnapshot): void {
    this.snapshot = snapshot;
    // New and changed clusters, endpoints and secrets; then, once the proxy holds every endpoint set, listeners
    // and routes (with their removals); then the removed clusters, endpoints and secrets.
    for (const typeUrl of [TYPE_URL.secret, TYPE_URL.cluster, TYPE_URL.clusterLoadAssignment]) {
      this.#respondIfSubscribed(typeUrl, 'updates');
    }
    this.stagesAfterThis([
      {
        ready: () => this.#holdsEveryEndpointSet(),
        send: () => {
          this.#respondIfSubscribed(TYPE_URL.listener, 'all');
          this.#respondIfSubscribed(TYPE_URL.routeConfiguration, 'all');
        },
      },
      {
        ready: () => true,
        send: () => {
          for (const typeUrl of [
            TYPE_URL.routeConfiguration,
            TYPE_URL.clusterLoadAssignment,
            TYPE_URL.cluster,
            TYPE_URL.secret,
          ]) {
            this.#respondIfSubscribed(typeUrl, 'all');
          }
        },
      },
    ]);
    this.settle();
  }

  #respondIfSubscribed(typeUrl: string, what: 'all' | 'updates'): void {
    const subscription = this.#subscriptions.get(typeUrl);
    if (subscription !== undefined) this.#respond(typeUrl, subscription, what);
  }

  /** An Envoy subscribed to every cluster must hold each one's current endpoints before routes point at it. */
  #holdsEveryEndpointSet(): boolean {
    if (this.#subscriptions.get(TYPE_URL.cluster)?.wildcard !== true) return true;
    const wanted = this.snapshot?.types.get(TYPE_URL.clusterLoadAssignment) ?? new Map<string, XdsResource>();
    const held = this.#subscriptions.get(TYPE_URL.clusterLoadAssignment)?.held;
    return [...wanted.values()].every((r) => held?.get(r.name) === r.version);
  }

  #respond(
    typeUrl: string,
    subscription: Subscription,
    what: 'all' | 'updates',
    only?: ReadonlySet<string>,
  ): void {
    const snapshot = this.snapshot!;
    const current = snapshot.types.get(typeUrl) ?? new Map<string, XdsResource>();
    const lookup = (name: string) =>
      current.get(name) ??
      (typeUrl === TYPE_URL.listener ? snapshot.namedOnlyListeners.get(name) : undefined);
    const wanted: XdsResource[] = subscription.wildcard ? [...current.values()] : [];
    for (const name of subscription.names) {
      const resource = lookup(name);
      if (resource !== undefined && !(subscription.wildcard && current.has(name))) wanted.push(resource);
    }
    const changed = wanted.filter(
      (r) => subscription.held.get(r.name) !== r.version && (only === undefined || only.has(r.name)),
    );
    const wantedNames = new Set(wanted.map((r) => r.name));
    const removed =
      what === 'all'
        ? [...subscription.held.keys()].filter((name) => !wantedNames.has(name) && lookup(name) === undefined)
        : [];
    if (changed.length === 0 && removed.length === 0 && subscription.answered) return;
    subscription.answered = true;
    for (const resource of changed) subscription.held.set(resource.name, resource.version);
    for (const name of removed) subscription.held.delete(name);
    const nonce = this.sending(typeUrl);
    this.#call.write({
      system_version_info: String(snapshot.revision),
      resources: changed.map((r) => ({ name: r.name, version: r.version, resource: r.any })),
      type_url: typeUrl,
      removed_resources: removed,
      nonce,
    });
  }
}
