// Where secret values sit in what Switchyard reads (Kubernetes objects), computes (the Gateway IR, the ext_proc and
// MCP configuration documents) and generates (Envoy and agentgateway resources), and how to show any of it without
// them: `translate`, `replay` and the inspector print and serve through `redactShown`.
//
// Two layers, so that a secret field nobody listed yet is still not shown (fail closed):
// 1. The table: each field known to carry a secret is replaced by the marker, keeping the shape (a diff still shows
//    where a key is). Every Envoy field its protos mark `(udpa.annotations.sensitive)` is listed
//    (protos/sensitive-fields.test.ts checks that against the shipped protos).
// 2. The values: every secret value the inputs hold (found with the same table: Secret data, inline keys) is looked
//    for in every string of the output; a string containing one is replaced whole, wherever it sits.

export const REDACTED = '[REDACTED]';
/** The marker of a private key (a diff of a certificate rotation shows the key field changed in place). */
export const REDACTED_KEY = '[REDACTED: private key]';
const PRIVATE_KEY_FIELD = /^private_?key$/i;

/** Which objects a table entry applies to. */
export type SecretCarrier =
  /** A Kubernetes object of this kind (its `kind` field). */
  | { readonly kind: string }
  /** An Envoy message packed in an Any: its `@type` names this message (full proto name). */
  | { readonly type: string }
  /** The value of any field of this name (an object, or a list of objects with `*`). */
  | { readonly field: string };

export interface SecretField {
  readonly carrier: SecretCarrier;
  /** The path below the carrier; `*` steps into every key of an object or every item of a list. */
  readonly path: readonly string[];
  /** What carries it, for people (and for the coverage test: `proto` names the Envoy field it covers). */
  readonly what: string;
  readonly proto?: string;
  /**
   * Only a string there is the secret: the IR's field names are also those of the policies' specs, where the same
   * name holds a reference to a Secret (`oidc.clientSecret: {name}`), which is shown.
   */
  readonly stringOnly?: boolean;
}

const TLS = 'envoy.extensions.transport_sockets.tls.v3';
const LAST_APPLIED = ['metadata', 'annotations', 'kubectl.kubernetes.io/last-applied-configuration'];
const TLS_CERTIFICATE_FIELDS: readonly [string, string][] = [
  ['privateKey', 'private_key'],
  ['pkcs12', 'pkcs12'],
  ['password', 'password'],
];

