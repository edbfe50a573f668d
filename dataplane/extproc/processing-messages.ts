// envoy.service.ext_proc.v3 messages as protobufjs decodes and encodes them (field names as in the .proto).

export interface HeaderValue {
  key: string;
  value?: string;
  raw_value?: Uint8Array;
}

export interface HttpHeaders {
  headers?: { headers?: HeaderValue[] } | null;
  end_of_stream?: boolean;
}

export interface HttpBody {
  body?: Uint8Array;
  end_of_stream?: boolean;
}

/** google.protobuf.Value as protobufjs decodes it (camelCase field names). */
export interface ProtoValue {
  stringValue?: string;
  numberValue?: number;
  boolValue?: boolean;
  structValue?: { fields?: Record<string, ProtoValue> };
}

export interface ProcessingRequest {
  /** Attributes Envoy evaluated for the filter (`request_attributes`), keyed by filter name then expression. */
  attributes?: Record<string, { fields?: Record<string, ProtoValue> }> | null;
  /** Dynamic metadata Envoy forwarded (`metadata_options.forwarding_namespaces`). */
  metadata_context?: { filter_metadata?: Record<string, { fields?: Record<string, ProtoValue> }> } | null;
  request_headers?: HttpHeaders | null;
  response_headers?: HttpHeaders | null;
  request_body?: HttpBody | null;
  response_body?: HttpBody | null;
  request_trailers?: unknown;
  response_trailers?: unknown;
}

export interface HeaderValueOption {
  header: { key: string; raw_value: Uint8Array };
  /** OVERWRITE_IF_EXISTS_OR_ADD */
  append_action: 2;
}

export interface HeaderMutation {
  set_headers?: HeaderValueOption[];
  remove_headers?: string[];
}

export interface CommonResponse {
  status?: 0 | 1;
  header_mutation?: HeaderMutation;
  body_mutation?: { body: Uint8Array };
  clear_route_cache?: boolean;
}

/** google.protobuf.Struct: protobufjs ships it as a common type with camelCase field names. */
export interface StructValue {
  fields: Record<string, { numberValue?: number; stringValue?: string; structValue?: StructValue }>;
}

export interface ImmediateResponse {
  status: { code: number };
  headers?: HeaderMutation;
  body?: Uint8Array;
  details?: string;
}

export interface ProcessingResponse {
  request_headers?: { response: CommonResponse };
  response_headers?: { response: CommonResponse };
  request_body?: { response: CommonResponse };
  response_body?: { response: CommonResponse };
  request_trailers?: Record<string, never>;
  response_trailers?: Record<string, never>;
  immediate_response?: ImmediateResponse;
  dynamic_metadata?: StructValue;
  /**
   * Body modes overridden (header and trailer modes left at their defaults: headers sent, trailers skipped):
   * response_body_mode NONE (0) to see no body, STREAMED (1) for streamed completions, BUFFERED (2) to read a
   * body after NONE was set earlier; request_body_mode BUFFERED (2) when the override is made at request headers
   * (an override replaces every mode).
   */
  mode_override?: { request_body_mode?: 2; response_body_mode: 0 | 1 | 2 };
}

/** Header map to a plain record with lower-case names; values from raw_value when Envoy sends bytes. */
export function headerRecord(headers: HttpHeaders | null | undefined): Record<string, string> {
  const record: Record<string, string> = {};
  for (const header of headers?.headers?.headers ?? []) {
    const raw = header.raw_value;
    record[header.key.toLowerCase()] =
      raw !== undefined && raw.length > 0
        ? Buffer.from(raw.buffer, raw.byteOffset, raw.length).toString('utf8')
        : (header.value ?? '');
  }
  return record;
}

export function setHeaders(headers: Readonly<Record<string, string>>): HeaderValueOption[] {
  return Object.entries(headers).map(([key, value]) => ({
    header: { key, raw_value: Buffer.from(value, 'utf8') },
    append_action: 2,
  }));
}

/** A decoded protobuf Value as plain JSON-like data (strings, numbers, booleans, objects). */
export function protoValue(value: ProtoValue | undefined): unknown {
  if (value === undefined) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.numberValue !== undefined) return value.numberValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.structValue !== undefined) {
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value.structValue.fields ?? {})) out[key] = protoValue(field);
    return out;
  }
  return undefined;
}

/** A struct of numbers under one namespace: how token costs reach Envoy's dynamic metadata. */
export function metadataStruct(
  namespace: string,
  values: Readonly<Record<string, number | string>>,
): StructValue {
  const fields: StructValue['fields'] = {};
  for (const [key, value] of Object.entries(values)) {
    fields[key] = typeof value === 'number' ? { numberValue: value } : { stringValue: value };
  }
  return { fields: { [namespace]: { structValue: { fields } } } };
}
