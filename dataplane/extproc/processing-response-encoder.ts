// ProcessingResponse straight to protobuf bytes, for the shapes processing-messages.ts declares (the only ones the
// service builds): one pass measures every nested message and string, a second writes them into one buffer with 5
// bytes left free in front for the gRPC prefix. protobufjs's generic encoder (a writer that queues an operation per
// field, then copies) cost 10–17 µs per request, most of it on the 4 KB translated body; this costs a few.
// The bytes are those protobufjs writes: fields in declaration order; a proto3 scalar left out when it holds its
// default (0, false, empty), as it has no presence; members of a oneof and nested messages written whenever set.
// processing-response-encoder.test.ts compares the two on every shape.
import type {
  CommonResponse,
  HeaderMutation,
  HeaderValueOption,
  ImmediateResponse,
  ProcessingResponse,
  StructValue,
} from './processing-messages.ts';

type ProtoValue = StructValue['fields'][string];

// Field tags ((field number << 3) | wire type), from envoy/service/ext_proc/v3/external_processor.proto and the
// messages it uses. Wire types: 0 varint, 1 64-bit, 2 length-delimited.
const RESPONSE_ONEOF = [
  ['request_headers', 1],
  ['response_headers', 2],
  ['request_body', 3],
  ['response_body', 4],
] as const;
const REQUEST_TRAILERS = (5 << 3) | 2;
const RESPONSE_TRAILERS = (6 << 3) | 2;
const IMMEDIATE_RESPONSE = (7 << 3) | 2;
const DYNAMIC_METADATA = (8 << 3) | 2;
const MODE_OVERRIDE = (9 << 3) | 2;
/** HeadersResponse.response and BodyResponse.response. */
const COMMON_RESPONSE = (1 << 3) | 2;
const COMMON_STATUS = 1 << 3;
const COMMON_HEADER_MUTATION = (2 << 3) | 2;
const COMMON_BODY_MUTATION = (3 << 3) | 2;
const COMMON_CLEAR_ROUTE_CACHE = 5 << 3;
const BODY_MUTATION_BODY = (1 << 3) | 2;
const MUTATION_SET_HEADERS = (1 << 3) | 2;
const MUTATION_REMOVE_HEADERS = (2 << 3) | 2;
const OPTION_HEADER = (1 << 3) | 2;
const OPTION_APPEND_ACTION = 3 << 3;
const HEADER_KEY = (1 << 3) | 2;
const HEADER_RAW_VALUE = (3 << 3) | 2;
const IMMEDIATE_STATUS = (1 << 3) | 2;
const HTTP_STATUS_CODE = 1 << 3;
const IMMEDIATE_HEADERS = (2 << 3) | 2;
const IMMEDIATE_BODY = (3 << 3) | 2;
const IMMEDIATE_DETAILS = (5 << 3) | 2;
const MODE_REQUEST_BODY = 3 << 3;
const MODE_RESPONSE_BODY = 4 << 3;
/** google.protobuf.Struct.fields (a map: entries of key 1 and value 2) and google.protobuf.Value's kinds. */
const STRUCT_FIELDS = (1 << 3) | 2;
const ENTRY_KEY = (1 << 3) | 2;
const ENTRY_VALUE = (2 << 3) | 2;
const VALUE_NUMBER = (2 << 3) | 1;
const VALUE_STRING = (3 << 3) | 2;
const VALUE_STRUCT = (5 << 3) | 2;

/**
 * The measuring pass records, in the order the writing pass meets them, the length of every nested message and
 * string: a message's slot is taken before its children are measured, so parents come before children.
 */
class Lengths {
  readonly values: number[] = [];
  next = 0;

  reserve(): number {
    this.values.push(0);
    return this.values.length - 1;
  }

  /** A string field's UTF-8 length, recorded; returns the field's size (none for an unset or empty one). */
  string(text: string | undefined): number {
    return text == null || text === '' ? 0 : this.element(text);
  }

  /** A string written even when empty (a repeated element, a map key, a oneof member). */
  element(text: string): number {
    const length = Buffer.byteLength(text, 'utf8');
    this.values.push(length);
    return 1 + varintSize(length) + length;
  }

  /** A nested message of `length` bytes recorded in `slot`; returns the field's size. */
  message(slot: number, length: number): number {
    this.values[slot] = length;
    return 1 + varintSize(length) + length;
  }

  take(): number {
    return this.values[this.next++]!;
  }
}

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** A bytes field: none when unset or empty. */
function bytesSize(bytes: Uint8Array | undefined): number {
  return bytes == null || bytes.length === 0 ? 0 : 1 + varintSize(bytes.length) + bytes.length;
}

/** An enum or integer field: none when unset or 0. */
function numberSize(value: number | undefined): number {
  return value == null || value === 0 ? 0 : 1 + varintSize(value);
}

class Out {
  readonly buffer: Buffer;
  readonly lengths: Lengths;
  pos = 5;

