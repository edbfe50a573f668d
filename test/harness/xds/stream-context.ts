// What every ADS stream of a test server shares: its number, the resources, the log and the nonce source; and
// the life of one stream, whatever its protocol (`openStream`): the node it speaks for, the exchanges it logs,
// an answer to every change of a type it subscribed to, and the end of all that when the call ends.
import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { ExchangeLog, XdsExchange } from './exchange-log.ts';
import type { ResourceStore } from './resource-store.ts';

export interface StreamContext {
  stream: number;
  store: ResourceStore;
  log: ExchangeLog;
  nextNonce: () => string;
}

/** One open stream of either protocol, with its subscriptions by type URL. */
export interface OpenStream<S> {
  readonly subscriptions: Map<string, S>;
  readonly closed: () => boolean;
  /** Notes the node a request names (requests after the first may leave it out). */
  node(id: string | undefined): void;
  /** Logs one exchange of this stream, with its protocol and node. */
  record(exchange: Omit<XdsExchange, 'stream' | 'protocol' | 'nodeId'>): void;
}

/**
 * Starts following `call`: `respond` runs for a subscribed type whenever the store changes it, until the call
 * ends, errs or is cancelled. The protocol's own request handling goes on `call`'s 'data' event.
 */
export function openStream<S, Req, Res>(
  call: ServerDuplexStream<Req, Res>,
  context: StreamContext,
  protocol: XdsExchange['protocol'],
  respond: (typeUrl: string, subscription: S) => void,
): OpenStream<S> {
  const subscriptions = new Map<string, S>();
  let nodeId = '';
  let closed = false;
  const unsubscribe = context.store.onChange((typeUrl) => {
    const subscription = subscriptions.get(typeUrl);
    if (subscription !== undefined && !closed) respond(typeUrl, subscription);
  });
  const close = () => {
    closed = true;
    unsubscribe();
  };
  call.on('end', () => {
    close();
    call.end();
  });
  call.on('error', close);
  call.on('cancelled', close);
  return {
    subscriptions,
    closed: () => closed,
    node: (id) => {
      nodeId = id || nodeId;
    },
    record: (exchange) => context.log.record({ stream: context.stream, protocol, nodeId, ...exchange }),
  };
}
