import { expect, test } from 'vitest';
import { EventStreamDecoder, EventStreamError, encodeEventStreamMessage } from './aws-event-stream.ts';

const frame = (type: string, payload: unknown) =>
  encodeEventStreamMessage(
    { ':event-type': type, ':content-type': 'application/json', ':message-type': 'event' },
    Buffer.from(JSON.stringify(payload)),
  );

test('decodes frames that arrive split at every byte boundary and several to a chunk', () => {
  const bytes = Buffer.concat([
    frame('messageStart', { role: 'assistant' }),
    frame('messageStop', { stopReason: 'end_turn' }),
  ]);
  for (const size of [1, 5, 13, bytes.length]) {
    const decoder = new EventStreamDecoder();
    const messages = [];
    for (let at = 0; at < bytes.length; at += size)
      messages.push(...decoder.push(bytes.subarray(at, at + size)));
    expect(messages.map((m) => [m.headers[':event-type'], JSON.parse(m.payload.toString())])).toEqual([
      ['messageStart', { role: 'assistant' }],
      ['messageStop', { stopReason: 'end_turn' }],
    ]);
    expect(decoder.pending).toBe(0);
  }
});

test('refuses a frame whose checksum does not match', () => {
  const bytes = frame('messageStart', { role: 'assistant' });
  bytes[bytes.length - 6] = bytes[bytes.length - 6]! ^ 0xff; // flip a payload byte
  expect(() => new EventStreamDecoder().push(bytes)).toThrow(EventStreamError);
});

test('refuses an absurd frame length instead of buffering it', () => {
  const bytes = Buffer.alloc(12);
  bytes.writeUInt32BE(0xffffffff, 0);
  expect(() => new EventStreamDecoder().push(bytes)).toThrow('bad frame length');
});
