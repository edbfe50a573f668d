// An HTTP backend whose answers a test scripts (status and delay per request), for timeouts and retries;
// it counts what reached it. Delays are bounded by the test; close() ends pending answers.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ScriptedAnswer {
  readonly status: number;
  readonly delayMs?: number;
}

export interface ScriptedBackend {
  readonly port: number;
  /** Requests seen so far. */
  readonly count: () => number;
  close(): Promise<void>;
}

/** Answers the n-th request (from 0) with `script(n)`. */
export async function startScriptedBackend(script: (n: number) => ScriptedAnswer): Promise<ScriptedBackend> {
  let seen = 0;
  const pending = new Set<{ timer: NodeJS.Timeout; response: ServerResponse }>();
  const server = createServer((request, response) => {
    const answer = script(seen++);
    request.resume();
    const entry = {
      response,
      timer: setTimeout(() => {
        pending.delete(entry);
        response.writeHead(answer.status, { 'content-type': 'text/plain' }).end(`answered ${answer.status}`);
      }, answer.delayMs ?? 0),
    };
    pending.add(entry);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    count: () => seen,
    close: () =>
      new Promise((resolve) => {
        for (const entry of pending) {
          clearTimeout(entry.timer);
          entry.response.destroy();
        }
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
