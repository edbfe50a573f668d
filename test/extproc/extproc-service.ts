// `switchyard extproc` in the test's process, as production runs it: on the configuration file the controller
// writes, once that file holds what the test expects, until the test stops it.
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import { type ExtProcConfig, loadExtProcConfig, runExtProc } from '../../dataplane/extproc/index.ts';
import { eventually } from '../harness/eventually.ts';

export interface RunningExtProc {
  stop(): Promise<void>;
}

/** Waits for `configPath` to satisfy `ready`, then serves it on `listen`; resolves once the service listens. */
export async function startExtProcService(options: {
  readonly listen: string;
  readonly configPath: string;
  readonly logger: Logger;
  readonly ready: (config: ExtProcConfig) => boolean;
}): Promise<RunningExtProc> {
  await eventually(
    'the ext_proc configuration',
    () =>
      (existsSync(options.configPath) && options.ready(loadExtProcConfig(options.configPath))) || undefined,
  );
  let stop: () => void = () => {};
  const stopRequested = new Promise<void>((resolve) => {
    stop = resolve;
  });
  let listening: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    listening = resolve;
  });
  const done = runExtProc({
    listen: options.listen,
    configPath: options.configPath,
    logger: options.logger,
    stopRequested,
    onListening: () => listening(),
  });
  await Promise.race([started, done]);
  return {
    async stop() {
      stop();
      await done.catch(() => {});
    },
  };
}
