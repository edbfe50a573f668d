// Envoy API messages and fields newer than the protos @grpc/grpc-js-xds ships, defined here by hand (package,
// names, field numbers and types as Envoy's API defines them) so our configs for them encode like any other. Only
// what we generate is defined; Envoy validates the rest. RBAC refuses TypedStruct inputs in its matchers, so a
// TypedStruct is no substitute for these.
import protobuf from 'protobufjs';

interface FieldSpec {
  readonly name: string;
  readonly id: number;
  readonly type: string;
  readonly repeated?: boolean;
  /** Member of a oneof of this name. */
  readonly oneof?: string;
}

interface MessageSpec {
  readonly name: string;
  readonly fields: readonly FieldSpec[];
  readonly nested?: readonly MessageSpec[];
  readonly enums?: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/**
 * Fields (and the nested types they need) of shipped messages that the shipped protos predate, by the message's
 * full name; a field the message already has is left alone.
 */
const FIELD_ADDITIONS: Readonly<Record<string, Omit<MessageSpec, 'name'>>> = {
  // Costs (hits_addend: a number or a format such as %DYNAMIC_METADATA(ns:key)%), response-path limits and
  // per-rule X-RateLimit headers (Envoy 1.32+).
  'envoy.config.route.v3.RateLimit': {
    fields: [
      { name: 'hits_addend', id: 5, type: 'HitsAddend' },
      { name: 'apply_on_stream_done', id: 6, type: 'bool' },
      { name: 'x_ratelimit_option', id: 7, type: 'XRateLimitOption' },
    ],
    nested: [
      {
        name: 'HitsAddend',
        fields: [
          { name: 'number', id: 1, type: '.google.protobuf.UInt64Value' },
          { name: 'format', id: 2, type: 'string' },
        ],
      },
    ],
    enums: { XRateLimitOption: { UNSPECIFIED: 0, OFF: 1, DRAFT_VERSION_03: 2 } },
  },
  // One descriptor per distinct value of a query parameter.
  'envoy.config.route.v3.RateLimit.Action': {
    fields: [{ name: 'query_parameters', id: 12, type: 'QueryParameters', oneof: 'action_specifier' }],
    nested: [
      {
        name: 'QueryParameters',
        fields: [
          { name: 'query_parameter_name', id: 1, type: 'string' },
          { name: 'descriptor_key', id: 2, type: 'string' },
          { name: 'skip_if_absent', id: 3, type: 'bool' },
        ],
      },
    ],
  },
  // Close an HTTP/1 connection past max_connection_duration after its next answer (Envoy 1.31+).
  'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager': {
    fields: [{ name: 'http1_safe_max_connection_duration', id: 58, type: 'bool' }],
  },
  // OpenID Connect (Envoy 1.33+): cookie attributes and domain, the CSRF token's lifetime, plain-text token
  // cookies, RP-initiated logout and the ID token forwarded upstream.
  'envoy.extensions.filters.http.oauth2.v3.OAuth2Config': {
    fields: [
      { name: 'cookie_configs', id: 21, type: '.envoy.extensions.filters.http.oauth2.v3.CookieConfigs' },
      { name: 'end_session_endpoint', id: 23, type: 'string' },
      { name: 'csrf_token_expires_in', id: 24, type: '.google.protobuf.Duration' },
      { name: 'disable_token_encryption', id: 26, type: 'bool' },
      {
        name: 'forward_id_token',
        id: 31,
        type: '.envoy.extensions.filters.http.oauth2.v3.OAuth2TokenForwarding',
      },
    ],
  },
  'envoy.extensions.filters.http.oauth2.v3.OAuth2Credentials': {
    fields: [{ name: 'cookie_domain', id: 5, type: 'string' }],
  },
  // The sign-in's CSRF nonce and PKCE code verifier cookies, named per policy like the others (Envoy 1.33+).
  'envoy.extensions.filters.http.oauth2.v3.OAuth2Credentials.CookieNames': {
    fields: [
      { name: 'oauth_nonce', id: 6, type: 'string' },
      { name: 'code_verifier', id: 7, type: 'string' },
    ],
  },
  'envoy.extensions.filters.http.local_ratelimit.v3.LocalRateLimit': {
    fields: [
      {
        name: 'enable_x_ratelimit_headers',
        id: 12,
        type: '.envoy.extensions.common.ratelimit.v3.XRateLimitHeadersRFCVersion',
      },
    ],
  },
};

const ADDITIONS: Readonly<Record<string, readonly MessageSpec[]>> = {
  'envoy.extensions.filters.http.oauth2.v3': [
    {
      name: 'CookieConfig',
      fields: [{ name: 'same_site', id: 1, type: 'SameSite' }],
      enums: { SameSite: { DISABLED: 0, STRICT: 1, LAX: 2, NONE: 3 } },
    },
    {
      name: 'CookieConfigs',
      fields: [
        'bearer_token',
        'oauth_hmac',
        'oauth_expires',
        'id_token',
        'refresh_token',
        'oauth_nonce',
        'code_verifier',
      ].map((cookie, i) => ({ name: `${cookie}_cookie_config`, id: i + 1, type: 'CookieConfig' })),
    },
    { name: 'OAuth2TokenForwarding', fields: [{ name: 'header', id: 1, type: 'string' }] },
  ],
  'envoy.extensions.filters.http.api_key_auth.v3': [
    {
      name: 'ApiKeyAuth',
      fields: [
        { name: 'credentials', id: 1, type: 'Credential', repeated: true },
        { name: 'key_sources', id: 2, type: 'KeySource', repeated: true },
        { name: 'forwarding', id: 3, type: 'Forwarding' },
      ],
    },
    {
      name: 'ApiKeyAuthPerRoute',
      fields: [
        { name: 'credentials', id: 1, type: 'Credential', repeated: true },
        { name: 'key_sources', id: 2, type: 'KeySource', repeated: true },
        { name: 'allowed_clients', id: 3, type: 'string', repeated: true },
        { name: 'forwarding', id: 4, type: 'Forwarding' },
      ],
    },
    {
      name: 'Credential',
      fields: [
        { name: 'key', id: 1, type: 'string' },
        { name: 'client', id: 2, type: 'string' },
      ],
    },
    {
      name: 'KeySource',
      fields: [
        { name: 'header', id: 1, type: 'string' },
        { name: 'query', id: 2, type: 'string' },
        { name: 'cookie', id: 3, type: 'string' },
      ],
    },
    {
      name: 'Forwarding',
      fields: [
        { name: 'header', id: 1, type: 'string' },
        { name: 'hide_credentials', id: 2, type: 'bool' },
      ],
    },
  ],
  'envoy.extensions.matching.common_inputs.network.v3': [
    {
      name: 'DynamicMetadataInput',
      fields: [
        { name: 'filter', id: 1, type: 'string' },
        { name: 'path', id: 2, type: 'PathSegment', repeated: true },
      ],
      nested: [{ name: 'PathSegment', fields: [{ name: 'key', id: 1, type: 'string', oneof: 'segment' }] }],
    },
  ],
  'envoy.extensions.matching.input_matchers.metadata.v3': [
    {
      name: 'Metadata',
      fields: [
        { name: 'value', id: 1, type: '.envoy.type.matcher.v3.ValueMatcher' },
        { name: 'invert', id: 4, type: 'bool' },
      ],
    },
  ],
};

function messageType(spec: MessageSpec): protobuf.Type {
  const type = new protobuf.Type(spec.name);
  const oneofs = new Map<string, string[]>();
  for (const field of spec.fields) {
    type.add(new protobuf.Field(field.name, field.id, field.type, field.repeated ? 'repeated' : undefined));
    if (field.oneof !== undefined) oneofs.set(field.oneof, [...(oneofs.get(field.oneof) ?? []), field.name]);
  }
  for (const [name, members] of oneofs) type.add(new protobuf.OneOf(name, members));
  for (const nested of spec.nested ?? []) type.add(messageType(nested));
  for (const [name, values] of Object.entries(spec.enums ?? {}))
    type.add(new protobuf.Enum(name, { ...values }));
  return type;
}

/** Adds the fields of FIELD_ADDITIONS (and their nested types) to the shipped messages that lack them. */
/**
 * Fields whose type Envoy's API changed since the shipped protos (same name and number, a wire-incompatible
 * message): the shipped field is replaced.
 */
const FIELD_REPLACEMENTS: Readonly<Record<string, readonly FieldSpec[]>> = {
  // rate_limits became envoy.config.route.v3.RateLimit (the shipped protos have an older message of its own).
  'envoy.extensions.filters.http.ratelimit.v3.RateLimitPerRoute': [
    { name: 'rate_limits', id: 3, type: '.envoy.config.route.v3.RateLimit', repeated: true },
  ],
};

function replaceFields(root: protobuf.Root): void {
  for (const [name, fields] of Object.entries(FIELD_REPLACEMENTS)) {
    const type = root.lookupType(name);
    for (const field of fields) {
      const shipped = type.fields[field.name];
      if (shipped !== undefined) type.remove(shipped);
      type.add(new protobuf.Field(field.name, field.id, field.type, field.repeated ? 'repeated' : undefined));
    }
  }
}

function addMissingFields(root: protobuf.Root): void {
  for (const [name, spec] of Object.entries(FIELD_ADDITIONS)) {
    const type = root.lookupType(name);
    for (const nested of spec.nested ?? []) if (type.get(nested.name) === null) type.add(messageType(nested));
    for (const [enumName, values] of Object.entries(spec.enums ?? {}))
      if (type.get(enumName) === null) type.add(new protobuf.Enum(enumName, { ...values }));
    for (const field of spec.fields) {
      if (type.fields[field.name] !== undefined) continue;
      const added = new protobuf.Field(
        field.name,
        field.id,
        field.type,
        field.repeated ? 'repeated' : undefined,
      );
      type.add(added);
      if (field.oneof !== undefined) type.oneofs[field.oneof]?.add(added);
    }
  }
}

/** Adds the messages the shipped protos lack (call before `resolveAll`); those it already has are left alone. */
export function addMissingEnvoyTypes(root: protobuf.Root): void {
  for (const [pkg, messages] of Object.entries(ADDITIONS)) {
    const namespace = root.define(pkg);
    for (const spec of messages) {
      if (namespace.get(spec.name) === null) namespace.add(messageType(spec));
    }
  }
  addMissingFields(root);
  replaceFields(root);
}
