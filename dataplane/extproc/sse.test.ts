import { expect, test } from 'vitest';
import { SseParser } from './sse.ts';

test('parses events split anywhere, with CRLF, comments, names and multi-line data', () => {
  const text = ': keep-alive\r\nevent: a\r\ndata: one\r\ndata: two\r\n\r\ndata:{"x":"é"}\n\n';
  const bytes = Buffer.from(text);
  for (const size of [1, 3, bytes.length]) {
    const parser = new SseParser();
    const events = [];
    for (let at = 0; at < bytes.length; at += size)
      events.push(...parser.push(bytes.subarray(at, at + size)));
    events.push(...parser.end());
    expect(events).toEqual([
      { event: 'a', data: 'one\ntwo' },
      { event: undefined, data: '{"x":"é"}' },
    ]);
  }
});

test('a last event without its blank line is delivered at the end of the stream', () => {
  const parser = new SseParser();
  expect(parser.push('data: tail')).toEqual([]);
  expect(parser.end()).toEqual([{ event: undefined, data: 'tail' }]);
});