export const SECRET_FIELDS: readonly SecretField[] = [
  // What Switchyard reads.
  { carrier: { kind: 'Secret' }, path: ['data', '*'], what: 'Kubernetes Secret data' },
  { carrier: { kind: 'Secret' }, path: ['stringData', '*'], what: 'Kubernetes Secret stringData' },
  {
    carrier: { kind: 'Secret' },
    path: LAST_APPLIED,
    what: "a Secret's last applied configuration (its data)",
  },
  {
    carrier: { kind: 'MCPRoute' },
    path: ['spec', 'backendRefs', '*', 'securityPolicy', 'apiKey', 'inline'],
    what: "MCPRoute backendRef's inline API key",
  },
  { carrier: { kind: 'MCPRoute' }, path: LAST_APPLIED, what: "an MCPRoute's last applied configuration" },
  // The IR and the configuration documents of switchyard extproc and switchyard mcp.
  {
    carrier: { field: 'basicAuth' },
    path: ['credentials'],
    what: 'BasicAuthIR htpasswd lines',
    stringOnly: true,
  },
  {
    carrier: { field: 'apiKeyAuth' },
    path: ['credentials', '*', 'key'],
    what: 'ApiKeyAuthIR keys',
    stringOnly: true,
  },
  { carrier: { field: 'oidc' }, path: ['clientSecret'], what: 'OidcIR client secret', stringOnly: true },
  {
    carrier: { field: 'credentialInjection' },
    path: ['credential'],
    what: 'CredentialInjectionIR credential',
    stringOnly: true,
  },
  {
    carrier: { field: 'apiKey' },
    path: ['key'],
    what: 'MCP backend / ext_proc backend API key',
    stringOnly: true,
  },
  {
    carrier: { field: 'azureAPIKey' },
    path: ['key'],
    what: 'ext_proc backend Azure API key',
    stringOnly: true,
  },
  {
    carrier: { field: 'anthropicAPIKey' },
    path: ['key'],
    what: 'ext_proc backend Anthropic API key',
    stringOnly: true,
  },
  {
    carrier: { field: 'aws' },
    path: ['accessKeyId'],
    what: 'ext_proc backend AWS access key id',
    stringOnly: true,
  },
  {
    carrier: { field: 'aws' },
    path: ['secretAccessKey'],
    what: 'ext_proc backend AWS secret access key',
    stringOnly: true,
  },
  {
    carrier: { field: 'aws' },
    path: ['sessionToken'],
    what: 'ext_proc backend AWS session token',
    stringOnly: true,
  },
  // Envoy resources: SDS secrets and the TLS contexts that may hold keys inline.
  {
    carrier: { field: 'genericSecret' },
    path: ['secret'],
    what: 'SDS generic secret (OIDC client secret, HMAC key, injected credential)',
    proto: `${TLS}.GenericSecret.secret`,
  },
  ...TLS_CERTIFICATE_FIELDS.flatMap(([json, proto]): SecretField[] => [
    {
      carrier: { field: 'tlsCertificate' },
      path: [json],
      what: `SDS TLS certificate ${json}`,
      proto: `${TLS}.TlsCertificate.${proto}`,
    },
    { carrier: { field: 'tlsCertificates' }, path: ['*', json], what: `inline TLS certificate ${json}` },
  ]),
  {
    carrier: { field: 'privateKeyProvider' },
    path: ['typedConfig'],
    what: 'TLS private key provider configuration',
    proto: `${TLS}.PrivateKeyProvider.typed_config`,
  },
  {
    carrier: { field: 'sessionTicketKeys' },
    path: ['keys'],
    what: 'TLS session ticket keys',
    proto: `${TLS}.TlsSessionTicketKeys.keys`,
  },
  // Envoy filters and other messages with secrets inline.
  {
    carrier: { type: 'envoy.extensions.filters.http.basic_auth.v3.BasicAuth' },
    path: ['users'],
    what: 'basic_auth users',
    proto: 'envoy.extensions.filters.http.basic_auth.v3.BasicAuth.users',
  },
  {
    carrier: { type: 'envoy.extensions.filters.http.basic_auth.v3.BasicAuthPerRoute' },
    path: ['users'],
    what: 'basic_auth per-route users',
    proto: 'envoy.extensions.filters.http.basic_auth.v3.BasicAuthPerRoute.users',
  },
  {
    carrier: { type: 'envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuth' },
    path: ['credentials', '*', 'key'],
    what: 'api_key_auth keys',
  },
  {
    carrier: { type: 'envoy.extensions.filters.http.api_key_auth.v3.ApiKeyAuthPerRoute' },
    path: ['credentials', '*', 'key'],
    what: 'api_key_auth per-route keys',
  },
  {
    carrier: { field: 'checkSettings' },
    path: ['contextExtensions'],
    what: 'ext_authz per-route context extensions',
    proto: 'envoy.extensions.filters.http.ext_authz.v3.CheckSettings.context_extensions',
  },
  {
    carrier: { field: 'sslCredentials' },
    path: ['privateKey'],
    what: 'Google gRPC client private key',
    proto: 'envoy.config.core.v3.GrpcService.GoogleGrpc.SslCredentials.private_key',
  },
  {
    carrier: { field: 'clientConfig' },
    path: ['backendToken'],
    what: 'SkyWalking backend token',
    proto: 'envoy.config.trace.v3.ClientConfig.backend_token',
  },
  {
    carrier: { type: 'envoy.config.grpc_credential.v3.FileBasedMetadataConfig' },
    path: ['secretData'],
    what: 'gRPC file-based metadata secret',
    proto: 'envoy.config.grpc_credential.v3.FileBasedMetadataConfig.secret_data',
  },
  ...(
    [
      ['RedisProxy', 'downstreamAuthPassword', 'downstream_auth_password'],
      ['RedisProxy', 'downstreamAuthPasswords', 'downstream_auth_passwords'],
      ['RedisProxy', 'downstreamAuthUsername', 'downstream_auth_username'],
      ['RedisProtocolOptions', 'authPassword', 'auth_password'],
      ['RedisProtocolOptions', 'authUsername', 'auth_username'],
    ] as const
  ).map(
    ([message, json, proto]): SecretField => ({
      carrier: { type: `envoy.extensions.filters.network.redis_proxy.v3.${message}` },
      path: [json],
      what: `Redis ${json}`,
      proto: `envoy.extensions.filters.network.redis_proxy.v3.${message}.${proto}`,
    }),
  ),
  // agentgateway resources.
  {
    carrier: { field: 'tls' },
    path: ['privateKey'],
    what: 'agentgateway listener TLS private key',
    stringOnly: true,
  },
  { carrier: { field: 'key' }, path: ['secret'], what: 'agentgateway backend auth key', stringOnly: true },
  {
    carrier: { field: 'basicAuth' },
    path: ['htpasswdContent'],
    what: 'agentgateway basic authentication htpasswd',
    stringOnly: true,
  },
  {
    carrier: { field: 'apiKeyAuth' },
    path: ['apiKeys', '*', 'key'],
    what: 'agentgateway API key authentication keys',
    stringOnly: true,
  },
  ...['accessKeyId', 'secretAccessKey', 'sessionToken'].map(
    (field): SecretField => ({
      carrier: { field: 'explicitConfig' },
      path: [field],
      what: `agentgateway backend AWS ${field}`,
      stringOnly: true,
    }),
  ),
];

