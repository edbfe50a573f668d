import { PassThrough } from 'node:stream';
import { expect, test } from 'vitest';
import { collectOutputLines } from './output-lines.ts';

test('lines cut across pieces of output, and interleaved with the other stream, come out whole', async () => {
  const [stdout, stderr] = [new PassThrough(), new PassThrough()];
  const lines: string[] = [];
  collectOutputLines([stdout, stderr], (line) => lines.push(line));
  stdout.write('{"path":"/v1/chat/com');
  stderr.write('[info] starting\n');
  stdout.write('pletions","status":200}\n{"status":');
  stdout.end('503}');
  stderr.end();
  await new Promise((resolve) => setImmediate(resolve));
  expect(lines).toEqual([
    '[info] starting',
    '{"path":"/v1/chat/completions","status":200}',
    '{"status":503}',
  ]);
});
