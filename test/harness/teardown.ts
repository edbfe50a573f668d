// What a harness started, stopped last first however far its start got: a part that fails to start leaves
// nothing behind, and one that fails to stop does not keep the others running.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class Teardown {
  readonly #steps: (() => Promise<unknown> | unknown)[] = [];

  /** Adds a step, run before the steps added earlier. */
  add(step: () => Promise<unknown> | unknown): void {
    this.#steps.push(step);
  }

  /** Runs every step once, last added first; a failing step does not stop the rest. */
  async run(): Promise<void> {
    for (const step of this.#steps.splice(0).reverse()) await Promise.resolve(step()).catch(() => {});
  }

  /** A new temporary folder `switchyard-<name>-…`, removed with everything in it. */
  async tempDir(name: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `switchyard-${name}-`));
    this.add(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }
}
