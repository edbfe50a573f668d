// Credentials a backend needs, turned into request headers: the configured ones, or per request from a header
// a trusted filter wrote or from Envoy dynamic metadata (BackendSecurityPolicy `credentialOverride`). A backend
// whose credentials are missing is answered 401 instead of calling the provider unauthenticated. Secrets live
// only in these values and the headers sent upstream; they are never logged.
import { type AwsCredentials, signSigV4 } from './sigv4.ts';

/** Where a per-request credential comes from; absent source → the configured one, or 401. */
export interface CredentialOverride {
  /** A header name (for AWS a prefix of three: `<prefix>access-key-id`, `…secret-access-key`, `…session-token`). */
  readonly header?: string;
  /** Envoy dynamic metadata (a string; for AWS a struct of accessKeyId, secretAccessKey, sessionToken). */
  readonly metadata?: { readonly namespace: string; readonly key: string };
  readonly fallbackToConfigured: boolean;
}

export type BackendAuth = (
  | { readonly type: 'APIKey'; readonly key?: string }
  | { readonly type: 'AzureAPIKey'; readonly key?: string }
  | { readonly type: 'AnthropicAPIKey'; readonly key?: string }
  | {
      readonly type: 'AWSSigV4';
      readonly region: string;
      readonly service: string;
      readonly credentials?: AwsCredentials;
    }
  | { readonly type: 'GCPAccessToken'; readonly accessToken?: string }
  | { readonly type: 'Unavailable'; readonly reason: string }
) & { readonly override?: CredentialOverride };

/** Envoy AI Gateway's default header of each credential type's per-request override. */
export const OVERRIDE_HEADERS: Readonly<Record<Exclude<BackendAuth['type'], 'Unavailable'>, string>> = {
  APIKey: 'x-aigw-api-key',
  AnthropicAPIKey: 'x-aigw-anthropic-api-key',
  AzureAPIKey: 'x-aigw-azure-api-key',
  GCPAccessToken: 'x-aigw-gcp-access-token',
  AWSSigV4: 'x-aigw-aws-',
};

export interface SignableRequest {
  readonly method: string;
  readonly host: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Uint8Array;
  /** Milliseconds since the epoch, from the injected clock. */
  readonly time: number;
}

/** What the request carries that a per-request credential may come from. */
export interface CredentialSources {
  readonly headers: Readonly<Record<string, string>>;
  /** Dynamic metadata Envoy forwarded: namespace → key → value (a string, or an object of strings). */
  readonly metadata: Readonly<Record<string, Readonly<Record<string, unknown>>>>;
}

/** The credential is missing: answered 401 with this message. */
export class MissingCredentialError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MissingCredentialError';
  }
}

/** The request headers a per-request override reads; they never reach the provider. */
export function overrideHeaderNames(auth: BackendAuth | undefined): string[] {
  if (auth === undefined || auth.type === 'Unavailable' || auth.override?.header === undefined) return [];
  const header = auth.override.header.toLowerCase();
  if (auth.type !== 'AWSSigV4') return [header];
  return [`${header}access-key-id`, `${header}secret-access-key`, `${header}session-token`];
}

/** Headers that authenticate `request` to the backend; throws MissingCredentialError when it cannot. */
export function authHeaders(
  auth: BackendAuth | undefined,
  request: SignableRequest,
  sources: CredentialSources = { headers: {}, metadata: {} },
): Record<string, string> {
  if (auth === undefined) return {};
  if (auth.type === 'Unavailable') throw new MissingCredentialError(auth.reason);
  const perRequest = auth.override === undefined ? undefined : overrideValue(auth, auth.override, sources);
  if (auth.override !== undefined && perRequest === undefined && !auth.override.fallbackToConfigured)
    throw new MissingCredentialError(
      'missing upstream credential: the request carries none for this backend',
    );
  switch (auth.type) {
    case 'APIKey':
      return { authorization: `Bearer ${key(perRequest ?? auth.key)}` };
    case 'AzureAPIKey':
      return { 'api-key': key(perRequest ?? auth.key) };
    case 'AnthropicAPIKey':
      return { 'x-api-key': key(perRequest ?? auth.key) };
    case 'GCPAccessToken':
      return { authorization: `Bearer ${key(perRequest ?? auth.accessToken)}` };
    case 'AWSSigV4': {
      const credentials = (perRequest as AwsCredentials | undefined) ?? auth.credentials;
      if (credentials === undefined)
        throw new MissingCredentialError('missing upstream credential: no AWS credentials');
      return signSigV4({ ...request, region: auth.region, service: auth.service }, credentials);
    }
  }
}

function key(value: string | AwsCredentials | undefined): string {
  if (typeof value !== 'string' || value === '')
    throw new MissingCredentialError('missing upstream credential: the backend has no key');
  return value;
}

function overrideValue(
  auth: Exclude<BackendAuth, { type: 'Unavailable' }>,
  override: CredentialOverride,
  sources: CredentialSources,
): string | AwsCredentials | undefined {
  const read = (name: string) => sources.headers[name]?.trim() || undefined;
  let value: unknown;
  if (override.header !== undefined) {
    const header = override.header.toLowerCase();
    value =
      auth.type === 'AWSSigV4'
        ? {
            accessKeyId: read(`${header}access-key-id`),
            secretAccessKey: read(`${header}secret-access-key`),
            sessionToken: read(`${header}session-token`),
          }
        : read(header);
  } else if (override.metadata !== undefined) {
    value = sources.metadata[override.metadata.namespace]?.[override.metadata.key];
  }
  if (auth.type !== 'AWSSigV4')
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  const parts = (value ?? {}) as Record<string, unknown>;
  const part = (name: string) => (typeof parts[name] === 'string' ? (parts[name] as string).trim() : '');
  const accessKeyId = part('accessKeyId');
  const secretAccessKey = part('secretAccessKey');
  const sessionToken = part('sessionToken');
  if (accessKeyId === '' && secretAccessKey === '' && sessionToken === '') return undefined;
  // Some parts but not enough to sign: signing with the gateway's own identity would act as the wrong principal.
  if (accessKeyId === '' || secretAccessKey === '')
    throw new MissingCredentialError(
      'incomplete per-request AWS credential: access key ID and secret access key must both be present',
    );
  return { accessKeyId, secretAccessKey, ...(sessionToken === '' ? {} : { sessionToken }) };
}