/** The kinds whose objects hold secret values (the table's Kubernetes carriers), for `secretValuesOf`. */
export const SECRET_KINDS: readonly string[] = [
  ...new Set(SECRET_FIELDS.flatMap((entry) => ('kind' in entry.carrier ? [entry.carrier.kind] : []))),
];

/**
 * Secret data keys whose values are not looked for: public ones (certificates, client ids), shown where the output
 * uses them, and private keys, which are found by their PEM header (a thousand TLS Secrets are no thousand values
 * to look for in every string).
 */
const NOT_SWEPT = new Set(['tls.crt', 'ca.crt', 'client-id', 'tls.key']);
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
/** Shorter values are no credential worth looking for in every string (and would match words by chance). */
const MIN_SWEPT_LENGTH = 6;

/**
 * The secret values `inputs` (Kubernetes objects as read) hold, for `redactShown` to find anywhere: each value, its
 * lines, and the values of its `name = value` lines (an AWS credentials file is used field by field).
 */
export function secretValuesOf(inputs: Iterable<unknown>): Set<string> {
  const values = new Set<string>();
  const add = (text: string) => addSecretValue(values, text);
  for (const input of inputs) {
    if (input === null || typeof input !== 'object') continue;
    const object = input as Record<string, unknown>;
    if (object.kind === 'Secret') {
      for (const [field, decode] of [
        ['data', (v: string) => Buffer.from(v, 'base64').toString('utf8')],
        ['stringData', (v: string) => v],
      ] as const) {
        for (const [key, value] of Object.entries((object[field] ?? {}) as Record<string, unknown>))
          if (typeof value === 'string' && !NOT_SWEPT.has(key)) add(decode(value));
      }
      continue;
    }
    for (const entry of SECRET_FIELDS) {
      if (!('kind' in entry.carrier) || entry.carrier.kind !== object.kind) continue;
      for (const found of valuesAt(object, entry.path)) if (typeof found === 'string') add(found);
    }
  }
  return values;
}

/** Adds `text` to the values to look for: the value, its lines, and the values of its `name = value` lines. */
function addSecretValue(values: Set<string>, text: string): void {
  for (const line of [text, ...text.split(/\r?\n/)]) {
    const trimmed = line.trim();
    if (trimmed.length >= MIN_SWEPT_LENGTH) values.add(trimmed);
    const assigned = /^[\w.-]+\s*=\s*(.+)$/.exec(trimmed)?.[1]?.trim();
    if (assigned !== undefined && assigned.length >= MIN_SWEPT_LENGTH) values.add(assigned);
  }
}

