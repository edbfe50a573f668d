// The core of an incremental ADS stream (DeltaAggregatedResources), for every backend: per type, the names
// subscribed (or wildcard) and the version of each resource the proxy holds — from initial_resource_versions on a
// reconnect, then from what we sent. A response carries only changed resources and the names of removed ones.
// A backend decides which types are wildcard by default, what counts as its top-level type and how a push is
// ordered (Envoy: make-before-break stages; agentgateway: one response per type).
import type {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
} from '../../protos/aggregated-discovery-service.ts';
import { ProxySession } from './proxy-session.ts';
import type { Snapshot, XdsResource } from './snapshot.ts';

export interface DeltaSubscription {
  wildcard: boolean;
  names: Set<string>;
  /** Name → version the proxy holds (or is being sent). */
  held: Map<string, string>;
  /** What it held at its last ACK. */
  accepted: Map<string, string>;
  /** The first response for a type goes out even when empty: the proxy waits for it to initialise. */
  answered: boolean;
}

/** 'all': the type's changes and removals; 'updates': only new and changed resources. */
export type DeltaResponse = 'all' | 'updates';

export abstract class DeltaSessionCore<S extends Snapshot> extends ProxySession<S, DeltaDiscoveryResponse> {
  readonly #subscriptions = new Map<string, DeltaSubscription>();

  /** Whether a first request for the type that names no resources subscribes to all of them. */
  protected abstract wildcardByDefault(typeUrl: string): boolean;

  /** A resource served only to proxies that ask for it by name (not part of the wildcard set). */
  protected namedOnly(_typeUrl: string, _name: string): XdsResource | undefined {
    return undefined;
  }

  request(request: DeltaDiscoveryRequest): void {
    const typeUrl = request.type_url;
    let subscription = this.#subscriptions.get(typeUrl);
    const opened = subscription === undefined;
    if (subscription === undefined) {
      subscription = {
        wildcard: this.wildcardByDefault(typeUrl) && request.resource_names_subscribe.length === 0,
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
    // what the proxy already holds go out only with a push, in the backend's order.
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

  acceptedCounts(): Record<string, number> {
    return Object.fromEntries([...this.#subscriptions].map(([typeUrl, s]) => [typeUrl, s.accepted.size]));
  }

  protected holdsInSnapshot(typeUrl: string, name: string): boolean {
    return this.snapshot?.types.get(typeUrl)?.has(name) ?? false;
  }

  /** A resource the proxy dropped is not held: the next push sends it again (and hears its refusal again). */
  protected override droppedResources(typeUrl: string, names: readonly string[]): void {
    const subscription = this.#subscriptions.get(typeUrl);
    for (const name of names) {
      subscription?.held.delete(name);
      subscription?.accepted.delete(name);
    }
  }

  /** The proxy's subscription to a type, if it has asked for it. */
  protected subscription(typeUrl: string): Readonly<DeltaSubscription> | undefined {
    return this.#subscriptions.get(typeUrl);
  }

  /** The types the proxy has asked for, in the order it asked. */
  protected subscribedTypes(): string[] {
    return [...this.#subscriptions.keys()];
  }

  /** Sends a type's changes (and with 'all', its removals) if the proxy subscribes to it. */
  protected respondIfSubscribed(typeUrl: string, what: DeltaResponse): void {
    const subscription = this.#subscriptions.get(typeUrl);
    if (subscription !== undefined) this.#respond(typeUrl, subscription, what);
  }

  #respond(
    typeUrl: string,
    subscription: DeltaSubscription,
    what: DeltaResponse,
    only?: ReadonlySet<string>,
  ): void {
    const snapshot = this.snapshot!;
    const current = snapshot.types.get(typeUrl) ?? new Map<string, XdsResource>();
    const lookup = (name: string) => current.get(name) ?? this.namedOnly(typeUrl, name);
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
    const nonce = this.sending(typeUrl, [...changed.map((r) => r.name), ...removed]);
    this.write({
      system_version_info: String(snapshot.revision),
      resources: changed.map((r) => ({ name: r.name, version: r.version, resource: r.any })),
      type_url: typeUrl,
      removed_resources: removed,
      nonce,
    });
  }
}
