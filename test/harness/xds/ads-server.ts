// A minimal ADS server for tests: serves resources a test sets (proto3 JSON per type URL) over both
// state-of-the-world and delta streams on 127.0.0.1, and logs every request, ACK, NACK and response.
import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import {
  aggregatedDiscoveryService,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type DiscoveryRequest,
  type DiscoveryResponse,
} from '../../../protos/index.ts';
import { serveDeltaStream } from './delta-stream.ts';
import { ExchangeLog, type WaitOptions, type XdsExchange } from './exchange-log.ts';
import { ResourceStore } from './resource-store.ts';
import { serveSotwStream } from './sotw-stream.ts';
import type { StreamContext } from './stream-context.ts';

export interface AdsServer {
  /** host:port to give a client. */
  readonly address: string;
  readonly port: number;
  readonly log: ExchangeLog;
  /** Replaces every resource of a type and pushes the change to subscribed streams; returns the new version. */
  setResources(typeUrl: string, resources: Readonly<Record<string, unknown>>): string;
  /** Resolves with the first matching exchange (seen, or since `since`, or to come); rejects after the timeout. */
  waitFor(predicate: (exchange: XdsExchange) => boolean, options?: WaitOptions): Promise<XdsExchange>;
  stop(): Promise<void>;
}

export async function startAdsServer(): Promise<AdsServer> {
  const store = new ResourceStore();
  const log = new ExchangeLog();
  let streams = 0;
  let nonces = 0;
  const context = (): StreamContext => ({ stream: ++streams, store, log, nextNonce: () => String(++nonces) });

  const server = new Server();
  server.addService(aggregatedDiscoveryService(), {
    StreamAggregatedResources: (call: ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) =>
      serveSotwStream(call, context()),
    DeltaAggregatedResources: (call: ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>) =>
      serveDeltaStream(call, context()),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  return {
    address: `127.0.0.1:${port}`,
    port,
    log,
    setResources: (typeUrl, resources) => store.set(typeUrl, resources),
    waitFor: (predicate, options) => log.waitFor(predicate, options),
    stop: async () => {
      server.forceShutdown(); // cancels open streams: a connected Envoy would keep a graceful shutdown waiting
    },
  };
}
