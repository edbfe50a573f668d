// Vitest global setup of the whole run (both projects): the temporary files of the run's tests, and of every process
// they start, go into one folder of the run's own (TMPDIR, which os.tmpdir() and the spawned commands read),
// removed when the run ends. Each test still removes what it can; this catches the rest — a temporary folder per
// spawned command, per fixture, per failed test — which piled up in the system's temporary folder by thousands.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const folder = mkdtempSync(join(tmpdir(), 'switchyard-tests-'));
  // As the system's: processes of other users (the node agent's pods) reach the folders made inside it.
  chmodSync(folder, 0o1777);
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = folder;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    rmSync(folder, { recursive: true, force: true });
  };
}
