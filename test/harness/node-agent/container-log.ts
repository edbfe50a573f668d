// A container's log as the kubelet keeps it: every line of stdout and stderr with the time it was written
// (`<RFC 3339 time> <stream> <line>`), so that `kubectl logs --since-time` and the API server's
// pods/log (served by kubelet-server.ts) can select lines by time.
import { appendFileSync, readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';

/** Appends each complete line of `stream` to `file`, timestamped; a last line without newline at the end. */
export function recordLines(stream: Readable, name: 'stdout' | 'stderr', file: string): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    if (lines.length === 0) return;
    const now = new Date().toISOString();
    appendFileSync(file, lines.map((line) => `${now} ${name} ${line}\n`).join(''));
  });
  stream.on('end', () => {
    if (partial !== '') appendFileSync(file, `${new Date().toISOString()} ${name} ${partial}\n`);
    partial = '';
  });
}

/** A note of the node agent's own in the log (container starts), not shown as container output. */
export function recordEvent(file: string, text: string): void {
  appendFileSync(file, `${new Date().toISOString()} event ${text}\n`);
}

export interface LogQuery {
  readonly sinceTime?: Date;
  readonly tailLines?: number;
  readonly timestamps?: boolean;
}

/** The container's output lines matching the query, as pods/log returns them. */
export function readLines(file: string, query: LogQuery = {}): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const lines: string[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\S+) (stdout|stderr) (.*)$/.exec(line);
    if (!match) continue;
    const [, time, , content] = match;
    if (query.sinceTime && new Date(time!).getTime() < query.sinceTime.getTime()) continue;
    lines.push(query.timestamps ? `${time} ${content}` : content!);
  }
  return query.tailLines === undefined ? lines : lines.slice(-query.tailLines);
}