/**
 * The secret values `value` (generated configuration: Envoy or agentgateway resources as JSON, the IR) holds where
 * the table places them, as `secretValuesOf` gives those of inputs: what `redactShown` would replace there.
 */
export function secretValuesIn(value: unknown): Set<string> {
  const values = new Set<string>();
  const collect = (original: unknown, shown: unknown, depth: number): void => {
    if (typeof original === 'string') {
      if (shown !== original) addSecretValue(values, original);
      return;
    }
    if (original === null || typeof original !== 'object' || shown === null || typeof shown !== 'object')
      return;
    if (depth > 128) return;
    const shownObject = shown as Record<string, unknown>;
    for (const [key, inner] of Object.entries(original)) collect(inner, shownObject[key], depth + 1);
  };
  collect(value, redactShown(value), 0);
  return values;
}

function valuesAt(value: unknown, path: readonly string[]): unknown[] {
  if (path.length === 0) return [value];
  if (value === null || typeof value !== 'object') return [];
  const [step, ...rest] = path as [string, ...string[]];
  const inner = value as Record<string, unknown>;
  if (step === '*') return Object.values(inner).flatMap((item) => valuesAt(item, rest));
  return step in inner ? valuesAt(inner[step], rest) : [];
}

/**
 * A deep copy of `value` fit to show: every field of the table replaced by the marker (keeping object keys, so a
 * Secret still names its keys), and every string holding one of `secretValues` replaced whole.
 */
export function redactShown(value: unknown, secretValues: ReadonlySet<string> = new Set()): unknown {
  const swept = [...secretValues];
  const copy = (item: unknown, field: string | undefined, depth: number): unknown => {
    if (typeof item === 'string')
      return PEM_PRIVATE_KEY.test(item) || swept.some((secret) => item.includes(secret)) ? REDACTED : item;
    if (item === null || typeof item !== 'object' || depth > 128) return item;
    if (Array.isArray(item))
      return redactCarried(
        item.map((inner) => copy(inner, undefined, depth + 1)),
        field,
      );
    const object: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(item)) object[key] = copy(inner, key, depth + 1);
    return redactCarried(object, field);
  };
  return copy(value, undefined, 0);
}

function redactCarried<T extends object>(value: T, field: string | undefined): T {
  const object = value as Record<string, unknown>;
  for (const entry of SECRET_FIELDS) {
    const carrier = entry.carrier;
    const carries =
      'kind' in carrier
        ? object.kind === carrier.kind
        : 'type' in carrier
          ? object['@type'] === `type.googleapis.com/${carrier.type}`
          : field === carrier.field;
    if (carries) replaceAt(object, entry.path, entry.stringOnly === true);
  }
  // A private key wherever it is, listed or not: the name says what it is.
  for (const key of Object.keys(object))
    if (PRIVATE_KEY_FIELD.test(key)) object[key] = marker(object[key], REDACTED_KEY);
  return value;
}

/** Replaces what `path` reaches inside `container` (already a copy) by the marker. */
function replaceAt(container: unknown, path: readonly string[], stringOnly: boolean): void {
  if (container === null || typeof container !== 'object' || path.length === 0) return;
  const [step, ...rest] = path as [string, ...string[]];
  const inner = container as Record<string, unknown>;
  for (const key of step === '*' ? Object.keys(inner) : step in inner ? [step] : []) {
    if (rest.length > 0) replaceAt(inner[key], rest, stringOnly);
    else if (!stringOnly || typeof inner[key] === 'string')
      inner[key] = marker(inner[key], PRIVATE_KEY_FIELD.test(key) ? REDACTED_KEY : REDACTED);
  }
}

/** The marker in the value's shape: a DataSource stays `{inlineString: marker}`, a list stays a list. */
function marker(value: unknown, text: string): unknown {
  if (value === undefined || value === null) return value;
  if (Array.isArray(value)) return value.map((inner) => marker(inner, text));
  if (typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, marker(inner, text)]));
  return text;
}
