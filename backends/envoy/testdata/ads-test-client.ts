// A raw ADS client for the server's unit tests: sends requests by hand and awaits responses one at a time,
// so a test can play Envoy's part step by step (subscribe, ACK, NACK, reconnect).
import {
  type ChannelCredentials,
  type ClientDuplexStream,
  credentials,
  makeClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  aggregatedDiscoveryService,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
  type DiscoveryRequest,
  type DiscoveryResponse,
} from '../../../protos/index.ts';

type Stream<Req, Res> = ClientDuplexStream<Req, Res>;

export class AdsTestStream<Req, Res> {
  readonly #stream: Stream<Req, Res>;
  readonly #queue: Res[] = [];
  readonly #waiters: ((response: Res | Error) => void)[] = [];
  #error: Error | undefined;

  constructor(stream: Stream<Req, Res>) {
    this.#stream = stream;
    stream.on('data', (response: Res) => {
      const waiter = this.#waiters.shift();
      if (waiter === undefined) this.#queue.push(response);
      else waiter(response);
    });
    stream.on('error', (error: ServiceError) => {
      this.#error = error;
      for (const waiter of this.#waiters.splice(0)) waiter(error);
    });
  }

  send(request: Partial<Req>): void {
    this.#stream.write(request as Req);
  }

  /** The next response; rejects after `timeoutMs` or when the stream fails. */
  next(timeoutMs = 5_000): Promise<Res> {
    const queued = this.#queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.#error !== undefined) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(settle), 1);
        reject(new Error(`no ADS response within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = (value: Res | Error) => {
        clearTimeout(timer);
        if (value instanceof Error) reject(value);
        else resolve(value);
      };
      this.#waiters.push(settle);
    });
  }

  /** True when nothing arrives within `ms` (to check a push did not reach this stream). */
  async quietFor(ms: number): Promise<boolean> {
    if (this.#queue.length > 0) return false;
    return this.next(ms).then(
      (response) => {
        this.#queue.unshift(response);
        return false;
      },
      () => true,
    );
  }

  close(): void {
    this.#stream.cancel();
  }
}

export class AdsTestClient {
  readonly #client: InstanceType<ReturnType<typeof makeClientConstructor>>;

  constructor(
    address: string,
    channelCredentials: ChannelCredentials = credentials.createInsecure(),
    options = {},
  ) {
    const Client = makeClientConstructor(aggregatedDiscoveryService() as never, 'ads');
    this.#client = new Client(address, channelCredentials, options);
  }

  delta(): AdsTestStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse> {
    const method = (
      this.#client as unknown as Record<string, () => Stream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>>
    ).DeltaAggregatedResources!;
    return new AdsTestStream(method.call(this.#client));
  }

  sotw(): AdsTestStream<DiscoveryRequest, DiscoveryResponse> {
    const method = (
      this.#client as unknown as Record<string, () => Stream<DiscoveryRequest, DiscoveryResponse>>
    ).StreamAggregatedResources!;
    return new AdsTestStream(method.call(this.#client));
  }

  close(): void {
    this.#client.close();
  }
}
