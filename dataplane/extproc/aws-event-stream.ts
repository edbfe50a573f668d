// AWS event-stream framing (application/vnd.amazon.eventstream), as Bedrock's ConverseStream sends it:
// [total length u32][headers length u32][prelude CRC32][headers][payload][message CRC32], big-endian.
import { crc32 } from 'node:zlib';
import { asBuffer } from './utf8.ts';

export interface EventStreamMessage {
  readonly headers: Readonly<Record<string, string | number | boolean>>;
  readonly payload: Buffer;
}

const PRELUDE = 12;
const TRAILER = 4;
/** Frames larger than this are refused rather than buffered (Bedrock chunks are a few KB). */
const MAX_MESSAGE = 16 * 1024 * 1024;

export class EventStreamError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventStreamError';
  }
}

/** Decodes frames incrementally: bytes in, whole messages out; a frame may span any number of chunks. */
export class EventStreamDecoder {
  #buffer: Buffer = Buffer.alloc(0);

  push(chunk: Uint8Array): EventStreamMessage[] {
    this.#buffer = this.#buffer.length === 0 ? asBuffer(chunk) : Buffer.concat([this.#buffer, chunk]);
    const messages: EventStreamMessage[] = [];
    while (this.#buffer.length >= PRELUDE) {
      const total = this.#buffer.readUInt32BE(0);
      if (total < PRELUDE + TRAILER || total > MAX_MESSAGE)
        throw new EventStreamError(`bad frame length ${total}`);
      if (this.#buffer.length < total) break;
      messages.push(decodeFrame(this.#buffer.subarray(0, total)));
      this.#buffer = this.#buffer.subarray(total);
    }
    return messages;
  }

  /** Bytes of an incomplete frame left at the end of the stream. */
  get pending(): number {
    return this.#buffer.length;
  }
}

function decodeFrame(frame: Buffer): EventStreamMessage {
  const headersLength = frame.readUInt32BE(4);
  if (frame.readUInt32BE(8) !== crc32(frame.subarray(0, 8)))
    throw new EventStreamError('prelude CRC mismatch');
  const end = frame.length - TRAILER;
  if (frame.readUInt32BE(end) !== crc32(frame.subarray(0, end)))
    throw new EventStreamError('message CRC mismatch');
  const headersEnd = PRELUDE + headersLength;
  if (headersEnd > end) throw new EventStreamError('headers overrun the frame');
  return {
    headers: decodeHeaders(frame.subarray(PRELUDE, headersEnd)),
    payload: frame.subarray(headersEnd, end),
  };
}

function decodeHeaders(bytes: Buffer): Record<string, string | number | boolean> {
  const headers: Record<string, string | number | boolean> = {};
  let at = 0;
  while (at < bytes.length) {
    const nameLength = bytes.readUInt8(at);
    const name = bytes.toString('utf8', at + 1, at + 1 + nameLength);
    at += 1 + nameLength;
    const kind = bytes.readUInt8(at++);
    switch (kind) {
      case 0:
      case 1:
        headers[name] = kind === 0;
        break;
      case 2:
        headers[name] = bytes.readInt8(at);
        at += 1;
        break;
      case 3:
        headers[name] = bytes.readInt16BE(at);
        at += 2;
        break;
      case 4:
        headers[name] = bytes.readInt32BE(at);
        at += 4;
        break;
      case 5:
      case 8:
        headers[name] = Number(bytes.readBigInt64BE(at));
        at += 8;
        break;
      case 6:
      case 7: {
        const length = bytes.readUInt16BE(at);
        const value = bytes.subarray(at + 2, at + 2 + length);
        headers[name] = kind === 7 ? value.toString('utf8') : value.toString('base64');
        at += 2 + length;
        break;
      }
      case 9:
        headers[name] = bytes.toString('hex', at, at + 16);
        at += 16;
        break;
      default:
        throw new EventStreamError(`unknown header value type ${kind}`);
    }
  }
  return headers;
}

/** Encodes one frame with string headers (used by fake upstreams in tests and by benchmarks). */
export function encodeEventStreamMessage(
  headers: Readonly<Record<string, string>>,
  payload: Uint8Array,
): Buffer {
  const headerParts = Object.entries(headers).map(([name, value]) => {
    const nameBytes = Buffer.from(name, 'utf8');
    const valueBytes = Buffer.from(value, 'utf8');
    const part = Buffer.alloc(1 + nameBytes.length + 1 + 2 + valueBytes.length);
    part.writeUInt8(nameBytes.length, 0);
    nameBytes.copy(part, 1);
    part.writeUInt8(7, 1 + nameBytes.length);
    part.writeUInt16BE(valueBytes.length, 2 + nameBytes.length);
    valueBytes.copy(part, 4 + nameBytes.length);
    return part;
  });
  const headerBytes = Buffer.concat(headerParts);
  const total = PRELUDE + headerBytes.length + payload.length + TRAILER;
  const frame = Buffer.alloc(total);
  frame.writeUInt32BE(total, 0);
  frame.writeUInt32BE(headerBytes.length, 4);
  frame.writeUInt32BE(crc32(frame.subarray(0, 8)), 8);
  headerBytes.copy(frame, PRELUDE);
  Buffer.from(payload).copy(frame, PRELUDE + headerBytes.length);
  frame.writeUInt32BE(crc32(frame.subarray(0, total - TRAILER)), total - TRAILER);
  return frame;
}
