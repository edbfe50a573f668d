// A state-of-the-world ADS stream (StreamAggregatedResources): per type, the names asked for (none = all for
// Listeners and Clusters), the version last sent. Every response carries the full set for its type, so
// make-before-break keeps Clusters that are going away in the set until the new Listeners and routes are
// ACKed, then sends the final set.
import {
  type DiscoveryRequest,
  type DiscoveryResponse,
  RATELIMIT_CONFIG_TYPE_URL,
  TYPE_URL,
} from '../../protos/index.ts';
import { ProxySession } from '../shared/proxy-session.ts';
import {
  envoyResourceJson,
  setVersion,
  WILDCARD_TYPES,
  type XdsResource,
  type XdsSnapshot,
} from './xds-snapshot.ts';

interface Subscription {
  names: ReadonlySet<string>;
  wildcard: boolean;
  /** version_info of the last response. */
  sentVersion?: string;
  /** What the proxy holds (or is being sent) of this type, by name. */
  held: Map<string, XdsResource>;
  /** What it held at its last ACK, and that response's version. */
  accepted: Map<string, XdsResource>;
  acceptedVersion?: string;
}

export class SotwSession extends ProxySession<XdsSnapshot, DiscoveryResponse> {
  readonly #subscriptions = new Map<string, Subscription>();

  protected resourceJson(resource: XdsResource): unknown {
    return envoyResourceJson(resource);
  }

  request(request: DiscoveryRequest): void {
    const typeUrl = request.type_url;
    const existing = this.#subscriptions.get(typeUrl);
    const answer = this.answered(typeUrl, request.response_nonce, request.error_detail?.message ?? undefined);
    if (answer === 'stale' && existing !== undefined) return;
    const names = new Set(request.resource_names.filter((n) => n !== '*'));
    const wildcard =
      WILDCARD_TYPES.has(typeUrl) && (names.size === 0 || request.resource_names.includes('*'));
    const subscription = existing ?? { names, wildcard, held: new Map(), accepted: new Map() };
    const namesChanged =
      existing === undefined || !sameNames(existing.names, names) || existing.wildcard !== wildcard;
    subscription.names = names;
    subscription.wildcard = wildcard;
    this.#subscriptions.set(typeUrl, subscription);
    // A changed subscription is answered with what the proxy holds plus the new names: changes to what it
    // holds go out only with a push, in make-before-break order. A subscription to no names at all (Envoy
    // dropping its last cluster's endpoints) is not answered: Envoy has no watch left to ACK the response with.
    const toNothing = !wildcard && names.size === 0;
    if (namesChanged && toNothing) subscription.held = new Map();
    if (namesChanged && !toNothing && this.snapshot !== undefined)
      this.#respond(typeUrl, subscription, false, true);
    else if (answer === 'ack') this.settle();
  }

  protected answeredType(typeUrl: string, accepted: boolean): void {
    const subscription = this.#subscriptions.get(typeUrl);
    if (subscription === undefined) return;
    if (accepted) {
      subscription.accepted = subscription.held;
      subscription.acceptedVersion = subscription.sentVersion;
    } else {
      subscription.held = subscription.accepted;
      subscription.sentVersion = subscription.acceptedVersion;
    }
  }

  /** An Envoy's top-level type is Listeners; the rate limit service takes only its configurations. */
  protected subscribedToListeners(): boolean {
    return this.#subscriptions.has(TYPE_URL.listener) || this.#subscriptions.has(RATELIMIT_CONFIG_TYPE_URL);
  }

  acceptedCounts(): Record<string, number> {
    return Object.fromEntries([...this.#subscriptions].map(([typeUrl, s]) => [typeUrl, s.accepted.size]));
  }

  /** Envoy refuses whole responses, never single resources: no refusal outlives its response. */
  protected holdsInSnapshot(): boolean {
    return false;
  }

  push(snapshot: XdsSnapshot): void {
    this.snapshot = snapshot;
    // Clusters (keeping those going away), their endpoints and secrets; then, once the proxy holds every
    // endpoint set, listeners; once they are taken, routes (never beside a refused listener, see delta-stream.ts);
    // then the final cluster set.
    for (const typeUrl of [TYPE_URL.secret, TYPE_URL.cluster, TYPE_URL.clusterLoadAssignment]) {
      this.#respondIfSubscribed(typeUrl, true);
    }
    this.#respondIfSubscribed(RATELIMIT_CONFIG_TYPE_URL, false);
    this.stagesAfterThis([
      {
        ready: () => this.#holdsEveryEndpointSet(),
        send: () => this.#respondIfSubscribed(TYPE_URL.listener, false),
      },
      { ready: () => true, send: () => this.#respondIfSubscribed(TYPE_URL.routeConfiguration, false) },
      { ready: () => true, send: () => this.#respondIfSubscribed(TYPE_URL.cluster, false) },
    ]);
    this.settle();
  }

  #respondIfSubscribed(typeUrl: string, keepHeld: boolean): void {
    const subscription = this.#subscriptions.get(typeUrl);
    if (subscription !== undefined) this.#respond(typeUrl, subscription, keepHeld);
  }

  /** An Envoy subscribed to every cluster must hold each one's current endpoints before routes point at it. */
  #holdsEveryEndpointSet(): boolean {
    if (this.#subscriptions.get(TYPE_URL.cluster)?.wildcard !== true) return true;
    const wanted = this.snapshot?.types.get(TYPE_URL.clusterLoadAssignment) ?? new Map<string, XdsResource>();
    const held = this.#subscriptions.get(TYPE_URL.clusterLoadAssignment)?.held;
    return [...wanted.values()].every((r) => held?.get(r.name)?.version === r.version);
  }

  /** Sends the type's set if it changed; `keepHeld` keeps resources going away. True when some were kept. */
  #respond(typeUrl: string, subscription: Subscription, keepHeld: boolean, preferHeld = false): boolean {
    const snapshot = this.snapshot;
    if (snapshot === undefined) return false;
    const current = snapshot.types.get(typeUrl) ?? new Map<string, XdsResource>();
    const chosen = new Map<string, XdsResource>();
    if (subscription.wildcard) {
      for (const resource of current.values()) chosen.set(resource.name, resource);
    } else {
      for (const name of subscription.names) {
        const resource =
          (preferHeld ? subscription.held.get(name) : undefined) ??
          current.get(name) ??
          (typeUrl === TYPE_URL.listener ? snapshot.namedOnlyListeners.get(name) : undefined) ??
          (keepHeld ? subscription.held.get(name) : undefined);
        if (resource !== undefined) chosen.set(name, resource);
      }
    }
    let kept = false;
    if (keepHeld && subscription.wildcard) {
      for (const [name, resource] of subscription.held) {
        if (!chosen.has(name)) {
          chosen.set(name, resource);
          kept = true;
        }
      }
    }
    const resources = [...chosen.values()];
    const version = setVersion(resources);
    if (version === subscription.sentVersion) return kept;
    subscription.sentVersion = version;
    subscription.held = chosen;
    const nonce = this.sending(typeUrl);
    this.write({
      version_info: version,
      resources: resources.map((r) => r.any),
      type_url: typeUrl,
      nonce,
    });
    return kept;
  }
}

function sameNames(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((name) => b.has(name));
}
