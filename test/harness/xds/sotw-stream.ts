// One state-of-the-world ADS stream: per type URL, the names the client asked for and the version and
// nonce last sent. A response goes out when the subscription or the type's version changes; an ACK or
// NACK of the last nonce is recorded, a request answering an older nonce is stale and ignored.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { DiscoveryRequest, DiscoveryResponse } from '../../../protos/index.ts';
import { classifyRequest } from './exchange-log.ts';
import { openStream, type StreamContext } from './stream-context.ts';

interface Subscription {
  /** Empty means every resource of the type (wildcard). */
  names: Set<string>;
  sentVersion?: string;
  nonce?: string;
}

export function serveSotwStream(
  call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>,
  context: StreamContext,
): void {
  const { store } = context;
  const respond = (typeUrl: string, subscription: Subscription) => {
    const version = store.version(typeUrl);
    if (version === undefined || open.closed()) return;
    const resources = [...store.resources(typeUrl).values()].filter(
      (resource) => subscription.names.size === 0 || subscription.names.has(resource.name),
    );
    const nonce = context.nextNonce();
    subscription.sentVersion = version;
    subscription.nonce = nonce;
    call.write({ version_info: version, resources: resources.map((r) => r.any), type_url: typeUrl, nonce });
    open.record({
      typeUrl,
      kind: 'response',
      version,
      nonce,
      names: resources.map((r) => r.name),
      removed: [],
    });
  };

  const open = openStream<Subscription, DiscoveryRequest, DiscoveryResponse>(call, context, 'sotw', respond);
  const { subscriptions } = open;

  call.on('data', (request: DiscoveryRequest) => {
    open.node(request.node?.id);
    const typeUrl = request.type_url;
    const subscription = subscriptions.get(typeUrl) ?? { names: new Set<string>() };
    subscriptions.set(typeUrl, subscription);
    const answered = request.response_nonce;
    const kind = classifyRequest(answered, subscription.nonce, request.error_detail !== null);
    open.record({
      typeUrl,
      kind,
      version: request.version_info,
      nonce: answered,
      names: request.resource_names,
      removed: [],
      ...(request.error_detail === null ? {} : { error: request.error_detail.message }),
    });
    if (kind === 'stale') return;
    const names = new Set(request.resource_names);
    const namesChanged = !sameSet(names, subscription.names);
    subscription.names = names;
    // A NACK keeps the rejected version: resend only when the test sets new resources or names change.
    if (namesChanged || subscription.sentVersion !== store.version(typeUrl)) respond(typeUrl, subscription);
  });
}

function sameSet(a: ReadonlySet<string>, b: ReadonlySet<string>): boolean {
  return a.size === b.size && [...a].every((name) => b.has(name));
}
