// One fuzz case of the files-mode controller in a worker thread of its own, with a bounded heap: a case that needs
// more memory than the bound ends the worker (V8 stops it at the limit; no clock is involved) instead of growing the
// test process. The worker runs the plane on the case's files, puts the good world back, and reports what the test
// asserts on: the problems it listed, and its state against a fresh start on the good world.
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { loadCrdValidator } from '../../sources/files/crd-validation/load-crds.ts';
import { freshState, type PlaneState, planeState, startAnnounced } from '../harness/plane-state.ts';

export interface ControllerCase {
  /** The directory holding the case's files. */
  readonly dir: string;
  /** The files the user puts back (name → text) after removing the case's. */
  readonly good: Readonly<Record<string, string>>;
  /** CRD files to check objects against (as `--crds`); none: no CRDs. */
  readonly crdPaths: readonly string[];
}

export type ControllerCaseOutcome =
  | {
      readonly kind: 'done';
      /** The problems listed while the case's files were in place, as `origin: message`. */
      readonly problems: readonly { readonly origin: string; readonly message: string }[];
      readonly afterGood: PlaneState;
      readonly fresh: PlaneState;
    }
  | { readonly kind: 'out-of-memory' }
  | { readonly kind: 'failed'; readonly error: string };

/** Runs the case in a worker whose old generation is bounded to `heapMiB`. */
export function runControllerCase(input: ControllerCase, heapMiB: number): Promise<ControllerCaseOutcome> {
  return new Promise((resolve) => {
    const worker = new Worker(new URL(import.meta.url), {
      workerData: input,
      resourceLimits: { maxOldGenerationSizeMb: heapMiB, maxYoungGenerationSizeMb: 16 },
      stdout: true,
      stderr: true,
    });
    let outcome: ControllerCaseOutcome | undefined;
    worker.on('message', (message: ControllerCaseOutcome) => {
      outcome = message;
    });
    worker.on('error', (error: Error & { code?: string }) => {
      outcome ??=
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? { kind: 'out-of-memory' }
          : { kind: 'failed', error: error.stack ?? error.message };
    });
    worker.on('exit', (code) => {
      resolve(outcome ?? { kind: 'failed', error: `the worker exited with code ${code} and no outcome` });
    });
  });
}

async function runInWorker(input: ControllerCase): Promise<ControllerCaseOutcome> {
  const crds = input.crdPaths.length === 0 ? undefined : await loadCrdValidator(input.crdPaths);
  const running = await startAnnounced(input.dir, crds);
  try {
    const problems = running.plane.problems.map(({ origin, message }) => ({ origin, message }));
    // The user fixes the files: the good world, and the extra files removed.
    const changed = readdirSync(input.dir).map((name) => join(input.dir, name));
    for (const path of changed) rmSync(path);
    for (const [name, text] of Object.entries(input.good)) writeFileSync(join(input.dir, name), text);
    await running.announce(
      [...new Set([...changed, ...Object.keys(input.good).map((name) => join(input.dir, name))])].sort(),
    );
    return {
      kind: 'done',
      problems,
      afterGood: planeState(running.plane),
      fresh: await freshState(input.dir, crds),
    };
  } finally {
    await running.stop();
  }
}

if (!isMainThread && parentPort !== null) {
  const port = parentPort;
  runInWorker(workerData as ControllerCase).then(
    (outcome) => port.postMessage(outcome),
    (error: unknown) =>
      port.postMessage({
        kind: 'failed',
        error: (error as Error).stack ?? String(error),
      } satisfies ControllerCaseOutcome),
  );
}
