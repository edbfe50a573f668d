// A child's output as whole lines. A pipe hands output over in pieces that may end mid-line (a long access-log
// line, under load), and stdout and stderr interleave: each stream keeps its unfinished line until the rest
// arrives (readline does), so a line is never cut in two nor spliced with the other stream's.

import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export function collectOutputLines(outputs: readonly Readable[], keep: (line: string) => void): void {
  for (const input of outputs)
    createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) =>
      keep(line.trimEnd()),
    );
}
