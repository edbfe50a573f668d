// Raw HTTP over a TCP socket, for what an HTTP library will not send or hides: an HTTP/1.0 request, a request that
// stops half way (timeouts), a connection held open (idle timeouts, connection limits), the kernel's view of the
// server's end of a connection (TCP keepalive), and the exact header names on the wire.
import { readFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';

export interface RawConnection {
  readonly socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves once the peer has closed the connection (bounded by `timeoutMs`; rejects after it). */
  closed(timeoutMs?: number): Promise<void>;
  /** Resolves with what was received once `predicate` holds for it (bounded; rejects after it or on close). */
  until(predicate: (received: string) => boolean, timeoutMs?: number): Promise<string>;
  end(): void;
}

/** A TCP connection to 127.0.0.1:`port`, once established. */
export function rawConnect(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    let isClosed = false;
    const waiters = new Set<() => void>();
    const wake = () => {
      for (const waiter of [...waiters]) waiter();
    };
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString('latin1');
      wake();
    });
    socket.on('close', () => {
      isClosed = true;
      wake();
    });
    // A reset by the peer is a close too: what the tests look at.
    socket.on('error', () => undefined);
    const wait = <T>(check: () => T | undefined, what: string, timeoutMs: number) =>
      new Promise<T>((done, fail) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          fail(new Error(`${what} within ${timeoutMs} ms; received: ${JSON.stringify(data.slice(0, 300))}`));
        }, timeoutMs);
        const waiter = () => {
          let value: T | undefined;
          try {
            value = check();
          } catch (error) {
            waiters.delete(waiter);
            clearTimeout(timer);
            fail(error as Error);
            return;
          }
          if (value === undefined) return;
          waiters.delete(waiter);
          clearTimeout(timer);
          done(value);
        };
        waiters.add(waiter);
        waiter();
      });
    socket.once('connect', () =>
      resolve({
        socket,
        received: () => data,
        closed: (timeoutMs = 20_000) =>
          wait(() => (isClosed ? true : undefined), 'the peer did not close the connection', timeoutMs).then(
            () => undefined,
          ),
        until: (predicate, timeoutMs = 20_000) =>
          wait(
            () => {
              if (predicate(data)) return data;
              if (isClosed) throw new Error(`closed before the answer; received: ${JSON.stringify(data)}`);
              return undefined;
            },
            'no such answer',
            timeoutMs,
          ),
        end: () => socket.destroy(),
      }),
    );
    socket.once('error', reject);
  });
}

/** True once `received` holds a whole HTTP/1 response with a Content-Length body. */
export function completeResponse(received: string): boolean {
  const head = received.indexOf('\r\n\r\n');
  if (head < 0) return false;
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(received.slice(0, head));
  return length === null || received.length - head - 4 >= Number(length[1]);
}

/** The status code of the first response in `received`. */
export function statusOf(received: string): number {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
  if (match === null) throw new Error(`not an HTTP response: ${JSON.stringify(received.slice(0, 200))}`);
  return Number(match[1]);
}

/**
 * The kernel's timer on the server's end of a TCP connection over IPv4 loopback (from /proc/net/tcp, the `tr`
 * column): 0 none, 1 retransmission, 2 keepalive, 3 TIME_WAIT, 4 zero-window probe. `serverPort` is the port the
 * client connected to, `clientPort` the client's own.
 */
export async function serverSocketTimer(serverPort: number, clientPort: number): Promise<number | undefined> {
  const hex = (port: number) => port.toString(16).toUpperCase().padStart(4, '0');
  const table = await readFile('/proc/net/tcp', 'utf8');
  for (const line of table.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    const [local, remote, state, , timer] = [fields[1], fields[2], fields[3], fields[4], fields[5]];
    // State 01: ESTABLISHED.
    if (local?.endsWith(`:${hex(serverPort)}`) && remote?.endsWith(`:${hex(clientPort)}`) && state === '01')
      return Number.parseInt(timer?.split(':')[0] ?? '', 16);
  }
  return undefined;
}
