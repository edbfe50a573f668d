// What a test ADS server saw and sent, in order: requests, ACKs, NACKs and responses per stream and type.

export type ExchangeKind = 'request' | 'ack' | 'nack' | 'stale' | 'response';

export interface XdsExchange {
  /** 1, 2, … in the order streams were opened. */
  stream: number;
  protocol: 'sotw' | 'delta';
  nodeId: string;
  typeUrl: string;
  kind: ExchangeKind;
  /** SotW: version_info of the request or response; delta: system_version_info of a response. */
  version: string;
  /** The response's nonce, or the nonce a request answers. */
  nonce: string;
  /** Requested (SotW), subscribed (delta request) or sent (response) resource names. */
  names: string[];
  /** Delta only: names unsubscribed by a request or removed by a response. */
  removed: string[];
  /** The NACK's error_detail message. */
  error?: string;
}

/** What a request says about the response it answers (by nonce): none yet, accepted, rejected, or an older one. */
export function classifyRequest(
  answeredNonce: string,
  lastNonce: string | undefined,
  rejected: boolean,
): ExchangeKind {
  if (answeredNonce === '') return 'request';
  if (answeredNonce !== lastNonce) return 'stale';
  return rejected ? 'nack' : 'ack';
}

export interface WaitOptions {
  since?: number;
  timeoutMs?: number;
}

interface Waiter {
  predicate: (exchange: XdsExchange) => boolean;
  resolve: (exchange: XdsExchange) => void;
}

export class ExchangeLog {
  readonly exchanges: XdsExchange[] = [];
  readonly #waiters = new Set<Waiter>();

  record(exchange: XdsExchange): void {
    this.exchanges.push(exchange);
    for (const waiter of this.#waiters) {
      if (!waiter.predicate(exchange)) continue;
      this.#waiters.delete(waiter);
      waiter.resolve(exchange);
    }
  }

  /**
   * Resolves with the first matching exchange, already seen or still to come; `since` (a length of
   * `exchanges` taken earlier) skips what came before it.
   */
  waitFor(
    predicate: (exchange: XdsExchange) => boolean,
    { since = 0, timeoutMs = 30_000 }: WaitOptions = {},
  ): Promise<XdsExchange> {
    const seen = this.exchanges.slice(since).find(predicate);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`no matching xDS exchange within ${timeoutMs} ms; seen:\n${this.describe()}`));
      }, timeoutMs);
      const waiter: Waiter = {
        predicate,
        resolve: (exchange) => {
          clearTimeout(timer);
          resolve(exchange);
        },
      };
      this.#waiters.add(waiter);
    });
  }

  /** One line per exchange, for failure messages. */
  describe(): string {
    return this.exchanges
      .map((e) => {
        const type = e.typeUrl.slice(e.typeUrl.lastIndexOf('.') + 1);
        const error = e.error === undefined ? '' : ` error=${JSON.stringify(e.error)}`;
        return `#${e.stream} ${e.protocol} ${e.nodeId} ${type} ${e.kind} v=${e.version} n=${e.nonce} [${e.names.join(',')}]${error}`;
      })
      .join('\n');
  }
}
