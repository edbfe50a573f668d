// Requests in a loop while a test changes the configuration: bounded in count and time, records who answered.
import { answeredBy, type HttpOptions } from './http-client.ts';

export interface TrafficLoop {
  /** Stops the loop and resolves with every answer in order (backend name or `<status>`/`<error>`). */
  stop(): Promise<string[]>;
  /** Resolves once `count` answers were seen. */
  answered(count: number): Promise<void>;
}

export function startTrafficLoop(
  port: number,
  path: string,
  options: HttpOptions,
  maxRequests = 2_000,
): TrafficLoop {
  const answers: string[] = [];
  let stopped = false;
  const deadline = Date.now() + 60_000;
  const loop = (async () => {
    while (!stopped && answers.length < maxRequests && Date.now() < deadline) {
      answers.push(await answeredBy(port, path, options).catch((error: Error) => `<error ${error.message}>`));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return answers;
    },
    answered: async (count) => {
      while (answers.length < count && !stopped && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    },
  };
}
