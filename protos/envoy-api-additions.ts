// Envoy API messages newer than the protos @grpc/grpc-js-xds ships, defined here by hand (package, names,
// field numbers and types as Envoy's API defines them) so our configs for them encode like any other. Only
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
}

const ADDITIONS: Readonly<Record<string, readonly MessageSpec[]>> = {
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
  return type;
}

/** Adds the messages the shipped protos lack (call before `resolveAll`); those it already has are left alone. */
export function addMissingEnvoyTypes(root: protobuf.Root): void {
  for (const [pkg, messages] of Object.entries(ADDITIONS)) {
    const namespace = root.define(pkg);
    for (const spec of messages) {
      if (namespace.get(spec.name) === null) namespace.add(messageType(spec));
    }
  }
}