  constructor(buffer: Buffer, lengths: Lengths) {
    this.buffer = buffer;
    this.lengths = lengths;
  }

  varint(value: number): void {
    while (value >= 0x80) {
      this.buffer[this.pos++] = (value & 0x7f) | 0x80;
      value = Math.floor(value / 128);
    }
    this.buffer[this.pos++] = value;
  }

  /** A nested message's tag and length; its fields follow. */
  message(tag: number): void {
    this.buffer[this.pos++] = tag;
    this.varint(this.lengths.take());
  }

  /** An empty nested message (a TrailersResponse with nothing in it). */
  empty(tag: number): void {
    this.buffer[this.pos++] = tag;
    this.buffer[this.pos++] = 0;
  }

  string(tag: number, text: string | undefined): void {
    if (text != null && text !== '') this.element(tag, text);
  }

  element(tag: number, text: string): void {
    this.buffer[this.pos++] = tag;
    const length = this.lengths.take();
    this.varint(length);
    this.pos += this.buffer.write(text, this.pos, length, 'utf8');
  }

  /** A bytes field: left out when unset or empty. */
  bytes(tag: number, bytes: Uint8Array | undefined): void {
    if (bytes != null && bytes.length > 0) this.bytesMember(tag, bytes);
  }

  /** Bytes written even when empty (a oneof member). */
  bytesMember(tag: number, bytes: Uint8Array): void {
    this.buffer[this.pos++] = tag;
    this.varint(bytes.length);
    this.buffer.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** An enum, int32 or bool field (never negative here); left out when unset or 0. */
  number(tag: number, value: number | undefined): void {
    if (value == null || value === 0) return;
    this.buffer[this.pos++] = tag;
    this.varint(value);
  }

  double(tag: number, value: number): void {
    this.buffer[this.pos++] = tag;
    this.buffer.writeDoubleLE(value, this.pos);
    this.pos += 8;
  }
}

/** The message encoded after 5 free bytes (for the gRPC prefix, which the caller writes). */
export function encodeProcessingResponse(message: ProcessingResponse): Buffer {
  const lengths = new Lengths();
  const size = measureResponse(message, lengths);
  const out = new Out(Buffer.allocUnsafe(5 + size), lengths);
  writeResponse(message, out);
  if (out.pos !== 5 + size)
    throw new Error(`ProcessingResponse encoded to ${out.pos - 5} bytes, measured ${size}`);
  return out.buffer;
}

function measureResponse(message: ProcessingResponse, lengths: Lengths): number {
  let size = 0;
  for (const [field] of RESPONSE_ONEOF) {
    const part = message[field];
    if (part == null) continue;
    const slot = lengths.reserve();
    const inner = part.response == null ? 0 : measureCommon(part.response, lengths);
    size += lengths.message(slot, inner);
  }
  if (message.request_trailers != null) size += 2;
  if (message.response_trailers != null) size += 2;
  if (message.immediate_response != null) {
    const slot = lengths.reserve();
    size += lengths.message(slot, measureImmediate(message.immediate_response, lengths));
  }
  if (message.dynamic_metadata != null) {
    const slot = lengths.reserve();
    size += lengths.message(slot, measureStruct(message.dynamic_metadata, lengths));
  }
  if (message.mode_override != null) {
    const slot = lengths.reserve();
    const mode = message.mode_override;
    const inner = numberSize(mode.request_body_mode) + numberSize(mode.response_body_mode);
    size += lengths.message(slot, inner);
  }
  return size;
}

function writeResponse(message: ProcessingResponse, out: Out): void {
  for (const [field, number] of RESPONSE_ONEOF) {
    const part = message[field];
    if (part == null) continue;
    out.message((number << 3) | 2);
    if (part.response != null) writeCommon(part.response, out);
  }
  if (message.request_trailers != null) out.empty(REQUEST_TRAILERS);
  if (message.response_trailers != null) out.empty(RESPONSE_TRAILERS);
  if (message.immediate_response != null) {
    out.message(IMMEDIATE_RESPONSE);
    writeImmediate(message.immediate_response, out);
  }
  if (message.dynamic_metadata != null) {
    out.message(DYNAMIC_METADATA);
    writeStruct(message.dynamic_metadata, out);
  }
  if (message.mode_override != null) {
    out.message(MODE_OVERRIDE);
    const mode = message.mode_override;
    out.number(MODE_REQUEST_BODY, mode.request_body_mode);
    out.number(MODE_RESPONSE_BODY, mode.response_body_mode);
  }
}

function measureCommon(common: CommonResponse, lengths: Lengths): number {
  // The slot of the CommonResponse itself (HeadersResponse.response or BodyResponse.response).
  const slot = lengths.reserve();
  let size = 0;
  size += numberSize(common.status);
  if (common.header_mutation != null) {
    const mutation = lengths.reserve();
    size += lengths.message(mutation, measureMutation(common.header_mutation, lengths));
  }
  if (common.body_mutation != null) {
    const mutation = lengths.reserve();
    const body = common.body_mutation.body;
    // BodyMutation.body is a member of a oneof: written even when empty.
    size += lengths.message(mutation, body == null ? 0 : 1 + varintSize(body.length) + body.length);
  }
  if (common.clear_route_cache === true) size += 2;
  return lengths.message(slot, size);
}

function writeCommon(common: CommonResponse, out: Out): void {
  out.message(COMMON_RESPONSE);
  out.number(COMMON_STATUS, common.status);
  if (common.header_mutation != null) {
    out.message(COMMON_HEADER_MUTATION);
    writeMutation(common.header_mutation, out);
  }
  if (common.body_mutation != null) {
    out.message(COMMON_BODY_MUTATION);
    const body = common.body_mutation.body;
    if (body != null) out.bytesMember(BODY_MUTATION_BODY, body);
  }
  if (common.clear_route_cache === true) out.number(COMMON_CLEAR_ROUTE_CACHE, 1);
}

function measureMutation(mutation: HeaderMutation, lengths: Lengths): number {
  let size = 0;
  for (const option of mutation.set_headers ?? []) {
    const slot = lengths.reserve();
    size += lengths.message(slot, measureOption(option, lengths));
  }
  // Repeated: every element written, an empty string too.
  for (const name of mutation.remove_headers ?? []) size += lengths.element(name);
  return size;
}

function writeMutation(mutation: HeaderMutation, out: Out): void {
  for (const option of mutation.set_headers ?? []) {
    out.message(MUTATION_SET_HEADERS);
    writeOption(option, out);
  }
  for (const name of mutation.remove_headers ?? []) out.element(MUTATION_REMOVE_HEADERS, name);
}

function measureOption(option: HeaderValueOption, lengths: Lengths): number {
  let size = 0;
  if (option.header != null) {
    const slot = lengths.reserve();
    let header = 0;
    header += lengths.string(option.header.key) + bytesSize(option.header.raw_value);
    size += lengths.message(slot, header);
  }
  size += numberSize(option.append_action);
  return size;
}

function writeOption(option: HeaderValueOption, out: Out): void {
  if (option.header != null) {
    out.message(OPTION_HEADER);
    out.string(HEADER_KEY, option.header.key);
    out.bytes(HEADER_RAW_VALUE, option.header.raw_value);
  }
  out.number(OPTION_APPEND_ACTION, option.append_action);
}

function measureImmediate(immediate: ImmediateResponse, lengths: Lengths): number {
  let size = 0;
  if (immediate.status != null) {
    const slot = lengths.reserve();
    size += lengths.message(slot, numberSize(immediate.status.code));
  }
  if (immediate.headers != null) {
    const slot = lengths.reserve();
    size += lengths.message(slot, measureMutation(immediate.headers, lengths));
  }
  size += bytesSize(immediate.body) + lengths.string(immediate.details);
  return size;
}

function writeImmediate(immediate: ImmediateResponse, out: Out): void {
  if (immediate.status != null) {
    out.message(IMMEDIATE_STATUS);
    out.number(HTTP_STATUS_CODE, immediate.status.code);
  }
  if (immediate.headers != null) {
    out.message(IMMEDIATE_HEADERS);
    writeMutation(immediate.headers, out);
  }
  out.bytes(IMMEDIATE_BODY, immediate.body);
  out.string(IMMEDIATE_DETAILS, immediate.details);
}

function measureStruct(struct: StructValue, lengths: Lengths): number {
  let size = 0;
  for (const key of Object.keys(struct.fields ?? {})) {
    const entry = lengths.reserve();
    let inner = lengths.element(key);
    const value = struct.fields[key];
    if (value != null) {
      const slot = lengths.reserve();
      inner += lengths.message(slot, measureValue(value, lengths));
    }
    size += lengths.message(entry, inner);
  }
  return size;
}

function writeStruct(struct: StructValue, out: Out): void {
  for (const key of Object.keys(struct.fields ?? {})) {
    out.message(STRUCT_FIELDS);
    out.element(ENTRY_KEY, key);
    const value = struct.fields[key];
    if (value != null) {
      out.message(ENTRY_VALUE);
      writeValue(value, out);
    }
  }
}

function measureValue(value: ProtoValue, lengths: Lengths): number {
  let size = 0;
  // Members of Value's oneof: written whenever set, zero and empty included.
  if (value.numberValue != null) size += 9;
  if (value.stringValue != null) size += lengths.element(value.stringValue);
  if (value.structValue != null) {
    const slot = lengths.reserve();
    size += lengths.message(slot, measureStruct(value.structValue, lengths));
  }
  return size;
}

function writeValue(value: ProtoValue, out: Out): void {
  if (value.numberValue != null) out.double(VALUE_NUMBER, value.numberValue);
  if (value.stringValue != null) out.element(VALUE_STRING, value.stringValue);
  if (value.structValue != null) {
    out.message(VALUE_STRUCT);
    writeStruct(value.structValue, out);
  }
}
