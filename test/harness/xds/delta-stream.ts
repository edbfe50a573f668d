// One incremental (delta) ADS stream: per type URL, the subscribed names (or wildcard) and the version of
// each resource the client holds. Responses carry only changed resources and the names that went away.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse } from '../../../protos/index.ts';
import { classifyRequest } from './exchange-log.ts';
import { openStream, type StreamContext } from './stream-context.ts';

interface Subscription {
  wildcard: boolean;
  names: Set<string>;
  /** Resource name → version the client holds (as far as we sent or it told us). */
  held: Map<string, string>;
  answered: boolean;
  nonce?: string;
}

export function serveDeltaStream(
  call: ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>,
  context: StreamContext,
): void {
  const { store } = context;
  const respond = (typeUrl: string, subscription: Subscription) => {
    const version = store.version(typeUrl);
    if (version === undefined || open.closed()) return;
    const current = store.resources(typeUrl);
    const wanted = (name: string) => subscription.wildcard || subscription.names.has(name);
    const changed = [...current.values()].filter(
      (resource) => wanted(resource.name) && subscription.held.get(resource.name) !== resource.version,
    );
    const removed = [...subscription.held.keys()].filter((name) => !current.has(name));
    // The first answer for a type goes out even when empty: Envoy waits for it before going live.
    if (changed.length === 0 && removed.length === 0 && subscription.answered) return;
    for (const resource of changed) subscription.held.set(resource.name, resource.version);
    for (const name of removed) subscription.held.delete(name);
    const nonce = context.nextNonce();
    subscription.answered = true;
    subscription.nonce = nonce;
    call.write({
      system_version_info: version,
      resources: changed.map((r) => ({ name: r.name, version: r.version, resource: r.any })),
      type_url: typeUrl,
      removed_resources: removed,
      nonce,
    });
    open.record({
      typeUrl,
      kind: 'response',
      version,
      nonce,
      names: changed.map((r) => r.name),
      removed,
    });
  };

  const open = openStream<Subscription, DeltaDiscoveryRequest, DeltaDiscoveryResponse>(
    call,
    context,
    'delta',
    respond,
  );
  const { subscriptions } = open;

  call.on('data', (request: DeltaDiscoveryRequest) => {
    open.node(request.node?.id);
    const typeUrl = request.type_url;
    let subscription = subscriptions.get(typeUrl);
    if (subscription === undefined) {
      // A first request that names nothing subscribes to everything (legacy wildcard).
      const wildcard = request.resource_names_subscribe.length === 0;
      const held = new Map(Object.entries(request.initial_resource_versions));
      subscription = { wildcard, names: new Set(), held, answered: false };
      subscriptions.set(typeUrl, subscription);
    }
    for (const name of request.resource_names_subscribe) {
      if (name === '*') subscription.wildcard = true;
      else subscription.names.add(name);
    }
    for (const name of request.resource_names_unsubscribe) {
      if (name === '*') subscription.wildcard = false;
      subscription.names.delete(name);
      subscription.held.delete(name);
    }
    const answered = request.response_nonce;
    const kind = classifyRequest(answered, subscription.nonce, request.error_detail !== null);
    open.record({
      typeUrl,
      kind,
      version: '',
      nonce: answered,
      names: request.resource_names_subscribe,
      removed: request.resource_names_unsubscribe,
      ...(request.error_detail === null ? {} : { error: request.error_detail.message }),
    });
    respond(typeUrl, subscription);
  });
}
