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

export interface ProcessingRequest {
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
  /** Only response_body_mode is overridden: STREAMED (1) for streamed completions. */
  mode_override?: { response_body_mode: 1 };
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
