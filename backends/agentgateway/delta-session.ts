// One agentgateway proxy's delta ADS stream. Per type, the names subscribed (or wildcard) and the version of each
// resource the proxy holds — from initial_resource_versions on a reconnect, then from what we sent. A push carries
// only changed resources and the names of removed ones, in one response per type; agentgateway resolves the
// references between resources (Route → Listener → Bind, Route → Backend) itself, so there is no ordering to keep.
// Nonces, ACK/NACK and revision reporting come from the Envoy backend's ProxySession.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { ResourceKey } from '../../model/resource-key.ts';
import { AGENTGATEWAY_TYPE_URL } from '../../protos/agentgateway-api.ts';
import type {
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
} from '../../protos/aggregated-discovery-service.ts';
import { ProxySession, type Report } from '../envoy/proxy-session.ts';
import type { AgentgatewaySnapshot, XdsResource } from './snapshot.ts';

interface Subscription {
  wildcard: boolean;
  names: Set<string>;
  /** Name → version the proxy holds (or is being sent). */
  held: Map<string, string>;
  /** What it held at its last ACK. */
  accepted: Map<string, string>;
  /** The first response for a type goes out even when empty, so the proxy knows it is initialised. */
  answered: boolean;
}

export class AgentgatewayDeltaSession extends ProxySession<AgentgatewaySnapshot> {
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
      subscription = {
        // agentgateway subscribes to its resources as a whole: an empty first subscribe list is a wildcard.
        wildcard: request.resource_names_subscribe.length === 0,
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
    if (this.snapshot !== undefined && answer !== 'nack') {
      if (opened) this.#respond(typeUrl, subscription);
      else if (added.size > 0) this.#respond(typeUrl, subscription, added);
    }
    if (answer === 'ack') this.settle();
  }

  protected answeredType(typeUrl: string, accepted: boolean): void {
    const subscription = this.#subscriptions.get(typeUrl);
    if (subscription === undefined) return;
    if (accepted) subscription.accepted = new Map(subscription.held);
    else subscription.held = new Map(subscription.accepted);
  }

  /** A proxy has taken a revision once it subscribed to agentgateway resources and ACKed them. */
  protected subscribedToListeners(): boolean {
    return this.#subscriptions.has(AGENTGATEWAY_TYPE_URL.resource);
  }

  push(snapshot: AgentgatewaySnapshot): void {
    this.snapshot = snapshot;
    for (const [typeUrl, subscription] of this.#subscriptions) this.#respond(typeUrl, subscription);
    this.settle();
  }

  #respond(typeUrl: string, subscription: Subscription, only?: ReadonlySet<string>): void {
    const snapshot = this.snapshot!;
    const current = snapshot.types.get(typeUrl) ?? new Map<string, XdsResource>();
    const wanted: XdsResource[] = subscription.wildcard ? [...current.values()] : [];
    for (const name of subscription.names) {
      const resource = current.get(name);
      if (resource !== undefined && !(subscription.wildcard && current.has(name))) wanted.push(resource);
    }
    const changed = wanted.filter(
      (r) => subscription.held.get(r.name) !== r.version && (only === undefined || only.has(r.name)),
    );
    const removed =
      only === undefined ? [...subscription.held.keys()].filter((name) => !current.has(name)) : [];
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
